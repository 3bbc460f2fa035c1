/**
 * Writing: the only step that touches gitops/. The new tree is staged in a git-ignored directory
 * beside gitops/ (same filesystem, so renames are atomic), then swapped in with two renames. A run
 * interrupted between them is finished or rolled back by the next run: `READY` in the staging
 * directory means the staged tree is complete and wins; without it the previous tree comes back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileTree } from './files';

export const STAGING_DIR = '.synth-staging';
const NEXT = 'next';
const PREVIOUS = 'previous';
const READY = 'READY';

/** Reads every file below `dir` (relative paths with '/' separators); an absent dir is empty. */
export function readTree(dir: string): FileTree {
  const tree: FileTree = new Map();
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
      else tree.set(child, fs.readFileSync(path.join(dir, child), 'utf8'));
    }
  };
  walk('');
  return tree;
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
 * Finishes or rolls back a swap that a previous run left halfway, then clears the staging
 * directory. Returns what it did, for the log.
 */
export function recover(root: string): 'clean' | 'rolled-forward' | 'rolled-back' {
  const staging = path.join(root, STAGING_DIR);
  const gitops = path.join(root, 'gitops');
  if (!fs.existsSync(staging)) return 'clean';
  let outcome: 'clean' | 'rolled-forward' | 'rolled-back' = 'clean';
  if (!fs.existsSync(gitops)) {
    if (fs.existsSync(path.join(staging, READY)) && fs.existsSync(path.join(staging, NEXT))) {
      fs.renameSync(path.join(staging, NEXT), gitops);
      outcome = 'rolled-forward';
    } else if (fs.existsSync(path.join(staging, PREVIOUS))) {
      fs.renameSync(path.join(staging, PREVIOUS), gitops);
      outcome = 'rolled-back';
    }
  }
  fs.rmSync(staging, { recursive: true, force: true });
  return outcome;
}

/** Test hook: stop the process at a named point of the swap, as a crash would. */
function crashPoint(point: string): void {
  if (process.env.SYNTH_CRASH_AT === point) process.exit(70);
}

/**
 * Replaces gitops/ with `tree`, atomically. `tree` must be the complete new content of gitops/
 * (callers merge in what they did not re-render).
 */
export function writeTree(root: string, tree: FileTree): void {
  recover(root);
  const staging = path.join(root, STAGING_DIR);
  const next = path.join(staging, NEXT);
  const gitops = path.join(root, 'gitops');
  fs.mkdirSync(next, { recursive: true });
  const dirs = new Set<string>();
  for (const p of tree.keys()) dirs.add(path.dirname(path.join(next, p)));
  for (const d of [...dirs].sort()) fs.mkdirSync(d, { recursive: true });
  for (const [p, content] of tree) fs.writeFileSync(path.join(next, p), content);
  crashPoint('staged');
  fs.writeFileSync(path.join(staging, READY), '');
  if (fs.existsSync(gitops)) fs.renameSync(gitops, path.join(staging, PREVIOUS));
  crashPoint('between-renames');
  fs.renameSync(next, gitops);
  fs.rmSync(staging, { recursive: true, force: true });
}
