/**
 * What `npm run import` does, for any table of inputs (the CLI passes tools/upstream-inputs.ts,
 * the tests a small one): obtain and verify every input, generate the new imports/ beside the old
 * one, then swap it in with two renames (or, with `check`, compare and write nothing). imports/ is
 * touched only once every input is verified and the new content is complete.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffTrees, readTree } from '../pipeline/writer';
import { generateImports } from './import-generate';
import { InputError, obtainInputs, upstreamFiles } from './import-inputs';
import type { UpstreamInputs } from './upstream-inputs';

export interface ImportOptions {
  /** Directory holding imports/. */
  readonly root: string;
  /** Mirror directory to read the inputs from instead of their URLs. */
  readonly mirror?: string;
  /** Compare with imports/ instead of replacing it. */
  readonly check?: boolean;
  /** Where LOCAL_SCHEMAS files are. */
  readonly localSchemaDir: string;
  /** Output lines (stdout) and problems (stderr). */
  readonly log?: (line: string) => void;
  readonly error?: (line: string) => void;
}

/** Where the new imports/ is generated, and the old one kept until the swap is done. */
export const IMPORT_STAGING = '.import-staging';

/** An earlier run stopped between its two renames: its previous imports/ goes back in place. */
function recoverSwap(root: string): void {
  const previous = path.join(root, IMPORT_STAGING, 'previous');
  if (!fs.existsSync(path.join(root, 'imports')) && fs.existsSync(previous)) fs.renameSync(previous, path.join(root, 'imports'));
  fs.rmSync(path.join(root, IMPORT_STAGING), { recursive: true, force: true });
}

/** Runs the import; returns the exit code (0 done or up to date, 1 --check found differences, 2 bad input). */
export async function runImport(inputs: UpstreamInputs, options: ImportOptions): Promise<number> {
  const { root, mirror, check = false, log = console.log, error = console.error } = options;
  const imports = path.join(root, 'imports');
  recoverSwap(root);
  const refuse = (err: InputError): number => {
    for (const problem of err.problems) error(`import: ${problem}`);
    error('import: imports/ is unchanged');
    return 2;
  };
  let contents;
  try {
    contents = await obtainInputs(upstreamFiles(inputs), { mirror });
  } catch (err) {
    if (err instanceof InputError) return refuse(err);
    throw err;
  }
  const staging = path.join(root, IMPORT_STAGING);
  const next = path.join(staging, 'next');
  try {
    fs.mkdirSync(staging, { recursive: true });
    const made = generateImports(inputs, contents, next, options.localSchemaDir);
    const summary = `${made.modules} modules, ${made.schemas} schemas, validators for ${made.kinds} kinds and ${made.ciSchemas} CI schemas`;
    if (check) {
      const { added, removed, changed } = diffTrees(readTree(imports), readTree(next));
      for (const p of added) log(`missing   imports/${p}`);
      for (const p of changed) log(`differs   imports/${p}`);
      for (const p of removed) log(`stale     imports/${p}`);
      const stale = added.length + removed.length + changed.length;
      log(`import --check: ${summary}; ${stale === 0 ? 'imports/ is up to date' : `${stale} files differ: run npm run import`}`);
      return stale === 0 ? 0 : 1;
    }
    if (fs.existsSync(imports)) fs.renameSync(imports, path.join(staging, 'previous'));
    fs.renameSync(next, imports);
    log(`imports/: ${summary}`);
    return 0;
  } catch (err) {
    // A listed kind missing from its (verified) file: the table is wrong, not the file.
    if (err instanceof InputError) return refuse(err);
    throw err;
  } finally {
    recoverSwap(root);
  }
}
