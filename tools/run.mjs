// `node tools/run.mjs <entry> [args...]`: runs a dist/ bundle in this same process, rebuilding it
// first if any of its inputs changed since the last build (one node start instead of two, and no
// bundling when nothing changed).
import { createRequire } from 'node:module';
import { buildEntry, ENTRIES } from './build.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry || !(entry in ENTRIES)) {
  console.error(`usage: node tools/run.mjs <${Object.keys(ENTRIES).join('|')}> [args...]`);
  process.exit(2);
}
const bundle = buildEntry(entry, { onlyIfStale: true });
process.argv = [process.argv[0], bundle, ...args];
createRequire(import.meta.url)(bundle);
