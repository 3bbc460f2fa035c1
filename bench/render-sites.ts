/**
 * `npm run bench [-- --runs N] [--only startup,cdk8s,render,diff,ci]`: prints the speed and memory
 * figures of the synth, measured on this machine, each row as soon as it is measured (what is
 * being measured goes to stderr), every target met or flagged MISSED, and a closing line.
 *   F  node loading cdk8s and cdk8s-plus-28, then exiting
 *   S  what `npm run synth` runs on the real sites minus npm's own start (tools/run.mjs), measured
 *      round by round against F (bench/startup.ts): nothing changed, sources touched, rendered
 *      with nothing to rebundle, one file edited (of the pipeline, of a chart)
 *   C  `cdk8s synth` with the default type-checking `npx ts-node main.ts` app, same code
 *   render of 50, 200 and 1,000 generated sites: wall time, ms per object, peak RSS (one child each)
 *   diff of the 2 committed sites against S, and of 200 generated sites with every object changed
 *   ci: `CI=true bash .ci/run` on a fresh clone of HEAD, its steps and slow tests (bench/ci.ts)
 * Each figure is the median of several runs. Targets: S <= 1.5 x F unchanged or touched, <= 2 x F
 * after an edit; C / S >= 8; 1,000 sites at <= 0.15 ms per object and <= 250 MB peak RSS; the
 * 200-site diff in <= 2 s and <= 300 MB, the 2-site one in <= 1.5 x S (the synth that renders).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommandLine, runCommand, usageError } from '../tools/cli';
import { measureCi } from './ci';
import { formatRow, summary, type Row } from './report';

const root = path.resolve(__dirname, '..');

/** What measures (the pipeline, cdk8s, the generated sites), loaded once the command line is known good. */
const loadMeasures = async () => {
  const [synth, memory, diffSites, generate, startup] = await Promise.all([
    import('../pipeline/synth'),
    import('../pipeline/synth-memory'),
    import('./diff-sites'),
    import('./generate-sites'),
    import('./startup'),
  ]);
  return { ...synth, ...memory, ...diffSites, ...generate, ...startup };
};
type Measures = Awaited<ReturnType<typeof loadMeasures>>;

function timeCommand(m: Measures, command: string, runs: number, env: NodeJS.ProcessEnv = {}): number {
  return m.median(Array.from({ length: runs }, () => m.timeOnce(command, env)));
}

interface RenderFigures {
  sites: number;
  objects: number;
  ms: number;
  peakRssMB: number;
}

/**
 * Child mode (BENCH_RENDER_SITES=N): synthesize N generated sites into an empty root, as `npm run
 * synth` does (validated, staged and swapped in, under the node flags it gives a model of N
 * sites), and print the figures as JSON. The root is BENCH_RENDER_ROOT, left for the bench to
 * remove once everything is measured, or else a temporary directory removed after the run.
 */
function renderChild(m: Measures, count: number, given: string | undefined): void {
  const model = m.generateModel(count);
  const dir = given ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-render-'));
  const start = process.hrtime.bigint();
  const { objects, diff } = m.synth({ root: dir, model });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (given === undefined) fs.rmSync(dir, { recursive: true, force: true });
  if (diff.added.length === 0) throw new Error('nothing rendered');
  const figures: RenderFigures = { sites: count, objects, ms, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(figures));
}

/**
 * The render of `count` generated sites, `runs` times, each into a new directory below `out`. The
 * trees are removed with `out`, once every figure is measured: on ext4 without a journal (this
 * machine's /), the inode allocator skips every inode freed in the last minute or more
 * (`recently_deleted` in fs/ext4/ialloc.c), so deleting a run's 40,000 to 200,000 files before the
 * next run made each file that run created cost several times as much (README, Performance).
 */
function renderRun(m: Measures, count: number, runs: number, out: string): RenderFigures {
  const results: RenderFigures[] = [];
  for (let i = 0; i < runs; i++) {
    // With the node flags and environment `npm run synth` would start a model of this size with.
    const r = spawnSync(process.execPath, [...m.nodeFlagsFor(count, []), __filename], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        ...m.nodeEnvFor(count, process.env),
        BENCH_RENDER_SITES: String(count),
        BENCH_RENDER_ROOT: fs.mkdtempSync(path.join(out, `render-${count}-`)),
      },
    });
    if (r.status !== 0) throw new Error(`bench: render of ${count} sites failed: ${r.stderr}`);
    results.push(JSON.parse(r.stdout) as RenderFigures);
  }
  return {
    sites: count,
    objects: results[0]!.objects,
    ms: m.median(results.map((x) => x.ms)),
    peakRssMB: m.median(results.map((x) => x.peakRssMB)),
  };
}

// ci last and in the default list: it is a target of its own, and run last it does not load the
// machine while the other figures are measured (one run, a few minutes: bench/ci.ts).
const GROUPS = ['startup', 'cdk8s', 'render', 'diff', 'ci'] as const;
type Group = (typeof GROUPS)[number];

const COMMAND = {
  name: 'bench',
  usage: 'npm run bench -- [--runs N] [--only startup,cdk8s,render,diff,ci]',
  options: { runs: { type: 'string' }, only: { type: 'string' } },
  help: {
    runs: 'runs per figure, the median is printed (default 5; C and the renders take at most 3)',
    only: 'measure only these groups: startup (F, S), cdk8s (C), render (50 and 200 sites), diff (200 sites, every object changed), ci (CI=true bash .ci/run on a fresh clone of HEAD, once)',
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

async function main(): Promise<number> {
  // Checked first: the bench's children (BENCH_DIFF_SITES, BENCH_RENDER_SITES) are started without arguments.
  const { runs, groups } = parse(process.argv.slice(2));
  const m = await loadMeasures();
  if (m.diffChild(process.env)) return 0;
  const child = process.env.BENCH_RENDER_SITES;
  if (child !== undefined) {
    renderChild(m, Number(child), process.env.BENCH_RENDER_ROOT);
    return 0;
  }
  const few = Math.min(runs, 3);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const rows: Row[] = [];
  const print = (row: Row) => {
    rows.push(row);
    console.log(formatRow(row));
  };
  const measuring = (what: string, n: number) => console.error(`bench: measuring ${what} (${n} run${n > 1 ? 's' : ''})`);
  try {
    console.log(`bench (node ${process.version}, ${os.cpus().length} cores, medians of ${runs} runs; C, renders: ${few})`);
    const ratio = (label: string, value: number, limit: number) => ({ label, value, op: '<=', limit, digits: 2 }) as const;
    let sEdited: number | undefined;
    if (groups.includes('startup')) {
      measuring('F and S side by side: nothing changed, touched, rendered, one file edited, one chart edited, through npm', runs);
      const s = m.measureStartup(out, runs);
      sEdited = s.wall.edited;
      print({ what: 'F  load cdk8s + cdk8s-plus-28', figure: `${s.wall.f.toFixed(0)} ms` });
      const cases = [
        ['unchanged', 'S  synth, nothing changed', 1.5],
        ['touched', 'S  synth, every source touched (same bytes)', 1.5],
        ['rendered', 'S  synth, rendered (no record matches)', undefined],
        ['edited', 'S  synth, one source file edited (rebundle)', 2],
        ['chart', 'S  synth, one chart file edited (rebundle)', 2],
      ] as const;
      for (const [k, what, limit] of cases)
        print({
          what,
          figure: `${s.wall[k].toFixed(0)} ms`,
          ...(limit === undefined
            ? { note: `CPU-time ratio ${s.cpuRatio[k].toFixed(2)}, S/F = ${s.ratio[k].toFixed(2)}` }
            : { note: `CPU-time ratio ${s.cpuRatio[k].toFixed(2)}`, targets: [ratio('S/F', s.ratio[k], limit)] }),
        });
      print({
        what: "npm's own share of npm run synth",
        figure: `${(s.wall.npm - s.wall.unchanged).toFixed(0)} ms`,
        note: `npm run synth ${s.wall.npm.toFixed(0)} ms (${s.ratio.npm.toFixed(2)} x F); node tools/run.mjs main skips it`,
      });
    }
    if (groups.includes('cdk8s')) {
      measuring('C, cdk8s synth with a ts-node app', few);
      const c = timeCommand(
        m,
        `npx cdk8s synth --no-check-upgrade --app "npx ts-node main.ts --out ${out}" -o ${path.join(out, 'cdk8s-out')}`,
        few,
        { CDK8S_CHECK_UPGRADE: 'false' },
      );
      const cs = {
        label: 'C/S against the bundling S',
        value: c / (sEdited ?? m.measureStartup(out, 1).wall.edited),
        op: '>=',
        limit: 8,
        digits: 1,
      } as const;
      print({ what: 'C  cdk8s synth, ts-node app', figure: `${c.toFixed(0)} ms`, targets: [cs] });
    }
    if (groups.includes('render')) {
      const perObject = (r: RenderFigures) => r.ms / r.objects;
      measuring('the render of 50 generated sites', few);
      const r50 = renderRun(m, 50, few, out);
      print({
        what: `render 50 sites (${r50.objects} objects)`,
        figure: `${r50.ms.toFixed(0)} ms`,
        note: `${perObject(r50).toFixed(3)} ms/object, peak RSS ${r50.peakRssMB.toFixed(0)} MB`,
      });
      measuring('the render of 200 generated sites', few);
      const r200 = renderRun(m, 200, few, out);
      print({
        what: `render 200 sites (${r200.objects} objects)`,
        figure: `${r200.ms.toFixed(0)} ms`,
        note: `${perObject(r200).toFixed(3)} ms/object, peak RSS ${r200.peakRssMB.toFixed(0)} MB`,
      });
      measuring('the render of 1000 generated sites', 1);
      const r1000 = renderRun(m, 1000, 1, out);
      print({
        what: `render 1000 sites (${r1000.objects} objects)`,
        figure: `${r1000.ms.toFixed(0)} ms`,
        targets: [
          { label: 'ms/object', value: perObject(r1000), op: '<=', limit: 0.15, digits: 3 },
          { label: 'peak RSS MB', value: r1000.peakRssMB, op: '<=', limit: 250, digits: 0 },
        ],
      });
      const perSiteMB = (r1000.peakRssMB - r200.peakRssMB) / 800;
      print({
        what: 'growth 50 -> 200 -> 1000 sites',
        figure: '',
        note: `ms/object ${perObject(r50).toFixed(3)} -> ${perObject(r200).toFixed(3)} -> ${perObject(r1000).toFixed(3)}, peak RSS ${r200.peakRssMB.toFixed(0)} MB at 200 -> ${r1000.peakRssMB.toFixed(0)} MB at 1000 sites (${perSiteMB.toFixed(2)} MB per added site)`,
        targets: [{ label: 'time ratio for x5 sites (linear = 5)', value: r1000.ms / r200.ms, op: '<=', limit: 5, digits: 2 }],
      });
    }
    if (groups.includes('diff')) {
      measuring('npm run diff on the committed sites, side by side with S', runs);
      const small = m.measureDiffOfCommittedSites(out, runs);
      print({
        what: 'npm run diff, the 2 committed sites (against HEAD)',
        figure: `${small.diff.toFixed(0)} ms`,
        targets: [{ label: 'D/S', value: small.ratio, op: '<=', limit: 1.5, digits: 2 }],
      });
      measuring('npm run diff on 200 generated sites, every object changed', 1);
      const { diffOnly: d, givenObjects: g, withRender: r } = m.diffRun(__filename, 200);
      const steps = (x: typeof d) =>
        `git ${x.readGitMs.toFixed(0)} + diff ${x.diffMs.toFixed(0)} + markdown ${x.markdownMs.toFixed(0)} ms (CPU ${x.cpuMs.toFixed(0)} ms besides git's)`;
      const total = (x: typeof d) => x.readGitMs + x.diffMs + x.markdownMs;
      print({
        what: `diff 200 sites, head parsed (${d.changes} changes)`,
        figure: `${total(d).toFixed(0)} ms`,
        note: `${steps(d)}, peak RSS ${d.peakRssMB.toFixed(0)} MB`,
      });
      print({
        what: "npm run diff 200 sites, given the render's objects",
        figure: `${total(g).toFixed(0)} ms`,
        note: `${d.files} files, ${steps(g)}`,
        targets: [
          { label: 's', value: total(g) / 1000, op: '<=', limit: 2, digits: 2 },
          { label: 'peak RSS MB', value: g.peakRssMB, op: '<=', limit: 300, digits: 0 },
        ],
      });
      print({
        what: 'npm run diff 200 sites, with its render',
        figure: `${(r.renderMs + total(r)).toFixed(0)} ms`,
        note: `render ${r.renderMs.toFixed(0)} + ${steps(r)}, peak RSS ${r.peakRssMB.toFixed(0)} MB`,
      });
    }
    if (groups.includes('ci')) {
      measuring('CI=true bash .ci/run on a fresh clone of HEAD', 1);
      for (const row of measureCi(root, path.join(root, '.bench', 'ci-run.log'))) print(row);
    }
    console.log(summary(rows));
    return 0;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

runCommand(main);
