// What the bench's `ci` group and jest's file order read: .ci/run's step lines, jest-junit's
// report, and the two committed lists (the real-server test files, each file's duration), which
// must name files that exist.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileCpuTimes, junitCases, junitFileOverheads, REAL_SERVER_TESTS, runsRealServer, shellEnvironment, stepTimes } from '../bench/ci';
import { REPO_ROOT } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { durationsFromJunit } = require('./sequencer.js') as { durationsFromJunit: (xml: string) => Record<string, number> };

const JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="0" errors="0" time="12.5">
  <testsuite name="writer" errors="0" failures="0" skipped="0" timestamp="2026-12-02T05:00:00" time="9.25" tests="2">
    <testcase classname="writer stages &amp; &quot;swaps&quot;" name="writer stages &amp; &quot;swaps&quot;" time="2.5" file="test/writer.test.ts">
    </testcase>
    <testcase classname="writer prunes" name="writer prunes" time="0.4" file="test/writer.test.ts">
    </testcase>
  </testsuite>
  <testsuite name="undefined" errors="0" failures="0" skipped="0" timestamp="2026-12-02T05:00:00" time="31.04" tests="1">
    <testcase classname=" keeps a site storing" name=" keeps a site storing" time="12.6" file="test/rehearse-bus.test.ts">
    </testcase>
  </testsuite>
</testsuites>`;

describe('the CI timing records', () => {
  it('reads each test case with its file and time, each file with its suite time and its time outside its tests', () => {
    expect(junitCases(JUNIT)).toEqual([
      { file: 'test/writer.test.ts', name: 'writer stages & "swaps"', seconds: 2.5 },
      { file: 'test/writer.test.ts', name: 'writer prunes', seconds: 0.4 },
      { file: 'test/rehearse-bus.test.ts', name: ' keeps a site storing', seconds: 12.6 },
    ]);
    expect(junitFileOverheads(JUNIT)).toEqual([
      { file: 'test/writer.test.ts', seconds: 6.35 },
      { file: 'test/rehearse-bus.test.ts', seconds: 18.44 },
    ]);
    expect(durationsFromJunit(JUNIT)).toEqual({ 'test/rehearse-bus.test.ts': 31, 'test/writer.test.ts': 9.3 });
  });

  it("reads .ci/run's step lines, and .ci/run prints them in that form", () => {
    const output = [
      'npm output',
      'ci step npm-ci         33.1 s, CPU 20.4 s, system 9.0 s',
      'ci step jest          101.0 s, CPU ? s',
      'ci step total         140.2 s, CPU 180.0 s, system 60.5 s',
      '',
    ].join('\n');
    expect(stepTimes(output)).toEqual([
      { name: 'npm-ci', seconds: 33.1, cpuSeconds: 20.4, systemSeconds: 9 },
      { name: 'jest', seconds: 101 },
      { name: 'total', seconds: 140.2, cpuSeconds: 180, systemSeconds: 60.5 },
    ]);
    const run = fs.readFileSync(path.join(REPO_ROOT, '.ci', 'run'), 'utf8');
    expect(run).toContain(`printf 'ci step %-12s %6s s, CPU %s\\n'`);
    // .ci/run's own function, in a shell that waited for half a second of CPU: the form the bench reads.
    const cpuSeconds = /^cpu_seconds\(\) \{\n[\s\S]*?\n\}\n/m.exec(run)![0];
    const measured = spawnSync(
      'bash',
      [
        '-c',
        `${cpuSeconds}( self=$BASHPID; ${JSON.stringify(process.execPath)} -e 'let x = 0; while (process.cpuUsage().user < 5e5) for (let i = 0; i < 1e6; i++) x += i;'; cpu_seconds "$self" )`,
      ],
      {
        encoding: 'utf8',
      },
    );
    const [line] = stepTimes(`ci step jest 1.0 s, CPU ${measured.stdout}\n`);
    expect(line!.cpuSeconds).toBeGreaterThanOrEqual(0.5);
    expect(line!.systemSeconds).toBeLessThanOrEqual(line!.cpuSeconds!);
  });

  it("reads each test file's CPU time as test/cpu-environment.js records it, most first; jest uses it only when asked", () => {
    const log = [
      { file: `${REPO_ROOT}/test/a.test.ts`, wallSeconds: 3, user: 1, system: 0.5, childrenUser: 0, childrenSystem: 0 },
      { file: `${REPO_ROOT}/test/b.test.ts`, wallSeconds: 9, user: 0.2, system: 0.1, childrenUser: 2, childrenSystem: 1 },
    ]
      .map((line) => JSON.stringify(line))
      .join('\n');
    expect(fileCpuTimes(`${log}\n`, REPO_ROOT).map((f) => [f.file, f.cpu])).toEqual([
      ['test/b.test.ts', 3.3],
      ['test/a.test.ts', 1.5],
    ]);
    const config = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['-p', 'require("./jest.config.js").testEnvironment'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...env },
      }).stdout.trim();
    expect(config({})).toBe('node');
    expect(config({ PLATFORM_TEST_CPU_LOG: '/tmp/x' })).toBe('<rootDir>/test/cpu-environment.js');
  });

  it('names only test files that exist, as real-server tests and in test/durations.json', () => {
    const exists = (file: string) => fs.existsSync(path.join(REPO_ROOT, file));
    expect(REAL_SERVER_TESTS.filter((f) => !exists(f))).toEqual([]);
    const durations = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test', 'durations.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(durations).filter((f) => !exists(f))).toEqual([]);
    expect(runsRealServer('test/bus-live.test.ts')).toBe(true);
    expect(runsRealServer('test/new-thing-live.test.ts')).toBe(true);
    expect(runsRealServer('test/writer.test.ts')).toBe(false);
  });

  it('runs the CI of the clone in the environment of a shell, not of npm', () => {
    const env = shellEnvironment({
      HOME: '/root',
      npm_config_loglevel: 'silent',
      npm_lifecycle_event: 'bench',
      INIT_CWD: '/work/main',
      PATH: [
        '/work/main/node_modules/.bin',
        '/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin',
        '/usr/local/bin',
        '/usr/bin',
      ].join(path.delimiter),
    });
    expect(env).toEqual({ HOME: '/root', PATH: ['/usr/local/bin', '/usr/bin'].join(path.delimiter) });
  });
});
