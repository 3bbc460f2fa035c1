/**
 * Writing: the only step that touches gitops/. The new tree is staged in a git-ignored directory
 * beside gitops/ (same filesystem, so renames are atomic), then swapped in with two renames. A run
 * interrupted between them is finished or rolled back by the next run: `READY` in the staging
 * directory means the staged tree is complete and wins; without it the previous tree comes back.
 * One run at a time: the staging directory also holds the lock (`owner`, the writing run's pid),
 * so a second run neither recovers nor writes while the first is alive. Nothing outside gitops/
 * and the staging directory is touched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileTree } from './files';
import { acquireLock, held, liveOwner, type WriterHooks } from './writer-lock';
import { StagingWriter, SYNC_FILES } from './writer-thread';
import { NEXT, PREVIOUS, READY, STAGING_DIR, finishSwap, type RecoverOutcome } from './writer-staging';

/** The paths of every file below `dir` (relative, with '/' separators); an absent dir has none. */
export function listTree(dir: string): Set<string> {
  const paths = new Set<string>();
  const walk = (rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else paths.add(child);
    }
  };
  walk('');
  return paths;
}

/** How long a --check waits for a live writer between its two renames (a paused or starved process). */
const SWAP_WAIT_MS = 10_000;

/**
 * The paths in gitops/. Another synth may be between its two renames (gitops/ moved aside, the new
 * tree ready): a --check, which takes no lock, then waits for the swap rather than seeing nothing,
 * as long as that writer runs. A dead writer's swap is left to the next writing run: no wait.
 */
export function gitopsPaths(root: string): Set<string> {
  const gitops = path.join(root, 'gitops');
  const swapping = (): boolean =>
    !fs.existsSync(gitops) && fs.existsSync(path.join(root, STAGING_DIR, READY)) && liveOwner(root) !== undefined;
  for (let waited = 0; waited < SWAP_WAIT_MS && swapping(); waited += 20) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return listTree(gitops);
}

/** Reads every file below `dir` (relative paths with '/' separators); an absent dir is empty. */
export function readTree(dir: string): FileTree {
  return new Map([...listTree(dir)].map((p) => [p, fs.readFileSync(path.join(dir, p), 'utf8')]));
}

/** Paths that differ between two trees, sorted, each with what happened to it. */
export interface TreeDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

export function diffTrees(before: FileTree, after: FileTree): TreeDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [p, content] of after) {
    const old = before.get(p);
    if (old === undefined) added.push(p);
    else if (old !== content) changed.push(p);
  }
  for (const p of before.keys()) if (!after.has(p)) removed.push(p);
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}

export function diffSize(d: TreeDiff): number {
  return d.added.length + d.removed.length + d.changed.length;
}

/**
 * Finishes or rolls back a swap that a previous run left halfway, then removes the staging
 * directory, lock included. Only for a caller that knows no synth is running (tests, by hand):
 * synth itself recovers through `acquireLock`.
 */
export function recover(root: string): RecoverOutcome {
  const staging = path.join(root, STAGING_DIR);
  if (!fs.existsSync(staging)) return 'clean';
  const outcome = finishSwap(staging, path.join(root, 'gitops'));
  fs.rmSync(staging, { recursive: true, force: true });
  return outcome;
}

/** A new gitops/ staged file by file beside the current one: `commit` swaps it in, `discard` throws it away. */
export interface StagedTree {
  /** Writes one file of the new tree (path relative to gitops/). */
  add(p: string, content: string): void;
  /** Swaps the staged tree in with the two renames; a crash in between is finished by the next run. */
  commit(): void;
  /** Removes what was staged: gitops/ stays as it was. */
  discard(): void;
}

/**
 * Opens the staging tree, taking the lock unless this process holds it already (the CLI takes it
 * before reading gitops/, so that no other run writes in between). The caller adds the complete
 * new content of gitops/ (merging in what it did not re-render), then commits or discards.
 */
export function stageTree(root: string, hooks: WriterHooks = {}, options: { syncFiles?: number } = {}): StagedTree {
  const staging = path.resolve(root, STAGING_DIR);
  const gitops = path.resolve(root, 'gitops');
  if (!held.has(staging)) fs.mkdirSync(root, { recursive: true });
  const lock = held.has(staging) ? undefined : acquireLock(root, hooks);
  const next = path.join(staging, NEXT);
  let open = true;
  const writer = new StagingWriter(options.syncFiles ?? SYNC_FILES);
  const close = (finish: () => void): void => {
    if (!open) return;
    open = false;
    try {
      finish();
    } catch (err) {
      // Nothing may be written once the staged tree is thrown away.
      try {
        writer.stop();
      } catch {
        // Its error is not the one to report.
      }
      // Failed in this process (disk full...): finish or roll back now rather than on the next run.
      try {
        finishSwap(staging, gitops);
      } catch {
        // The next run recovers from what is left.
      }
      throw err;
    } finally {
      lock?.release();
    }
  };
  try {
    fs.mkdirSync(next);
  } catch (err) {
    close(() => {
      throw err;
    });
  }
  return {
    add: (p, content) => writer.write(path.join(next, p), content),
    commit: () =>
      close(() => {
        writer.finish();
        writer.stop();
        hooks.step?.('staged');
        fs.writeFileSync(path.join(staging, READY), '');
        if (fs.existsSync(gitops)) fs.renameSync(gitops, path.join(staging, PREVIOUS));
        hooks.step?.('between-renames');
        fs.renameSync(next, gitops);
        finishSwap(staging, gitops);
      }),
    discard: () =>
      close(() => {
        writer.stop();
        finishSwap(staging, gitops);
      }),
  };
}
