/** Reads the rendered tree (gitops/) as it is at a git ref, without checking anything out. */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { PlatformError } from '../../model/errors';
import type { FileTree } from '../files';
import { BlobFile } from './blob-file';

function gitBytes(root: string, args: string[]): Buffer {
  try {
    return execFileSync('git', args, { cwd: root, maxBuffer: 1024 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new PlatformError([{ message: `git ${args.join(' ')} failed: ${stderr || (err as Error).message}` }]);
  }
}

const git = (root: string, args: string[]): string => gitBytes(root, args).toString('utf8');

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

/** The rendered tree a diff starts from: its paths, and each file's bytes when asked for. */
export interface BaseFiles {
  /** Every path, relative to gitops/. */
  readonly paths: readonly string[];
  has(path: string): boolean;
  /** Whether the file at `path` holds exactly `content` (without reading it, where the blob ids tell). */
  holds(path: string, content: string): boolean;
  content(path: string): string | undefined;
  /** A key of the file's bytes (a blob id): files with the same key hold the same bytes. */
  keyOf(path: string): string | undefined;
  /** Whether another path may hold the same bytes (false: what is made of this file's bytes serves no other file). */
  shared(path: string): boolean;
}

/** A tree in memory as the base (semanticDiff of two trees in memory). */
export function baseOfTree(tree: FileTree): BaseFiles {
  return {
    paths: [...tree.keys()],
    has: (p) => tree.has(p),
    holds: (p, content) => tree.get(p) === content,
    content: (p) => tree.get(p),
    keyOf: (p) => tree.get(p),
    shared: () => true,
  };
}

/** node's one-call hash (20.12 and later): a third of a Hash object's cost on a 1.5 KB text. */
const hashOnce = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** Git's id of a blob of `bytes` bytes, `content` (`git hash-object`), SHA-1 or, in a SHA-256 repository, SHA-256. */
function blobId(content: string, bytes: number, algorithm: 'sha1' | 'sha256'): string {
  const header = `blob ${bytes}\0`;
  if (hashOnce) return hashOnce(algorithm, header + content, 'hex');
  return crypto.createHash(algorithm).update(header).update(content, 'utf8').digest('hex');
}

/** A file of the listing: its blob id and size. */
interface Entry {
  readonly sha: string;
  readonly size: number;
}

/** Bytes read at once from the file of blobs. */
const WINDOW_BYTES = 256 * 1024;

const shortRead = (path: string, size: number, at: number) =>
  new PlatformError([{ message: `the file of blobs from git ended before ${path} (${size} bytes at ${at})` }]);

/**
 * gitops/ at a commit, as git stores it: the listing gives each file's blob id and size, so a
 * rendered file of another size differs, and one of the same size is hashed as git does (a file
 * whose bytes did not change is never read). As soon as the tree is listed, one `git cat-file
 * --batch` starts writing every distinct blob of it into a temporary file (removed at once, kept
 * open), in the order of the listing, while the diff goes on beside it; a file's bytes are read
 * from it when asked for, waiting only if git has not written them yet: the blobs stay out of the
 * process's memory, and git's time overlaps the diff's (and the render's, for `npm run diff`).
 */
export class GitTree implements BaseFiles {
  readonly paths: readonly string[];
  private readonly entries = new Map<string, Entry>();
  private lastPath: string | undefined;
  private lastEntry: Entry | undefined;
  /** The blobs that more than one path holds. */
  private readonly sharedBlobs = new Set<string>();
  private readonly blobs: BlobFile;
  /** The part of the file of blobs read last. */
  private window: { readonly bytes: Buffer; start: number; length: number } | undefined;
  /** Milliseconds spent in git (listing, and waiting for blobs), for the bench. */
  gitMs = 0;

  constructor(
    root: string,
    readonly commit: string,
  ) {
    const start = performance.now();
    // Each entry is `<mode> <type> <sha> <size padded>\t<path>\0`; strings are cut from the bytes
    // so that no path keeps the whole listing alive. The bytes are scanned here, not with one
    // indexOf() call per field (a call into C++ each, 4 per file).
    const listing = gitBytes(root, ['ls-tree', '-r', '-l', '-z', commit, '--', 'gitops/']);
    const skip = 'gitops/'.length;
    const n = listing.length;
    for (let at = 0; at < n;) {
      let i = at;
      while (i < n && listing[i] !== 0x20) i++;
      const type = i + 1;
      i = type;
      while (i < n && listing[i] !== 0x20) i++;
      const sha = i + 1;
      i = sha;
      while (i < n && listing[i] !== 0x20) i++;
      const shaEnd = i;
      let size = 0;
      for (; i < n && listing[i] !== 0x09; i++) if (listing[i] !== 0x20) size = size * 10 + listing[i]! - 0x30;
      const tab = i;
      while (i < n && listing[i] !== 0) i++;
      if (sha - type === 5 && listing[type] === 0x62 /* b */ && listing[type + 1] === 0x6c /* l */)
        this.entries.set(listing.toString('utf8', tab + 1 + skip, i), { sha: listing.toString('latin1', sha, shaEnd), size });
      at = i + 1;
    }
    this.paths = [...this.entries.keys()];
    const sizes = new Map<string, number>();
    for (const { sha, size } of this.entries.values())
      if (sizes.has(sha)) this.sharedBlobs.add(sha);
      else sizes.set(sha, size);
    this.blobs = new BlobFile(root, sizes);
    this.gitMs += performance.now() - start;
  }

  has(path: string): boolean {
    return this.entry(path) !== undefined;
  }

  holds(path: string, content: string): boolean {
    const entry = this.entry(path);
    // Most changed files change size: the length is cheaper than the hash.
    return (
      entry !== undefined &&
      Buffer.byteLength(content, 'utf8') === entry.size &&
      blobId(content, entry.size, entry.sha.length === 64 ? 'sha256' : 'sha1') === entry.sha
    );
  }

  keyOf(path: string): string | undefined {
    return this.entry(path)?.sha;
  }

  shared(path: string): boolean {
    const entry = this.entry(path);
    return entry !== undefined && this.sharedBlobs.has(entry.sha);
  }

  content(path: string): string | undefined {
    const entry = this.entry(path);
    if (entry === undefined) return undefined;
    const start = performance.now();
    const at = this.blobs.waitFor(entry.sha, entry.size);
    this.gitMs += performance.now() - start;
    // Each blob is read with the header git wrote before it, which must be the one expected (a
    // missing object would shift every offset after it).
    const header = `${entry.sha} blob ${entry.size}\n`;
    const from = at - header.length;
    const length = header.length + entry.size;
    let bytes: Buffer;
    let offset: number;
    if (length > WINDOW_BYTES) {
      bytes = Buffer.allocUnsafe(length);
      offset = 0;
      if (fs.readSync(this.blobs.fd, bytes, 0, length, from) !== length) throw shortRead(path, entry.size, at);
    } else {
      // The files of a site are asked for in path order, as git wrote them: one read serves many
      // (a window holds only bytes git had written when it was read).
      const window = (this.window ??= { bytes: Buffer.allocUnsafe(WINDOW_BYTES), start: 0, length: 0 });
      if (from < window.start || from + length > window.start + window.length) {
        window.start = from;
        window.length = fs.readSync(this.blobs.fd, window.bytes, 0, WINDOW_BYTES, from);
        if (length > window.length) throw shortRead(path, entry.size, at);
      }
      bytes = window.bytes;
      offset = from - window.start;
    }
    if (bytes.toString('latin1', offset, offset + header.length) !== header)
      throw new PlatformError([{ message: `git cat-file --batch wrote another blob than ${entry.sha} where ${path} was expected` }]);
    return bytes.toString('utf8', offset + header.length, offset + length);
  }

  /** The entry of `path`; the diff asks about one path several times in a row (has, holds, content...). */
  private entry(path: string): Entry | undefined {
    if (path === this.lastPath) return this.lastEntry;
    this.lastPath = path;
    return (this.lastEntry = this.entries.get(path));
  }

  /** Stops git if it is still writing, and closes the file of blobs (the tree reads no more). */
  close(): void {
    this.blobs.close();
    this.window = undefined;
  }
}

/** Every file under gitops/ at `ref`, keyed by path relative to gitops/. */
export function readTreeAtRef(root: string, ref: string): FileTree {
  const base = new GitTree(root, resolveCommit(root, ref));
  try {
    return new Map(base.paths.map((p) => [p, base.content(p)!]));
  } finally {
    base.close();
  }
}
