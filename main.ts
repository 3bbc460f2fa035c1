/**
 * `npm run synth [-- --site NAME]... [--check] [--out DIR]`: renders every site into gitops/.
 * Exit codes: 0 done (or, with --check, up to date); 1 gitops/ is stale (--check); 2 bad input, or
 * another synth is writing the same gitops/ (--check takes no lock and writes nothing).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SynthResult } from './pipeline/synth';
import type { WriterLock } from './pipeline/writer-lock';
import type { RecoverOutcome } from './pipeline/writer-staging';
import { parseCommandLine, runCommand } from './tools/cli';
import { programFilesOf } from './tools/bundles.cjs';
import { startRecord, SYNTH_OPTIONS, type SynthRecording } from './tools/synth-record.cjs';

const COMMAND = {
  name: 'synth',
  usage: 'npm run synth -- [--site NAME]... [--check] [--out DIR]',
  // Shared with tools/run.mjs, which reads a command line with them to find a recorded run.
  options: SYNTH_OPTIONS,
  help: {
    site: 'render only this site (repeatable); the other sites are rendered too, for the cross-site checks, but not written',
    check: 'render in memory and exit 1 if gitops/ differs, listing each file; writes nothing',
    out: 'directory holding gitops/ (default: the repository root)',
  },
} as const;

/** What recovering an interrupted run did, for the log; nothing when there was nothing to recover. */
const RECOVERED: Record<RecoverOutcome, string | undefined> = {
  clean: undefined,
  'rolled-forward': 'an interrupted run had staged its complete tree: it was swapped into gitops/ (rolled-forward)',
  'rolled-back': 'an interrupted run had moved gitops/ away before its tree was complete: it was put back (rolled-back)',
  discarded: 'an interrupted run had staged a tree but not swapped it in: it was discarded, gitops/ is as before (discarded)',
};

/** The last line a run prints: what it rendered, and how many files it changed (or found out of date). */
function summaryLine(check: boolean, result: SynthResult): string {
  const { added, removed, changed } = result.diff;
  const changes = added.length + removed.length + changed.length;
  const rendered = `${result.sites} sites, ${result.components} components, ${result.objects} objects`;
  return check
    ? `synth --check: ${rendered}, ${changes} files out of date`
    : `synth: ${rendered}, ${changes} files changed (${added.length} added, ${changed.length} modified, ${removed.length} removed)`;
}

async function main(): Promise<number> {
  const args = parseCommandLine(COMMAND, process.argv.slice(2));
  // Loaded once the command line is known good: a bad one or --help answers without the platform,
  // cdk8s or the pipeline (test/cli.test.ts).
  const [
    { fetchStackOutputs },
    { PlatformError },
    { synth },
    { relaunchForModel },
    { openSchemaCache },
    { validateSites },
    { acquireLock, SynthBusyError },
    { PLATFORM },
  ] = await Promise.all([
    import('./pipeline/aws-outputs'),
    import('./model/errors'),
    import('./pipeline/synth'),
    import('./pipeline/synth-memory'),
    import('./pipeline/validate'),
    import('./pipeline/validate-sites'),
    import('./pipeline/writer-lock'),
    import('./sites'),
  ]);
  // A large model is synthesized by a node started with a smaller young generation (pipeline/synth-memory.ts).
  const relaunched = relaunchForModel(PLATFORM.sites.length, process.argv[1]!, process.argv.slice(2));
  if (relaunched !== undefined) return relaunched;
  const tty = process.stderr.isTTY === true;
  let lock: WriterLock | undefined;
  // Objects that passed the schema check unchanged are not checked again (dist/schema-cache.json).
  const schemaCache = openSchemaCache(path.resolve(__dirname, '..'));
  try {
    // The repository root, wherever the command is started from.
    const root = args.out !== undefined ? path.resolve(args.out) : path.resolve(__dirname, '..');
    if (!args.check) {
      // Held from before gitops/ is read until it is written, so no other run writes in between.
      lock = acquireLock(root);
      if (lock.staleOwner !== undefined)
        console.error(`synth: took over the lock of synth pid ${lock.staleOwner}, which is no longer running`);
      const recovered = RECOVERED[lock.recovered];
      if (recovered !== undefined) console.error(`synth: ${recovered}`);
    }
    // Every site rendered into gitops/ as it is now (after any recovery): a run that finds nothing to
    // change is recorded, and the next one with the same inputs and tree only checks that
    // (tools/synth-record.cjs, tools/run.mjs). A --site run or one under `cdk8s synth` is not.
    const repo = path.resolve(__dirname, '..');
    const recording: SynthRecording | undefined =
      args.site === undefined && !process.env.CDK8S_OUTDIR ? startRecord(repo, programFilesOf(__filename), root) : undefined;
    validateSites(PLATFORM.sites, PLATFORM.edge);
    // Sites whose object store is `aws` need their stacks' outputs before the (synchronous) render;
    // every site is rendered (the others for the cross-site check), so every such site's outputs.
    const stackOutputs = await fetchStackOutputs(PLATFORM.sites);
    const result = synth({
      root,
      model: PLATFORM,
      stackOutputs,
      schemaCache,
      only: args.site ?? [],
      check: args.check === true,
      onSite: tty ? (done, total, site) => process.stderr.write(`\r\x1b[Krendering ${done}/${total} ${site}`) : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[K');
    const { added, removed, changed } = result.diff;
    const changes = added.length + removed.length + changed.length;
    if (result.othersStale.length > 0) {
      const sites = [...new Set(result.othersStale.map((p) => p.split('/')[0]))].join(', ');
      console.error(
        `synth: ${result.othersStale.length} files of ${sites} also change with this model (left as they are): run npm run synth without --site`,
      );
    }
    // What a run with these inputs prints while they render this very tree; AWS outputs are fetched
    // each time, so a model that needs them is never recorded.
    if (changes === 0 && stackOutputs.size === 0) recording?.save({ synth: summaryLine(false, result), check: summaryLine(true, result) });
    if (args.check) {
      for (const p of added) console.log(`missing   gitops/${p}`);
      for (const p of changed) console.log(`differs   gitops/${p}`);
      for (const p of removed) console.log(`stale     gitops/${p}`);
      console.log(summaryLine(true, result));
      if (changes > 0) console.log('gitops/ is stale: run npm run synth and commit the result');
      return changes > 0 ? 1 : 0;
    }
    // Under `cdk8s synth` the CLI expects its outdir to exist; the manifests themselves go to gitops/.
    if (process.env.CDK8S_OUTDIR) fs.mkdirSync(process.env.CDK8S_OUTDIR, { recursive: true });
    console.log(summaryLine(false, result));
    return 0;
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K');
    if (err instanceof PlatformError) {
      console.error(`synth failed; gitops/ is unchanged.\n${err.message}`);
      return 2;
    }
    if (err instanceof SynthBusyError) {
      console.error(`synth: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    schemaCache.save();
    lock?.release();
  }
}

runCommand(main);
