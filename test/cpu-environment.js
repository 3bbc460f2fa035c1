// jest's node environment, recording each test file's CPU time into the file PLATFORM_TEST_CPU_LOG
// names (jest.config.js uses it only then; bench/ci.ts sets it for the CI run it measures): the
// worker's user and system time, and those of the processes it waited for, from the file's set-up
// (before its modules load) to its teardown, one JSON line a file. A daemon that leaves its parent
// (PostgreSQL's postmaster) is not counted, and a process reaped later counts for a later file.
const fs = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

/** This process's CPU seconds and its waited-for children's, from /proc/self/stat (Linux). */
function cpuNow() {
  // After "pid (comm) ": state is field 0, utime 11, stime 12, cutime 13, cstime 14, in clock ticks
  // (100 a second on Linux).
  const f = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').map(Number);
  return { user: f[11] / 100, system: f[12] / 100, childrenUser: f[13] / 100, childrenSystem: f[14] / 100 };
}

class CpuRecordingEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup() {
    this.startedAt = Date.now();
    this.startCpu = cpuNow();
    await super.setup();
  }

  async teardown() {
    await super.teardown();
    const end = cpuNow();
    const spent = Object.fromEntries(Object.entries(end).map(([k, v]) => [k, Math.round((v - this.startCpu[k]) * 100) / 100]));
    const line = { file: this.testPath, wallSeconds: (Date.now() - this.startedAt) / 1000, ...spent };
    fs.appendFileSync(process.env.PLATFORM_TEST_CPU_LOG, `${JSON.stringify(line)}\n`);
  }
}

module.exports = CpuRecordingEnvironment;
