/**
 * The type-check of a copy of the repository, as `tsc -p <config>` makes it (the same options, the
 * same JSDoc parsing, the same diagnostics), through the compiler API: one program, parsed and
 * bound once, whose files are then checked a directory at a time, in a worker thread
 * (test/guide-typecheck-worker.js: TypeScript keeps its last program reachable, and the thread's
 * heap is freed with it).
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface TypeCheck {
  /** What tsc reports before any file is checked: the configuration, the options, every file's syntax, the global declarations. */
  readonly before: () => string;
  /** What tsc reports of the program's files directly in `dir` (relative to the copy; '.' for its root). */
  readonly semantic: (dir: string) => string;
  /** The directories (relative, '.' for the root) of the program's own files, those `semantic` is asked for. */
  readonly directories: () => string[];
}

type Outcome = { error: string } | { before: string; directories: string[]; semantic: Record<string, string> };

/**
 * The program of `config` in `root`, checked. Its own files are those outside node_modules/ and
 * outside the directories `unchecked` names, whose files are read for their types and syntax, not
 * checked (as `// @ts-nocheck` would have them). Resolves once the thread has ended; rejects once
 * it has been stopped if it failed or gave no result within `timeoutMs` (give less than the hook's
 * timeout: a hook timed out by jest is abandoned, and its thread would go on checking).
 */
export async function typeCheck(root: string, config: string, unchecked: readonly string[], timeoutMs: number): Promise<TypeCheck> {
  const worker = new Worker(path.join(__dirname, 'guide-typecheck-worker.js'), { workerData: { root, config, unchecked } });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let timer: NodeJS.Timeout | undefined;
  let outcome: Outcome;
  try {
    outcome = await new Promise<Outcome>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      void exited.then((code) => reject(new Error(`the type-check's thread exited (${code}) without a result`)));
      timer = setTimeout(
        () => reject(new Error(`the type-check gave no result within ${timeoutMs} ms: its thread was stopped`)),
        timeoutMs,
      );
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  await exited;
  if ('error' in outcome) throw new Error(outcome.error);
  const { before, directories, semantic } = outcome;
  return {
    before: () => before,
    // A directory without a file of the program's own: nothing reported, as before (the directories test tells).
    semantic: (dir) => semantic[dir] ?? '',
    directories: () => directories,
  };
}
