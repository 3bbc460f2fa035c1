/**
 * The diff at scale: `npm run diff` on a change touching every object of N generated sites. The
 * base tree is the render with a label changed on every object (`app.kubernetes.io/part-of`,
 * selectors included, the worst case: every object changed, every workload rated), committed in a
 * scratch git repository; the head is the render itself. Each phase is timed in a child process:
 * reading the base from git, the diff with its ratings, the Markdown; peak RSS with and without
 * the render that `npm run diff` also does; the diff with the head's YAML parsed, and with the
 * render's own objects handed over. Without the render, the head is handed to the diff one site
 * at a time, as the render makes it (read from the prepared files; reading them is not timed),
 * so the peak is the diff's own; `npm run diff` itself gets the whole tree from renderTree.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { filesByDirectory, GitTree, RenderedDiff, resolveCommit, toMarkdown, type HeadFile, type RatedChange } from '../pipeline/diff';
import type { FileBodies, FileTree } from '../pipeline/files';
import { renderTree } from '../pipeline/synth';
import { generateModel } from './generate-sites';

export interface DiffFigures {
  readonly sites: number;
  readonly files: number;
  readonly changes: number;
  /** The render `npm run diff` does first (0 when the head tree is read from the prepared file). */
  readonly renderMs: number;
  readonly readGitMs: number;
  readonly diffMs: number;
  readonly markdownMs: number;
  /** CPU time (user + system) of this process in the timed steps (git's own processes not included). */
  readonly cpuMs: number;
  readonly peakRssMB: number;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const rssMB = () => process.resourceUsage().maxRSS / 1024;

/** The base: every object's part-of label changed, so every object file differs. */
function relabelled(tree: FileTree): FileTree {
  return new Map(
    [...tree].map(([p, content]) => [
      p,
      content.replace(/app\.kubernetes\.io\/part-of: platform\n/g, 'app.kubernetes.io/part-of: platform-v1\n'),
    ]),
  );
}

/** Child mode, phase 1: render, write the relabelled base into a git repository at `dir`, and the head, a file per top-level directory. */
export function prepareDiffRepo(count: number, dir: string): void {
  const bodies: FileBodies = new Map();
  const { tree } = renderTree(generateModel(count), { validate: false, bodies });
  for (const [p, content] of relabelled(tree)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'gitops', p)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'gitops', p), content);
  }
  fs.mkdirSync(path.join(dir, 'head'));
  let n = 0;
  for (const files of filesByDirectory(tree, bodies)) fs.writeFileSync(path.join(dir, 'head', `${n++}.json`), JSON.stringify(files));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', 'gitops');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-qm', 'base');
  // Packed, as a clone is (CI clones the repository): loose objects cost git a file each to read.
  git('repack', '-adq');
}

/** The prepared head, one top-level directory at a time; with `documents` false, without the render's documents. */
function* preparedHead(dir: string, documents: boolean): Generator<HeadFile[]> {
  const files = fs.readdirSync(path.join(dir, 'head')).sort((a, b) => parseInt(a) - parseInt(b));
  for (const name of files) {
    const head = JSON.parse(fs.readFileSync(path.join(dir, 'head', name), 'utf8')) as HeadFile[];
    yield documents ? head : head.map(({ path: p, content }) => ({ path: p, content }));
  }
}

/**
 * Child mode, phase 2: the diff as `npm run diff` runs it, each step timed: `render` renders
 * first and hands the diff its tree; `diff` and `objects` hand the prepared head over one site at
 * a time, without and with the render's documents.
 */
export function measureDiff(count: number, dir: string, mode: 'render' | 'diff' | 'objects'): DiffFigures {
  let start = process.hrtime.bigint();
  const bodies: FileBodies = new Map();
  const rendered = mode === 'render' ? renderTree(generateModel(count), { validate: false, bodies }).tree : undefined;
  const renderMs = rendered ? ms(start) : 0;
  let cpu = process.cpuUsage();
  let cpuTimed = 0;
  start = process.hrtime.bigint();
  const base = new GitTree(dir, resolveCommit(dir, 'HEAD'));
  const listMs = ms(start);
  const listGitMs = base.gitMs;
  const diff = new RenderedDiff(base);
  cpuTimed += cpuMs(cpu);
  let files = 0;
  let timed = 0;
  const head = rendered ? filesByDirectory(rendered, bodies) : preparedHead(dir, mode === 'objects');
  for (const site of head) {
    files += site.length;
    start = process.hrtime.bigint();
    cpu = process.cpuUsage();
    diff.add(site);
    cpuTimed += cpuMs(cpu);
    timed += ms(start);
  }
  start = process.hrtime.bigint();
  cpu = process.cpuUsage();
  const changes: RatedChange[] = diff.finish();
  base.close();
  // Waiting for the blobs git writes in the background happens inside the diff: counted as git's.
  const blobMs = base.gitMs - listGitMs;
  timed += ms(start);
  start = process.hrtime.bigint();
  const markdown = toMarkdown(changes, { baseRef: 'main', baseCommit: '0'.repeat(40), headCommit: '1'.repeat(40) });
  const markdownMs = ms(start);
  cpuTimed += cpuMs(cpu);
  if (markdown.length === 0 || changes.length === 0) throw new Error('bench: the diff found nothing');
  return {
    sites: count,
    files,
    changes: changes.length,
    renderMs,
    readGitMs: listMs + blobMs,
    diffMs: timed - blobMs,
    markdownMs,
    cpuMs: cpuTimed,
    peakRssMB: rssMB(),
  };
}

/** The flags `npm run diff` gives node (package.json), so that the child runs with the heap the diff has. */
export function diffNodeFlags(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [node, ...words] = manifest.scripts.diff!.split(' ');
  if (node !== 'node') throw new Error(`bench: npm run diff does not start node: ${manifest.scripts.diff}`);
  return words.slice(0, words.indexOf('tools/run.mjs')).filter((w) => w.startsWith('--'));
}

/** Runs the phases in child processes (`script` is the bench bundle): the diff alone, then with the render. */
export function diffRun(script: string, count: number): { diffOnly: DiffFigures; givenObjects: DiffFigures; withRender: DiffFigures } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-diff-'));
  const flags = diffNodeFlags();
  try {
    const run = (phase: string) => {
      const r = spawnSync(process.execPath, [...flags, script], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, BENCH_DIFF_SITES: String(count), BENCH_DIFF_PHASE: phase, BENCH_DIFF_DIR: dir },
      });
      if (r.status !== 0) throw new Error(`bench: diff ${phase} of ${count} sites failed: ${r.stderr}`);
      return r.stdout;
    };
    run('prepare');
    const figures = (phase: string) => JSON.parse(run(phase)) as DiffFigures;
    return { diffOnly: figures('diff'), givenObjects: figures('objects'), withRender: figures('render') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Child mode (BENCH_DIFF_SITES=N, BENCH_DIFF_PHASE, BENCH_DIFF_DIR): one phase, figures as JSON on stdout. */
export function diffChild(env: NodeJS.ProcessEnv): boolean {
  if (env.BENCH_DIFF_SITES === undefined) return false;
  const count = Number(env.BENCH_DIFF_SITES);
  const dir = env.BENCH_DIFF_DIR!;
  if (env.BENCH_DIFF_PHASE === 'prepare') prepareDiffRepo(count, dir);
  else process.stdout.write(JSON.stringify(measureDiff(count, dir, env.BENCH_DIFF_PHASE as 'render' | 'diff' | 'objects')));
  return true;
}
