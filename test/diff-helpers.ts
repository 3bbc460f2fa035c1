/** The committed rendered tree, read once, for diff tests that change a few files of it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileTree } from '../pipeline/files';
import { REPO_ROOT } from './helpers';

function readGitops(): FileTree {
  const root = path.join(REPO_ROOT, 'gitops');
  const tree: FileTree = new Map();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else tree.set(path.relative(root, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return tree;
}

export const PLATFORM_FILES: FileTree = readGitops();

/** A small deterministic generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
