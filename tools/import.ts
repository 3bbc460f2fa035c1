/**
 * `npm run import [-- --mirror DIR] [--check] [--out DIR]`: regenerates imports/ from the upstream
 * files of tools/upstream-inputs.ts, fetched from their pinned URLs over https, or read from a
 * mirror directory (--mirror, or IMPORT_MIRROR) on machines without internet. Every file is
 * checked against its recorded sha256 before imports/ is touched (tools/import-run.ts).
 * Exit codes: 0 done (with --check: imports/ is what the inputs give); 1 --check found a
 * difference; 2 bad command line, or an input missing or not matching its digest.
 */
import * as path from 'node:path';
import { parseCommandLine, runCommand } from './cli';

const COMMAND = {
  name: 'import',
  usage: 'npm run import -- [--mirror DIR] [--check] [--out DIR]',
  options: { mirror: { type: 'string' }, check: { type: 'boolean' }, out: { type: 'string' } },
  help: {
    mirror: 'read the upstream files from DIR (each at its mirrorPath) instead of fetching them; default $IMPORT_MIRROR',
    check: 'generate in a scratch directory and compare with imports/ (exit 1 if they differ); writes nothing',
    out: 'directory holding imports/ (default: the repository root)',
  },
} as const;

runCommand(async () => {
  const args = parseCommandLine(COMMAND, process.argv.slice(2));
  // The inputs (they name the charts' and the pipeline's pinned versions) once the command line is known good.
  const [{ runImport }, { UPSTREAM_INPUTS }] = await Promise.all([import('./import-run'), import('./upstream-inputs')]);
  const repo = path.resolve(__dirname, '..');
  const mirror = args.mirror ?? (process.env.IMPORT_MIRROR || undefined);
  return runImport(UPSTREAM_INPUTS, {
    root: path.resolve(args.out ?? repo),
    mirror: mirror === undefined ? undefined : path.resolve(mirror),
    check: args.check,
    localSchemaDir: path.join(repo, 'tools', 'schemas'),
  });
});
