/**
 * `npm run bench [-- --runs N] [--only startup,cdk8s,render]`: prints the speed and memory figures
 * of the synth, measured on this machine, each row as soon as it is measured (what is being
 * measured goes to stderr), every target met or flagged MISSED, and a closing line.
 *   F  node loading cdk8s and cdk8s-plus-28, then exiting
 *   S  what `npm run synth` runs on the real sites (tools/run.mjs: esbuild bundle when a source
 *      changed, then render, validation and write), with and without the bundling step
 *   C  `cdk8s synth` with the default type-checking `npx ts-node main.ts` app, same code
 *   render of 50 and 200 generated sites: wall time, ms per object, peak RSS (one child process each)
 * Each figure is the median of several runs. Targets (issue 2): S <= 3 x F, C / S >= 8,
 * 200 sites at <= 0.25 ms per object and <= 250 MB peak RSS, cost growing at most linearly.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderTree } from '../pipeline/synth';
import { parseCommandLine, runCommand, usageError } from '../tools/cli';
import { diffChild, diffRun } from './diff-sites';
import { generateModel } from './generate-sites';
import { formatRow, summary, type Row } from './report';

const root = path.resolve(__dirname, '..');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function timeCommand(command: string, runs: number, env: NodeJS.ProcessEnv = {}): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync('sh', ['-c', command], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`bench: '${command}' failed: ${r.stderr.toString()}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

interface RenderFigures {
  sites: number;
  objects: number;
  ms: number;
  peakRssMB: number;
}

/** Child mode (BENCH_RENDER_SITES=N): render N generated sites in this process and print the figures as JSON. */
function renderChild(count: number): void {
  const model = generateModel(count);
  const start = process.hrtime.bigint();
  const { objects, tree } = renderTree(model);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (tree.size === 0) throw new Error('nothing rendered');
  const figures: RenderFigures = { sites: count, objects, ms, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(figures));
}

function renderRun(count: number, runs: number): RenderFigures {
  const results: RenderFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [__filename], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BENCH_RENDER_SITES: String(count) },
    });
    if (r.status !== 0) throw new Error(`bench: render of ${count} sites failed: ${r.stderr}`);
    results.push(JSON.parse(r.stdout) as RenderFigures);
  }
  return {
    sites: count,
    objects: results[0]!.objects,
    ms: median(results.map((x) => x.ms)),
    peakRssMB: median(results.map((x) => x.peakRssMB)),
  };
}

const GROUPS = ['startup', 'cdk8s', 'render', 'diff'] as const;
type Group = (typeof GROUPS)[number];

const COMMAND = {
  name: 'bench',
  usage: 'npm run bench -- [--runs N] [--only startup,cdk8s,render,diff]',
  options: { runs: { type: 'string' }, only: { type: 'string' } },
  help: {
    runs: 'runs per figure, the median is printed (default 5; C and the renders take at most 3)',
    only: 'measure only these groups: startup (F, S), cdk8s (C), render (50 and 200 sites), diff (200 sites, every object changed)',
  },
} as const;

function parse(argv: readonly string[]): { runs: number; groups: readonly Group[] } {
  const args = parseCommandLine(COMMAND, argv);
  const runs = args.runs === undefined ? 5 : Number(args.runs);
  if (!Number.isInteger(runs) || runs < 1) throw usageError(COMMAND, `--runs takes a whole number >= 1, not '${args.runs}'`);
  const groups = args.only === undefined ? [...GROUPS] : args.only.split(',');
  const unknown = groups.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length > 0 || groups.length === 0) throw usageError(COMMAND, `--only takes ${GROUPS.join(', ')}, not '${args.only}'`);
  return { runs, groups: groups as Group[] };
}

function main(): number {
  if (diffChild(process.env)) return 0;
  const child = process.env.BENCH_RENDER_SITES;
  if (child !== undefined) {
    renderChild(Number(child));
    return 0;
  }
  const { runs, groups } = parse(process.argv.slice(2));
  const few = Math.min(runs, 3);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const rows: Row[] = [];
  const print = (row: Row) => {
    rows.push(row);
    console.log(formatRow(row));
  };
  const measuring = (what: string, n: number) => console.error(`bench: measuring ${what} (${n} run${n > 1 ? 's' : ''})`);
  const once = <T>(measure: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= measure());
  };
  try {
    console.log(`bench (node ${process.version}, ${os.cpus().length} cores, medians of ${runs} runs; C, renders: ${few})`);
    const f = once(() => {
      measuring('F, node loading cdk8s and cdk8s-plus-28', runs);
      return timeCommand(`node -e "require('cdk8s'); require('cdk8s-plus-28')"`, runs);
    });
    // What `npm run synth` runs: tools/run.mjs bundles main.ts when an input changed (cold: forced
    // here by removing the build stamp), then renders, validates and writes in the same process.
    const sCold = once(() => {
      measuring('S, npm run synth after a source change (bundle + render)', runs);
      return timeCommand(`rm -f dist/main.inputs.json && node tools/run.mjs main --out ${out}`, runs);
    });
    const ratio = (label: string, value: number) => ({ label, value, op: '<=', limit: 3, digits: 2 }) as const;
    if (groups.includes('startup')) {
      print({ what: 'F  load cdk8s + cdk8s-plus-28', figure: `${f().toFixed(0)} ms` });
      print({
        what: 'S  npm run synth, sources changed (bundle + render)',
        figure: `${sCold().toFixed(0)} ms`,
        targets: [ratio('S/F', sCold() / f())],
      });
      measuring('S, npm run synth with nothing to rebundle', runs);
      const s = timeCommand(`node tools/run.mjs main --out ${out}`, runs);
      print({ what: 'S  npm run synth, nothing to rebundle', figure: `${s.toFixed(0)} ms`, targets: [ratio('S/F', s / f())] });
    }
    if (groups.includes('cdk8s')) {
      measuring('C, cdk8s synth with a ts-node app', few);
      const c = timeCommand(
        `npx cdk8s synth --no-check-upgrade --app "npx ts-node main.ts --out ${out}" -o ${path.join(out, 'cdk8s-out')}`,
        few,
        { CDK8S_CHECK_UPGRADE: 'false' },
      );
      const cs = { label: 'C/S against the bundling S', value: c / sCold(), op: '>=', limit: 8, digits: 1 } as const;
      print({ what: 'C  cdk8s synth, ts-node app', figure: `${c.toFixed(0)} ms`, targets: [cs] });
    }
    if (groups.includes('render')) {
      const perObject = (r: RenderFigures) => r.ms / r.objects;
      measuring('the render of 50 generated sites', few);
      const r50 = renderRun(50, few);
      print({
        what: `render 50 sites (${r50.objects} objects)`,
        figure: `${r50.ms.toFixed(0)} ms`,
        note: `${perObject(r50).toFixed(3)} ms/object, peak RSS ${r50.peakRssMB.toFixed(0)} MB`,
      });
      measuring('the render of 200 generated sites', few);
      const r200 = renderRun(200, few);
      print({
        what: `render 200 sites (${r200.objects} objects)`,
        figure: `${r200.ms.toFixed(0)} ms`,
        targets: [
          { label: 'ms/object', value: perObject(r200), op: '<=', limit: 0.25, digits: 3 },
          { label: 'peak RSS MB', value: r200.peakRssMB, op: '<=', limit: 250, digits: 0 },
        ],
      });
      print({
        what: 'growth 50 -> 200 sites',
        figure: '',
        targets: [{ label: 'time ratio for x4 sites (linear = 4)', value: r200.ms / r50.ms, op: '<=', limit: 4, digits: 2 }],
      });
    }
    if (groups.includes('diff')) {
      measuring('npm run diff on 200 generated sites, every object changed', 1);
      const { diffOnly: d, givenObjects: g, withRender: r } = diffRun(__filename, 200);
      const steps = (x: typeof d) => `git ${x.readGitMs.toFixed(0)} + diff ${x.diffMs.toFixed(0)} + markdown ${x.markdownMs.toFixed(0)} ms`;
      const total = d.readGitMs + d.diffMs + d.markdownMs;
      print({
        what: `diff 200 sites, ${d.changes} changes (${d.files} files)`,
        figure: `${total.toFixed(0)} ms`,
        note: `${steps(d)}, peak RSS ${d.peakRssMB.toFixed(0)} MB`,
      });
      print({
        what: "diff 200 sites, given the render's objects",
        figure: `${(g.readGitMs + g.diffMs + g.markdownMs).toFixed(0)} ms`,
        note: `${steps(g)}, peak RSS ${g.peakRssMB.toFixed(0)} MB (no YAML parse of the head)`,
      });
      print({
        what: 'diff 200 sites with its render',
        figure: `${(r.renderMs + r.readGitMs + r.diffMs + r.markdownMs).toFixed(0)} ms`,
        note: `render ${r.renderMs.toFixed(0)} + ${steps(r)}, peak RSS ${r.peakRssMB.toFixed(0)} MB`,
      });
    }
    console.log(summary(rows));
    return 0;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

runCommand(main);
