/**
 * A guide whose code is tested: its `ts` blocks are applied to a copy of the repository, and its
 * `text` blocks opening with `$ COMMAND` are what that command prints there (see
 * docs/adding-a-component.md for the conventions).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './helpers';

/** A `ts` block: a new file, or lines inserted after (or replacing) the one line containing `anchor`. */
export type CodeBlock =
  | { readonly kind: 'file'; readonly path: string; readonly body: string }
  | { readonly kind: 'edit'; readonly path: string; readonly where: 'after' | 'replace'; readonly anchor: string; readonly body: string };

/** A `text` block opening with `$ COMMAND`: the command and what it prints. */
export interface Transcript {
  readonly command: string;
  readonly output: string;
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```$/gm;
const FILE = /^\/\/ file: (\S+)$/;
const EDIT = /^\/\/ edit: ([^,\s]+), (after|replace): (.+)$/;

/** The guide's steps in page order: code to apply, transcripts to compare. */
export type Step = { readonly code: CodeBlock } | { readonly transcript: Transcript };

/** The guide's steps; a `ts` block that does not say where it goes is refused. */
export function parseGuide(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const [, lang, content] of markdown.matchAll(FENCE)) {
    const [first = '', ...rest] = content!.split('\n');
    const body = rest.join('\n');
    if (lang === 'ts') {
      const file = FILE.exec(first);
      const edit = EDIT.exec(first);
      if (file) steps.push({ code: { kind: 'file', path: file[1]!, body } });
      else if (edit) steps.push({ code: { kind: 'edit', path: edit[1]!, where: edit[2] as 'after' | 'replace', anchor: edit[3]!, body } });
      else throw new Error(`a ts block must open with "// file: PATH" or "// edit: PATH, after|replace: TEXT", not: ${first}`);
    } else if (lang === 'text' && first.startsWith('$ ')) {
      steps.push({ transcript: { command: first.slice(2), output: body } });
    }
  }
  return steps;
}

/** Applies one block under `root`: a new file must not exist yet, an anchor must be on exactly one line. */
export function applyBlock(root: string, block: CodeBlock): void {
  const file = path.join(root, block.path);
  if (block.kind === 'file') {
    if (fs.existsSync(file)) throw new Error(`${block.path} exists already: the guide's new file would replace it`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, block.body);
    return;
  }
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const at = lines.flatMap((line, i) => (line.includes(block.anchor) ? [i] : []));
  if (at.length !== 1) {
    throw new Error(`${block.path}: "${block.anchor}" is on ${at.length} lines, the guide's edit needs exactly one: update the guide`);
  }
  const replaced = block.where === 'replace' ? 1 : 0;
  lines.splice(at[0]! + 1 - replaced, replaced, ...block.body.replace(/\n$/, '').split('\n'));
  fs.writeFileSync(file, lines.join('\n'));
}

/** The copy: copied, what the guide changes, what imports it and what builds from its own directory; linked, what only is read. */
const COPIED = [
  'model',
  'sites',
  'charts',
  'pipeline',
  'tools',
  'test',
  'main.ts',
  'review.ts',
  'tsconfig.json',
  '.swcrc',
  'eslint.config.mjs',
];
const COPIED_TOO = ['package.json', 'package-lock.json', 'gitops'];
const LINKED = ['node_modules', 'imports'];

/** A copy of the code in `dir` (what the guide changes and what imports it, its configuration), without gitops/ or git. */
export function copySources(dir: string): void {
  for (const entry of COPIED) fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
  for (const entry of LINKED) fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
}

/**
 * A copy of the repository in `dir` with gitops/ committed in a git repository of its own (the
 * diff's base), before the guide's code is applied.
 */
export function copyRepository(dir: string): void {
  copySources(dir);
  for (const entry of COPIED_TOO) fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
  // The bundles, build stamps and code caches the jest run built (test/global-setup.js), as a
  // developer's repository holds them after a synth: the page's commands rebuild what its edits
  // change (by content, tools/build.mjs) instead of every bundle. Not this repository's synth
  // record, nor what other tests write in dist/ meanwhile (a file they remove is skipped).
  const dist = path.join(REPO_ROOT, 'dist');
  fs.mkdirSync(path.join(dir, 'dist'));
  for (const entry of fs.existsSync(dist) ? fs.readdirSync(dist, { withFileTypes: true }) : []) {
    if (!entry.isFile() || !/\.(js|json|v8cache)$/.test(entry.name) || /^test-|^synth-record\.json$/.test(entry.name)) continue;
    try {
      fs.copyFileSync(path.join(dist, entry.name), path.join(dir, 'dist', entry.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const git = (...args: string[]) => run(dir, 'git', ['-c', 'user.name=guide', '-c', 'user.email=guide@example.org', ...args]);
  git('init', '-q', '-b', 'main');
  git('add', 'gitops');
  git('-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'base');
}

// Without GIT_* (a git hook's GIT_DIR would point the copy's git at this repository), without colours, in the C locale.
const ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_'))),
  FORCE_COLOR: '0',
  NO_COLOR: '1',
  LC_ALL: 'C',
};

/** What `command` prints in `dir` on its standard output and error together, whatever its exit status (bounded in time). */
export function transcriptOf(dir: string, command: string): string {
  const result = spawnSync('sh', ['-c', `(${command}) 2>&1`], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 180_000,
    killSignal: 'SIGKILL',
    env: ENV,
  });
  if (result.error) throw result.error;
  return result.stdout;
}

/** Runs `command` in `dir` (bounded in time); throws with its output unless it exits 0. */
export function run(dir: string, command: string, args: readonly string[], timeoutMs = 120_000): string {
  const result = spawnSync(command, args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: ENV,
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${dir}) exited ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/**
 * `run` started in the background: resolves with the command's output once it exits 0, rejects
 * with it otherwise (bounded in time); `stop` kills it if it is still running.
 */
export function start(
  dir: string,
  command: string,
  args: readonly string[],
  timeoutMs = 120_000,
): { done: Promise<string>; stop: () => void } {
  const child: ChildProcess = spawn(command, args, {
    cwd: dir,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) =>
      status === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} (in ${dir}) exited ${status ?? signal}:\n${output}`)),
    );
  });
  // Its failure is the awaiting test's to report.
  done.catch(() => undefined);
  return { done, stop: () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL') };
}
