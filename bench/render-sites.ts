/**
 * `npm run bench`: prints the speed and memory figures of the synth, measured on this machine.
 *   F  node loading cdk8s and cdk8s-plus-28, then exiting
 *   S  what `npm run synth` runs on the real sites (tools/run.mjs: esbuild bundle when a source
 *      changed, then render, validation and write), with and without the bundling step
 *   C  `cdk8s synth` with the default type-checking `npx ts-node main.ts` app, same code
 *   render of 50 and 200 generated sites: wall time, ms per object, peak RSS (one child process each)
 * Each figure is the median of several runs. Targets (issue 2): S <= 3 x F, C / S >= 8,
 * 200 sites at <= 0.25 ms per object and <= 250 MB peak RSS, cost growing linearly.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderTree } from '../pipeline/synth';
import { generateModel } from './generate-sites';

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

/** Child mode: render N generated sites in this process and print the figures as JSON. */
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
    const r = spawnSync(process.execPath, [__filename, '--render', String(count)], { cwd: root, encoding: 'utf8' });
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

function main(): void {
  const renderArg = process.argv.indexOf('--render');
  if (renderArg >= 0) return renderChild(Number(process.argv[renderArg + 1]));
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    const f = timeCommand(`node -e "require('cdk8s'); require('cdk8s-plus-28')"`, runs);
    // What `npm run synth` runs: tools/run.mjs bundles main.ts when an input changed (cold: forced
    // here by removing the build stamp), then renders, validates and writes in the same process.
    const sCold = timeCommand(`rm -f dist/main.inputs.json && node tools/run.mjs main --out ${out}`, runs);
    const s = timeCommand(`node tools/run.mjs main --out ${out}`, runs);
    const c = timeCommand(
      `npx cdk8s synth --no-check-upgrade --app "npx ts-node main.ts --out ${out}" -o ${path.join(out, 'cdk8s-out')}`,
      Math.min(runs, 3),
      {
        CDK8S_CHECK_UPGRADE: 'false',
      },
    );
    const r50 = renderRun(50, Math.min(runs, 3));
    const r200 = renderRun(200, Math.min(runs, 3));
    const perObject = (r: RenderFigures) => r.ms / r.objects;
    const rows: [string, string, string][] = [
      ['F  load cdk8s + cdk8s-plus-28', `${f.toFixed(0)} ms`, ''],
      ['S  npm run synth, sources changed (bundle + render)', `${sCold.toFixed(0)} ms`, `S/F = ${(sCold / f).toFixed(2)} (target <= 3)`],
      ['S  npm run synth, nothing to rebundle', `${s.toFixed(0)} ms`, `S/F = ${(s / f).toFixed(2)} (target <= 3)`],
      ['C  cdk8s synth, ts-node app', `${c.toFixed(0)} ms`, `C/S = ${(c / sCold).toFixed(1)} against the bundling S (target >= 8)`],
      [
        `render 50 sites (${r50.objects} objects)`,
        `${r50.ms.toFixed(0)} ms`,
        `${perObject(r50).toFixed(3)} ms/object, peak RSS ${r50.peakRssMB.toFixed(0)} MB`,
      ],
      [
        `render 200 sites (${r200.objects} objects)`,
        `${r200.ms.toFixed(0)} ms`,
        `${perObject(r200).toFixed(3)} ms/object (target <= 0.25), peak RSS ${r200.peakRssMB.toFixed(0)} MB (target <= 250)`,
      ],
      ['growth 50 -> 200 sites', '', `time x${(r200.ms / r50.ms).toFixed(2)} for x4 sites (linear = 4)`],
    ];
    console.log(`bench (node ${process.version}, ${os.cpus().length} cores, medians of ${runs} runs; C, renders: ${Math.min(runs, 3)})`);
    for (const [what, value, note] of rows) console.log(`${what.padEnd(52)} ${value.padStart(9)}  ${note}`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

main();
