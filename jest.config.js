/** @type {import('jest').Config} */
module.exports = {
  // node's; PLATFORM_TEST_CPU_LOG=FILE records each file's CPU time there (bench/ci.ts sets it).
  testEnvironment: process.env.PLATFORM_TEST_CPU_LOG ? '<rootDir>/test/cpu-environment.js' : 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'], '^.+/node_modules/jsondiffpatch/.+\\.js$': ['@swc/jest'] },
  // jsondiffpatch ships ES modules only: compiled to CommonJS like our sources.
  transformIgnorePatterns: ['/node_modules/(?!jsondiffpatch/)'],
  // Each test file loads its modules again: compiled once per worker (test/jest-runtime.js), and of
  // cdk8s-plus-28 only the `k8s` bindings the charts use, as the bundles take it (tools/build.mjs).
  runtime: '<rootDir>/test/jest-runtime.js',
  moduleNameMapper: { '^cdk8s-plus-28$': '<rootDir>/test/cdk8s-plus-k8s.js' },
  // Snapshots live in __snapshots__/ at the repository root (the layout of the design card).
  snapshotResolver: '<rootDir>/test/snapshot-resolver.js',
  testTimeout: 60000,
  // Under CI, one worker more than the 2 cores CI runs on: the real-server files spend most of
  // their time waiting on their servers (in a CI run, about 190 s of worker time for 45 s of CPU),
  // and with a worker per core those waits left a core idle (README, Performance). Locally jest's
  // default, so that a developer's machine stays usable while the tests run.
  // PLATFORM_TEST_WORKERS overrides the count (to compare worker counts with bench's `ci` group).
  ...(process.env.PLATFORM_TEST_WORKERS
    ? { maxWorkers: Number(process.env.PLATFORM_TEST_WORKERS) }
    : process.env.CI
      ? { maxWorkers: 3 }
      : {}),
  // Longest files first, from test/durations.json on a fresh clone (no jest cache there).
  testSequencer: '<rootDir>/test/sequencer.js',
  // How long jest waits for a worker to exit once the run is done before it kills it and warns that
  // "a worker process has failed to exit gracefully" (jest's default 500 ms). Here no worker holds a
  // handle, a timer or a process then (each file's leftovers were listed at its teardown and at the
  // end, test/*.ts leave none), and each emits its 'exit' within a few ms, but a worker that ran
  // 30 files has 300 to 650 MB to tear down, which on a loaded machine took longer than 500 ms: a
  // worker kept alive by a leak still gets the warning, after 5 s.
  workerGracefulExitTimeout: 5000,
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
};
