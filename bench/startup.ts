/**
 * The synth's start-up as users meet it, side by side with F (node loading cdk8s and
 * cdk8s-plus-28): each round times F and each case of S one after the other, and each ratio is
 * the median of the rounds' ratios, so that load on the machine during one round weighs on both.
 *   unchanged  `node tools/run.mjs main`, nothing changed since the last run
 *   touched    every source of the bundle touched (mtimes moved, same bytes): no rebundle
 *   edited     as after an edit of one source file: the build stamp no longer matches that file
 *              (pipeline/render.ts), so the bundle is rebuilt, and the bundle's code cache is gone
 *              (an edited bundle has other bytes, which the cache refuses). The working tree is
 *              not edited: a bench stopped halfway leaves no source changed.
 *   npm        `npm run synth`: the same plus npm's own start
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
/** The file the `edited` case takes as edited. */
const EDITED = 'pipeline/render.ts';
const STAMP = path.join(root, 'dist', 'main.inputs.json');

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Wall time of one run of `command` (through sh, in the repository), in ms. */
export function timeOnce(command: string, env: NodeJS.ProcessEnv = {}): number {
  const start = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', command], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`bench: '${command}' failed: ${r.stderr.toString()}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export interface StartupFigures {
  readonly f: number;
  readonly unchanged: number;
  readonly touched: number;
  readonly edited: number;
  readonly npm: number;
  readonly unchangedRatio: number;
  readonly touchedRatio: number;
  readonly editedRatio: number;
}

const readStamp = () => JSON.parse(fs.readFileSync(STAMP, 'utf8')) as Record<string, { sha1: string }>;

/** The sources bundled into dist/main.js, as its build stamp lists them. */
function bundleSources(): string[] {
  return Object.keys(readStamp()).filter((f) => fs.existsSync(path.join(root, f)));
}

/** What an edit of EDITED leaves for the next run: a stamp that does not match it, no code cache. */
function asIfEdited(): void {
  const stamp = readStamp();
  stamp[EDITED] = { ...stamp[EDITED]!, sha1: 'edited' };
  fs.writeFileSync(STAMP, JSON.stringify(stamp));
  fs.rmSync(path.join(root, 'dist', 'main.js.v8cache'), { force: true });
}

/** `runs` rounds of F, S unchanged, S touched, S edited and npm run synth, writing into `out`. */
export function measureStartup(out: string, runs: number): StartupFigures {
  const synth = `node tools/run.mjs main --out ${out}`;
  const F = `node -e "require('cdk8s'); require('cdk8s-plus-28')"`;
  const rounds: { f: number; unchanged: number; touched: number; edited: number; npm: number }[] = [];
  timeOnce(synth); // builds and caches whatever is stale, so that the first round starts unchanged
  for (let i = 0; i < runs; i++) {
    const f = timeOnce(F);
    const unchanged = timeOnce(synth);
    const now = new Date();
    for (const file of bundleSources()) fs.utimesSync(path.join(root, file), now, now);
    const touched = timeOnce(synth);
    asIfEdited();
    const edited = timeOnce(synth);
    const npm = timeOnce(`npm run --silent synth -- --out ${out}`);
    rounds.push({ f, unchanged, touched, edited, npm });
  }
  const of = (k: 'f' | 'unchanged' | 'touched' | 'edited' | 'npm') => median(rounds.map((r) => r[k]));
  const ratio = (k: 'unchanged' | 'touched' | 'edited') => median(rounds.map((r) => r[k] / r.f));
  return {
    f: of('f'),
    unchanged: of('unchanged'),
    touched: of('touched'),
    edited: of('edited'),
    npm: of('npm'),
    unchangedRatio: ratio('unchanged'),
    touchedRatio: ratio('touched'),
    editedRatio: ratio('edited'),
  };
}
