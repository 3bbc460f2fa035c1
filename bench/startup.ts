/**
 * The synth's start-up as users meet it, side by side with F (node loading cdk8s and
 * cdk8s-plus-28): each round times F and each case of S one after the other, and each ratio is
 * the median of the rounds' ratios, so that load on the machine during one round weighs on both.
 *   unchanged  `node tools/run.mjs main`, nothing changed since the last run: the synth record
 *              (tools/synth-record.cjs) matches, so the inputs and gitops/ are hashed, nothing rendered
 *   touched    every source of the bundles touched (mtimes moved, same bytes): no rebundle, and the
 *              record still matches
 *   rendered   the record emptied: the render with nothing to rebundle and every cache warm (what
 *              any change to gitops/ costs, or a model that needs AWS outputs)
 *   edited     as after an edit of one source file: the build stamp no longer matches that file
 *              (pipeline/render.ts), so the bundle of its directory (tools/bundles.cjs) is
 *              rebuilt, and that bundle's code cache and the synth record are gone (an edited
 *              bundle has other bytes, which both refuse): a rebundle, a cold compile and a
 *              render. The working tree is not edited: a bench stopped halfway leaves no source
 *              changed.
 *   chart      the same for a chart file (charts/bus/link.ts, in dist/charts-bus.js)
 *   npm        `npm run synth`: the same plus npm's own start
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { layerBundleOf, SHARED_BUNDLES } from '../tools/bundles.cjs';
import { diffNodeFlags } from './diff-sites';

const root = path.resolve(__dirname, '..');
/** The files the `edited` and `chart` cases take as edited. */
const EDITED = { edited: 'pipeline/render.ts', chart: 'charts/bus/link.ts' } as const;
/** The build stamp of a bundle (tools/build.mjs). */
const stampOf = (bundle: string) => path.join(root, 'dist', `${bundle}.inputs.json`);

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One run of a command: wall time, and the CPU time (user + system) of its processes, in ms. */
export interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

const seconds = (m: string, s: string) => Number(m) * 60_000 + Number(s) * 1000;

/**
 * Times one run of `command` (through sh, in the repository). The CPU time comes from the shell's
 * `times` (its children's user and system time): on a machine shared with other work it moves
 * much less than the wall time.
 */
export function timeRun(command: string, env: NodeJS.ProcessEnv = {}): Timing {
  const start = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `{ ${command}\n} >/dev/null; s=$?; times >&3; exit $s`], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`bench: '${command}' failed: ${String(r.output[2])}`);
  const children = String(r.output[3]).trim().split('\n')[1] ?? '';
  const [, um = '0', us = '0', sm = '0', ss = '0'] = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(children) ?? [];
  return { wall, cpu: seconds(um, us) + seconds(sm, ss) };
}

/** Wall time of one run of `command`, in ms. */
export function timeOnce(command: string, env: NodeJS.ProcessEnv = {}): number {
  return timeRun(command, env).wall;
}

type Case = 'f' | 'unchanged' | 'touched' | 'rendered' | 'edited' | 'chart' | 'npm';

export interface StartupFigures {
  /** Median wall time of each case, ms. */
  readonly wall: Readonly<Record<Case, number>>;
  /** Median of the rounds' wall-time ratios to F. */
  readonly ratio: Readonly<Record<Exclude<Case, 'f'>, number>>;
  /** Median of the rounds' CPU-time ratios to F. */
  readonly cpuRatio: Readonly<Record<Exclude<Case, 'f'>, number>>;
}

const readStamp = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { sha1: string; mtimeMs: number }>;

/** The sources bundled into dist/main.js and the shared bundles it loads, as their build stamps list them. */
function bundleSources(): string[] {
  const sources = new Set(['main', ...SHARED_BUNDLES].flatMap((b) => Object.keys(readStamp(stampOf(b)))));
  return [...sources].filter((f) => fs.existsSync(path.join(root, f)));
}

/**
 * What an edit of `file` leaves for the next run: a stamp of its bundle that does not
 * match it (another mtime, so that the check hashes it, and another hash), no code cache for that
 * bundle (the other bundles keep theirs), and no recorded synth that matches (an edited bundle
 * has other bytes).
 */
function asIfEdited(file: string): void {
  const bundle = layerBundleOf(file)!.name;
  const stamp = readStamp(stampOf(bundle));
  stamp[file] = { ...stamp[file]!, mtimeMs: 0, sha1: 'edited' };
  fs.writeFileSync(stampOf(bundle), JSON.stringify(stamp));
  fs.rmSync(path.join(root, 'dist', `${bundle}.js.main.v8cache`), { force: true });
  forgetRecordedRuns();
}

/** Empties the synth record (tools/synth-record.cjs), keeping its file stamps: the next synth renders. */
function forgetRecordedRuns(): void {
  const record = path.join(root, 'dist', 'synth-record.json');
  if (fs.existsSync(record)) fs.writeFileSync(record, JSON.stringify({ ...JSON.parse(fs.readFileSync(record, 'utf8')), entries: [] }));
}

/** `runs` rounds of F, S unchanged, S touched, S rendered, S edited (pipeline, then a chart) and npm run synth, writing into `out`. */
export function measureStartup(out: string, runs: number): StartupFigures {
  const synth = `node tools/run.mjs main --out ${out}`;
  const F = `node -e "require('cdk8s'); require('cdk8s-plus-28')"`;
  const rounds: Record<Case, Timing>[] = [];
  timeOnce(synth); // builds and caches whatever is stale, so that the first round starts unchanged
  for (let i = 0; i < runs; i++) {
    const f = timeRun(F);
    const unchanged = timeRun(synth);
    const now = new Date();
    for (const file of bundleSources()) fs.utimesSync(path.join(root, file), now, now);
    const touched = timeRun(synth);
    forgetRecordedRuns();
    const rendered = timeRun(synth);
    asIfEdited(EDITED.edited);
    const edited = timeRun(synth);
    asIfEdited(EDITED.chart);
    const chart = timeRun(synth);
    const npm = timeRun(`npm run --silent synth -- --out ${out}`);
    rounds.push({ f, unchanged, touched, rendered, edited, chart, npm });
  }
  const cases = ['unchanged', 'touched', 'rendered', 'edited', 'chart', 'npm'] as const;
  const per = <T>(make: (k: (typeof cases)[number]) => T) =>
    Object.fromEntries(cases.map((k) => [k, make(k)])) as Record<(typeof cases)[number], T>;
  return {
    wall: { f: median(rounds.map((r) => r.f.wall)), ...per((k) => median(rounds.map((r) => r[k].wall))) },
    ratio: per((k) => median(rounds.map((r) => r[k].wall / r.f.wall))),
    cpuRatio: per((k) => median(rounds.map((r) => r[k].cpu / Math.max(r.f.cpu, 1)))),
  };
}

/**
 * `npm run diff` on the committed sites (against HEAD, with its node flags, minus npm's start) and S rendering with
 * nothing to rebundle (the record emptied before each: the diff renders too), round by round: the
 * median of the rounds' ratios D/S.
 */
export function measureDiffOfCommittedSites(out: string, runs: number): { diff: number; ratio: number } {
  const synth = `node tools/run.mjs main --out ${out}`;
  const diff = ['node', ...diffNodeFlags(), 'tools/run.mjs review diff --base HEAD --format text'].join(' ');
  timeOnce(diff); // builds the review bundle if stale
  const rounds = Array.from({ length: runs }, () => {
    forgetRecordedRuns();
    return { s: timeOnce(synth), d: timeOnce(diff) };
  });
  return { diff: median(rounds.map((r) => r.d)), ratio: median(rounds.map((r) => r.d / r.s)) };
}
