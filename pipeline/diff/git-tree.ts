/** Reads the rendered tree (gitops/) as it is at a git ref, without checking anything out. */
import { execFileSync } from 'node:child_process';
import { PlatformError } from '../../model/errors';
import type { FileTree } from '../files';

function git(root: string, args: string[], input?: string): string {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      input,
      maxBuffer: 1024 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new PlatformError([{ message: `git ${args.join(' ')} failed: ${stderr || (err as Error).message}` }]);
  }
}

/** The commit a ref names (full hash). */
export function resolveCommit(root: string, ref: string): string {
  return git(root, ['rev-parse', '--verify', `${ref}^{commit}`]).trim();
}

/** What is rendered: HEAD's commit, its branch (or `branch` as CI names it) and whether sources differ from it. */
export function describeHead(root: string, branch?: string): { commit: string; branch?: string; uncommitted: boolean } {
  const commit = resolveCommit(root, 'HEAD');
  let current = branch;
  if (current === undefined) {
    try {
      current = execFileSync('git', ['symbolic-ref', '--quiet', '--short', 'HEAD'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      current = undefined; // detached HEAD (CI checks out a commit)
    }
  }
  // gitops/ is what the render replaces; any other change is rendered but not in the commit.
  const status = git(root, ['status', '--porcelain', '--', '.', ':(exclude)gitops']).trim();
  return { commit, branch: current || undefined, uncommitted: status !== '' };
}

/**
 * The ref to compare with when none is given: the merge base of HEAD with the main branch
 * (`origin/<main>` when it exists, else `<main>`). CI passes the base it knows instead
 * (GitLab's CI_MERGE_REQUEST_DIFF_BASE_SHA, the pull request's base), so it needs no full history.
 */
export function defaultBase(root: string, mainBranch = 'main'): string {
  const candidates = [`origin/${mainBranch}`, mainBranch];
  for (const ref of candidates) {
    try {
      execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, stdio: 'ignore' });
    } catch {
      continue;
    }
    return git(root, ['merge-base', 'HEAD', ref]).trim();
  }
  throw new PlatformError([{ message: `no branch ${candidates.join(' or ')} to find the merge base with: pass --base <ref>` }]);
}

/** Every file under gitops/ at `ref`, keyed by path relative to gitops/. */
export function readTreeAtRef(root: string, ref: string): FileTree {
  const commit = resolveCommit(root, ref);
  const listing = git(root, ['ls-tree', '-r', '-z', commit, '--', 'gitops/'])
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, path] = line.split('\t');
      const [, type, sha] = (meta ?? '').split(' ');
      return { type, sha: sha ?? '', path: path ?? '' };
    })
    .filter((e) => e.type === 'blob');
  const tree: FileTree = new Map();
  if (listing.length === 0) return tree;
  // One `git cat-file --batch` for every blob: `<sha> blob <size>\n<content>\n` each.
  const out = execFileSync('git', ['cat-file', '--batch'], {
    cwd: root,
    input: listing.map((e) => e.sha).join('\n') + '\n',
    maxBuffer: 1024 * 1024 * 1024,
  });
  let offset = 0;
  for (const entry of listing) {
    const headerEnd = out.indexOf(0x0a, offset);
    const size = Number(out.subarray(offset, headerEnd).toString('utf8').split(' ')[2]);
    const start = headerEnd + 1;
    tree.set(entry.path.slice('gitops/'.length), out.subarray(start, start + size).toString('utf8'));
    offset = start + size + 1;
  }
  return tree;
}
