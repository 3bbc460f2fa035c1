// `node tools/run.mjs <entry> [args...]`: runs a dist/ bundle in this same process, rebuilding it
// first if the content of one of its inputs changed since the last build (one node start instead
// of two, and no bundling when nothing changed; a `touch` or a checkout costs a hash, no build).
// The bundle runs with V8's code cache (tools/code-cache.mjs), so an unchanged bundle is not
// compiled again.
import { buildEntry, ENTRIES } from './build.mjs';
import { runWithCodeCache } from './code-cache.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry || !(entry in ENTRIES)) {
  console.error(`usage: node tools/run.mjs <${Object.keys(ENTRIES).join('|')}> [args...]`);
  process.exit(2);
}
const bundle = await buildEntry(entry, { onlyIfStale: true });
process.argv = [process.argv[0], bundle, ...args];
runWithCodeCache(bundle);
