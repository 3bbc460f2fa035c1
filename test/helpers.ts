import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Site } from '../sites';

export const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * A temp directory, given up by the returned cleanup. Under jest it is moved into this run's
 * directory (test/global-setup.js), which the run's teardown removes with everything in it: a file
 * system without a journal (ext4 here) skips every inode freed in the last minute or more each
 * time it creates a file, so files removed as the run goes make every later file creation of the
 * run slower; removed at the end, they cost the same once.
 */
export function tempDir(prefix = 'platform-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => removeLater(dir) };
}

/** Moves `dir` into this jest run's directory for its teardown to remove; removes it now outside jest, or if it cannot be moved. */
function removeLater(dir: string): void {
  const run = process.env.PLATFORM_TEST_RENDERED;
  if (run !== undefined && process.env.PLATFORM_TEST_DEFER !== '0') {
    try {
      fs.renameSync(dir, path.join(run, 'removed', path.basename(dir)));
      return;
    } catch {
      // Removed already, or elsewhere than the run's file system: removed below.
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A temp directory inside this jest run's own (test/global-setup.js), which the run's teardown
 * removes even when the file's hooks do not run (a directory made as a file is collected, whose
 * tests a filter skips), and the returned cleanup removes earlier.
 */
export function runTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const run = process.env.PLATFORM_TEST_RENDERED;
  if (run === undefined) throw new Error('PLATFORM_TEST_RENDERED is unset: run the tests through jest (test/global-setup.js makes it)');
  const dir = fs.mkdtempSync(path.join(run, prefix));
  return { dir, cleanup: () => removeLater(dir) };
}

/** gitops/ as the synth CLI writes it, rendered once per jest run by test/global-setup.js (copy it, never change it). */
export function renderedGitops(): string {
  const rendered = process.env.PLATFORM_TEST_RENDERED;
  if (rendered === undefined)
    throw new Error('PLATFORM_TEST_RENDERED is unset: run the tests through jest (test/global-setup.js renders it)');
  return path.join(rendered, 'gitops');
}

/** Runs the built synth CLI as `npm run synth` does (tools/run.mjs: the bundle with its code cache). */
export function runSynth(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(REPO_ROOT, 'tools', 'run.mjs'), 'main', ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
}

/** runSynth without blocking this process, for runs a test makes side by side; killed after 2 minutes. */
export function runSynthAsync(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'tools', 'run.mjs'), 'main', ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Deep-copies a site and applies a change, for tests that break one field. */
export function withChange(site: Site, change: (draft: Record<string, unknown>) => void): Site {
  const draft = structuredClone(site) as unknown as Record<string, unknown>;
  change(draft);
  return draft as unknown as Site;
}

/**
 * sha256 of every regular file below dir with its path, sorted by path, for byte-for-byte
 * comparisons (what `find . -type f | sort | xargs sha256sum` lists, read in this process: a test
 * takes several, and five processes each cost more than hashing a rendered tree).
 */
export function treeDigest(dir: string): string {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const file = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile()) files.push(file);
    }
  };
  walk('');
  return filesDigest(files.map((file) => [file, fs.readFileSync(path.join(dir, file))]));
}

/** What treeDigest gives for a tree holding exactly `files` ([path, content]). */
export function filesDigest(files: Iterable<readonly [string, string | Buffer]>): string {
  return [...files]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, content]) => `${createHash('sha256').update(content).digest('hex')}  ./${file}\n`)
    .join('');
}
