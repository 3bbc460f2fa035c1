/**
 * The `ci` group of `npm run bench`: `CI=true bash .ci/run` on a fresh clone of HEAD (in a temp
 * directory, so with no node_modules/, dist/ or jest cache of its own), its wall time against the
 * 60 s target, the wall and CPU time of each step as .ci/run prints it, the tests slower than 2 s
 * that do not run a real server, read from the run's junit.xml, and the test files that cost the
 * most CPU time (test/cpu-environment.js).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Row } from './report';

const TARGET_S = 60;
const SLOW_TEST_S = 2;

/**
 * The test files that run a real server or program the tests stand on (nats-server, PostgreSQL,
 * haproxy, promtool, amtool, Prometheus and its exporters, rclone, kubectl), by name: their tests
 * may take longer than 2 s. Any file named `*-live.test.ts` counts too.
 */
export const REAL_SERVER_TESTS: readonly string[] = [
  'test/bus.test.ts',
  'test/bus-live.test.ts',
  'test/bus-live-rollout.test.ts',
  'test/diff-postgres.test.ts',
  'test/edge-haproxy.test.ts',
  'test/kustomize.test.ts',
  'test/monitoring-alertmanager.test.ts',
  'test/monitoring-exporters.test.ts',
  'test/monitoring-health-exporter.test.ts',
  'test/monitoring-prometheus-live.test.ts',
  'test/monitoring-rules.test.ts',
  'test/postgres.test.ts',
  'test/postgres-restore.test.ts',
  'test/postgres-standby-health.test.ts',
  'test/postgres-tls.test.ts',
  'test/rehearse-bus.test.ts',
  'test/rehearse-database.test.ts',
  'test/rehearse-edge.test.ts',
];

export const runsRealServer = (file: string): boolean => REAL_SERVER_TESTS.includes(file) || file.endsWith('-live.test.ts');

/**
 * The environment of a shell, not of `npm run bench`: without npm's own variables (a
 * `npm run -s bench` would silence every npm script of the CI run through npm_config_loglevel) and
 * without the node_modules/.bin directories npm put first in PATH (the clone must use its own).
 */
export function shellEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept = Object.entries(env).filter(([name]) => !/^npm_/i.test(name) && name !== 'INIT_CWD');
  const out: NodeJS.ProcessEnv = Object.fromEntries(kept);
  if (env.PATH !== undefined)
    out.PATH = env.PATH.split(path.delimiter)
      .filter((dir) => !dir.split(path.sep).includes('node_modules'))
      .join(path.delimiter);
  return out;
}

interface TestCase {
  readonly file: string;
  readonly name: string;
  readonly seconds: number;
}

/** Every test case of a jest-junit report written with file attributes. */
export function junitCases(xml: string): TestCase[] {
  const attribute = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
  const unescape = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  return [...xml.matchAll(/<testcase [^>]*>/g)].map(([tag]) => ({
    file: attribute(tag, 'file') ?? '?',
    name: unescape(attribute(tag, 'name') ?? '?'),
    seconds: Number(attribute(tag, 'time') ?? 0),
  }));
}

/**
 * Each test file's time outside its tests (module loading, transform, `beforeAll`/`afterAll`): the
 * suite's time less its cases', from the same report. A fixture shared by several tests is not in
 * any test's time, so the bench prints these beside the slow tests.
 */
export function junitFileOverheads(xml: string): { file: string; seconds: number }[] {
  return [...xml.matchAll(/<testsuite [^>]*\btime="([^"]*)"[^>]*>([\s\S]*?)<\/testsuite>/g)].flatMap(([, time, body]) => {
    const cases = junitCases(body!);
    if (cases.length === 0) return [];
    const inCases = cases.reduce((sum, c) => sum + c.seconds, 0);
    return [{ file: cases[0]!.file, seconds: Math.round((Number(time) - inCases) * 1000) / 1000 }];
  });
}

/**
 * `ci step NAME SECONDS s, CPU SECONDS s, system SECONDS s` lines of .ci/run's output (CPU time,
 * user + system, and the system part; "CPU ? s" off Linux, left out).
 */
export function stepTimes(output: string): { name: string; seconds: number; cpuSeconds?: number; systemSeconds?: number }[] {
  return [...output.matchAll(/^ci step (\S+) +([\d.]+) s(?:, CPU (?:\?|([\d.]+) s, system ([\d.]+)) s)?$/gm)].map(
    ([, name, seconds, cpu, system]) => ({
      name: name!,
      seconds: Number(seconds),
      ...(cpu === undefined ? {} : { cpuSeconds: Number(cpu), systemSeconds: Number(system) }),
    }),
  );
}

/** A test file's CPU time in a jest run, as test/cpu-environment.js records it (seconds). */
export interface FileCpu {
  readonly file: string;
  readonly wallSeconds: number;
  readonly user: number;
  readonly system: number;
  readonly childrenUser: number;
  readonly childrenSystem: number;
}

/** test/cpu-environment.js's log, repository-relative file names, most CPU first. */
export function fileCpuTimes(log: string, root: string): (FileCpu & { cpu: number })[] {
  return log
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FileCpu)
    .map((f) => ({ ...f, file: path.relative(root, f.file), cpu: f.user + f.system + f.childrenUser + f.childrenSystem }))
    .sort((a, b) => b.cpu - a.cpu);
}

/** CPU seconds (user + system) of this process's waited-for descendants, from /proc; undefined elsewhere. */
function childrenCpuSeconds(): number | undefined {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // After the command name: state is field 0, cutime 13 and cstime 14, in clock ticks (100 a second on Linux).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

/** Clones HEAD of `repo` and runs its CI there once, its output into `log`; the rows to print. */
export function measureCi(repo: string, log: string): Row[] {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ci-'));
  try {
    const clone = path.join(scratch, 'repo');
    const cloned = spawnSync('git', ['clone', '-q', repo, clone], { encoding: 'utf8' });
    if (cloned.status !== 0) throw new Error(`bench: git clone ${repo} failed: ${cloned.stderr}`);
    const head = spawnSync('git', ['-C', clone, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    fs.mkdirSync(path.dirname(log), { recursive: true });
    const out = fs.openSync(log, 'w');
    const cpuLog = path.join(scratch, 'test-cpu.jsonl');
    const cpuBefore = childrenCpuSeconds();
    const start = process.hrtime.bigint();
    const ci = spawnSync('bash', ['.ci/run'], {
      cwd: clone,
      env: { ...shellEnvironment(process.env), CI: 'true', PLATFORM_TEST_CPU_LOG: cpuLog },
      stdio: ['ignore', out, out],
      timeout: 30 * 60_000,
      killSignal: 'SIGKILL',
    });
    const wallS = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuAfter = childrenCpuSeconds();
    const cpu =
      cpuBefore === undefined || cpuAfter === undefined ? '' : `, CPU time ${(cpuAfter - cpuBefore).toFixed(0)} s (user + system)`;
    fs.closeSync(out);
    const output = fs.readFileSync(log, 'utf8');
    const passed = ci.status === 0;
    const rows: Row[] = [
      {
        what: `CI=true bash .ci/run, fresh clone of ${head}`,
        figure: `${wallS.toFixed(1)} s`,
        note: `${passed ? 'passed' : `FAILED (exit ${ci.status ?? ci.signal})`}, its output in ${path.relative(repo, log)}${cpu}`,
        targets: [
          { label: 's', value: wallS, op: '<=', limit: TARGET_S, digits: 1 },
          { label: 'passed', value: passed ? 1 : 0, op: '>=', limit: 1, digits: 0 },
        ],
      },
    ];
    for (const s of stepTimes(output).filter((s) => s.name !== 'total')) {
      rows.push({
        what: `  step ${s.name}`,
        figure: `${s.seconds.toFixed(1)} s`,
        ...(s.cpuSeconds === undefined ? {} : { note: `CPU ${s.cpuSeconds.toFixed(1)} s (system ${s.systemSeconds!.toFixed(1)} s)` }),
      });
    }
    const junit = path.join(clone, 'junit.xml');
    const cases = fs.existsSync(junit) ? junitCases(fs.readFileSync(junit, 'utf8')) : [];
    // Kept beside the log: per-file times for comparing runs (`node test/sequencer.js` reads it too).
    if (fs.existsSync(junit)) fs.copyFileSync(junit, log.replace(/\.log$/, '') + '-junit.xml');
    const slow = cases.filter((c) => c.seconds > SLOW_TEST_S).sort((a, b) => b.seconds - a.seconds);
    const unexcused = slow.filter((c) => !runsRealServer(c.file));
    rows.push({
      what: `tests slower than ${SLOW_TEST_S} s, no real server`,
      figure: `${unexcused.length}`,
      note: `of ${cases.length} tests; ${slow.length - unexcused.length} slower ones run a real server (bench/ci.ts REAL_SERVER_TESTS, *-live.test.ts)`,
      targets: [{ label: 'count', value: unexcused.length, op: '<=', limit: 0, digits: 0 }],
    });
    for (const c of unexcused) rows.push({ what: `  ${c.file}`, figure: `${c.seconds.toFixed(1)} s`, note: c.name.slice(0, 110) });
    const overheads = fs.existsSync(junit) ? junitFileOverheads(fs.readFileSync(junit, 'utf8')) : [];
    const heavy = overheads.filter((o) => o.seconds > SLOW_TEST_S && !runsRealServer(o.file)).sort((a, b) => b.seconds - a.seconds);
    rows.push({
      what: `files over ${SLOW_TEST_S} s outside their tests, no real server`,
      figure: `${heavy.length}`,
      note: "module loading and shared fixtures (beforeAll), in no test's time; not a target, shown so that a fixture cannot hide a slow test",
    });
    for (const o of heavy) rows.push({ what: `  ${o.file}`, figure: `${o.seconds.toFixed(1)} s` });
    const files = fs.existsSync(cpuLog) ? fileCpuTimes(fs.readFileSync(cpuLog, 'utf8'), clone) : [];
    if (files.length > 0) {
      const sum = (pick: (f: FileCpu) => number) => files.reduce((total, f) => total + pick(f), 0);
      rows.push({
        what: 'test files, CPU time in jest',
        figure: `${sum((f) => f.user + f.system + f.childrenUser + f.childrenSystem).toFixed(0)} s`,
        note: `${files.length} files; system ${sum((f) => f.system + f.childrenSystem).toFixed(0)} s of it; their processes' ${sum((f) => f.childrenUser + f.childrenSystem).toFixed(0)} s (test/cpu-environment.js); the most:`,
      });
      for (const f of files.slice(0, 12)) {
        const system = f.system + f.childrenSystem;
        rows.push({
          what: `  ${f.file}`,
          figure: `${f.cpu.toFixed(1)} s`,
          note: `system ${system.toFixed(1)} s, its processes ${(f.childrenUser + f.childrenSystem).toFixed(1)} s, wall ${f.wallSeconds.toFixed(1)} s`,
        });
      }
      fs.copyFileSync(cpuLog, log.replace(/\.log$/, '') + '-cpu.jsonl');
    }
    const stale = REAL_SERVER_TESTS.filter((f) => !fs.existsSync(path.join(clone, f)));
    if (stale.length > 0) rows.push({ what: '  REAL_SERVER_TESTS names missing files', figure: '', note: stale.join(', ') });
    return rows;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
