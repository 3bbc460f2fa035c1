/**
 * `npm run synth [-- --site NAME ...] [--check] [--out DIR]`: renders every site into gitops/.
 * Exit codes: 0 done (or, with --check, up to date); 1 gitops/ is stale (--check); 2 bad input, or
 * another synth is writing the same gitops/ (--check takes no lock and writes nothing).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PlatformError } from './pipeline/errors';
import { fetchStackOutputs } from './pipeline/aws-outputs';
import { synth } from './pipeline/synth';
import { validateSites } from './pipeline/validate-sites';
import { acquireLock, SynthBusyError, type RecoverOutcome, type WriterLock } from './pipeline/writer';
import { PLATFORM } from './sites';

interface Args {
  only: string[];
  check: boolean;
  /** Directory that holds gitops/ (default: the repository root). */
  out?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { only: [], check: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') args.check = true;
    else if (arg === '--site' && argv[i + 1]) args.only.push(argv[++i]!);
    else if (arg?.startsWith('--site=')) args.only.push(arg.slice('--site='.length));
    else if (arg === '--out' && argv[i + 1]) args.out = path.resolve(argv[++i]!);
    else throw new PlatformError([{ message: `unknown argument '${arg}'; usage: synth [--site NAME]... [--check] [--out DIR]` }]);
  }
  return args;
}

/** What recovering an interrupted run did, for the log; nothing when there was nothing to recover. */
const RECOVERED: Record<RecoverOutcome, string | undefined> = {
  clean: undefined,
  'rolled-forward': 'an interrupted run had staged its complete tree: it was swapped into gitops/ (rolled-forward)',
  'rolled-back': 'an interrupted run had moved gitops/ away before its tree was complete: it was put back (rolled-back)',
  discarded: 'an interrupted run had staged a tree but not swapped it in: it was discarded, gitops/ is as before (discarded)',
};

async function main(): Promise<number> {
  const tty = process.stderr.isTTY === true;
  let lock: WriterLock | undefined;
  try {
    const args = parseArgs(process.argv.slice(2));
    // The repository root, wherever the command is started from.
    const root = args.out ?? path.resolve(__dirname, '..');
    if (!args.check) {
      // Held from before gitops/ is read until it is written, so no other run writes in between.
      lock = acquireLock(root);
      if (lock.staleOwner !== undefined)
        console.error(`synth: took over the lock of synth pid ${lock.staleOwner}, which is no longer running`);
      const recovered = RECOVERED[lock.recovered];
      if (recovered !== undefined) console.error(`synth: ${recovered}`);
    }
    validateSites(PLATFORM.sites, PLATFORM.edge);
    // Sites whose object store is `aws` need their stacks' outputs before the (synchronous) render;
    // every site is rendered (the others for the cross-site check), so every such site's outputs.
    const stackOutputs = await fetchStackOutputs(PLATFORM.sites);
    const result = synth({
      root,
      model: PLATFORM,
      stackOutputs,
      only: args.only,
      check: args.check,
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
    if (args.check) {
      for (const p of added) console.log(`missing   gitops/${p}`);
      for (const p of changed) console.log(`differs   gitops/${p}`);
      for (const p of removed) console.log(`stale     gitops/${p}`);
      console.log(
        `synth --check: ${result.sites} sites, ${result.components} components, ${result.objects} objects, ${changes} files out of date`,
      );
      if (changes > 0) console.log('gitops/ is stale: run npm run synth and commit the result');
      return changes > 0 ? 1 : 0;
    }
    // Under `cdk8s synth` the CLI expects its outdir to exist; the manifests themselves go to gitops/.
    if (process.env.CDK8S_OUTDIR) fs.mkdirSync(process.env.CDK8S_OUTDIR, { recursive: true });
    console.log(
      `synth: ${result.sites} sites, ${result.components} components, ${result.objects} objects, ${changes} files changed (${added.length} added, ${changed.length} modified, ${removed.length} removed)`,
    );
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
    lock?.release();
  }
}

void main().then((code) => (process.exitCode = code));
