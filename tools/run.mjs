// `node tools/run.mjs <entry> [args...]`: runs a dist/ bundle in this same process, rebuilding it
// first if the content of one of its inputs changed since the last build (one node start instead
// of two, and no bundling when nothing changed; a `touch` or a checkout costs a hash, no build).
// The bundle, and the shared bundles it loads (tools/bundles.cjs), run with V8's code cache
// (tools/code-cache.mjs), so an unchanged bundle is not compiled again. A synth whose inputs and
// gitops/ tree are those of a recorded run that found nothing to change prints that run's line
// and exits without loading any bundle (tools/synth-record.cjs).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ENTRIES, startBuild } from './build.mjs';
import { loadSharedBundles, runWithCodeCache, useEntryV8Flags } from './code-cache.mjs';

const require = createRequire(import.meta.url);
const [entry, ...args] = process.argv.slice(2);
if (!entry || !(entry in ENTRIES)) {
  console.error(`usage: node tools/run.mjs <${Object.keys(ENTRIES).join('|')}> [args...]`);
  process.exit(2);
}
// Set before any bundle (esbuild's API included) is compiled: the code caches are made with them.
useEntryV8Flags(entry);
const { bundle, rebuilding, done } = startBuild(entry, { onlyIfStale: true });
// While esbuild rebuilds what is stale (in processes of its own, which ask nothing of this one),
// the bundles that did not change are loaded: their load is off the time the rebuild takes.
if (rebuilding.length > 0) loadSharedBundles(bundle, entry, rebuilding);
try {
  await done;
} catch (err) {
  // esbuild's message (what failed to build, and where), not a stack of this script.
  console.error(err.message);
  process.exit(1);
}
const recorded = entry === 'main' ? recordedSynth(bundle, args) : undefined;
if (recorded !== undefined) console.log(recorded.stdout);
else {
  process.argv = [process.argv[0], bundle, ...args];
  // The shared bundles it requires, each with the code cache of this entry's use of it.
  runWithCodeCache(bundle, entry);
}

/**
 * The recorded run of a synth with these arguments, if any. Only a whole synth or --check, with
 * --out or not, is ever recorded; any other command line (--site, --help, a bad flag) runs the
 * bundle, whose parser (tools/cli.ts) answers it. Read here with the same util.parseArgs and the
 * synth's own options (main.ts takes them from tools/synth-record.cjs too).
 */
function recordedSynth(bundle, args) {
  const { recordedRun, SYNTH_OPTIONS } = require('./synth-record.cjs');
  let values;
  try {
    ({ values } = parseArgs({ args, options: SYNTH_OPTIONS, strict: true, allowPositionals: false }));
  } catch {
    return undefined;
  }
  if (values.site !== undefined || process.env.CDK8S_OUTDIR || values.out === '') return undefined;
  const repo = path.resolve(path.dirname(bundle), '..');
  const { programFilesOf } = require('./bundles.cjs');
  return recordedRun(repo, programFilesOf(bundle), values.out === undefined ? repo : path.resolve(values.out), values.check === true);
}
