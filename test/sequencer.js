// Longest test files first, so that the last file to finish is not a long one started late. jest
// orders by the durations it cached on earlier runs; a fresh clone (CI) has no cache, and jest
// would then order by file size, which starts the live tests (small files that wait on servers)
// last. test/durations.json holds each file's time in a CI run; a file it does not list (a new
// one) gets DEFAULT_SECONDS, between the live tests and the quick ones. To refresh the list from a
// run's JUnit report (`bash .ci/run` writes junit.xml with file names): node test/sequencer.js junit.xml
const fs = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const root = path.join(__dirname, '..');
const DURATIONS = path.join(__dirname, 'durations.json');
const DEFAULT_SECONDS = 5;

/** test/durations.json: repository-relative test file -> seconds. */
function committedDurations() {
  try {
    return JSON.parse(fs.readFileSync(DURATIONS, 'utf8'));
  } catch {
    return {};
  }
}

class LongestFirst extends Sequencer {
  constructor(...args) {
    super(...args);
    this.committed = committedDurations();
  }

  /** This machine's own last time of the file if jest cached one, else the committed one, in ms. */
  time(test) {
    const cached = super.time(test);
    if (cached !== undefined) return cached;
    const seconds = this.committed[path.relative(root, test.path)];
    return (seconds ?? DEFAULT_SECONDS) * 1000;
  }
}

/** Each test file's time in a JUnit report (jest-junit with JEST_JUNIT_ADD_FILE_ATTRIBUTE=true), rounded to 0.1 s. */
function durationsFromJunit(xml) {
  const durations = {};
  for (const [, attributes, body] of xml.matchAll(/<testsuite ([^>]*)>([\s\S]*?)<\/testsuite>/g)) {
    const time = /\btime="([\d.]+)"/.exec(attributes);
    const file = /<testcase [^>]*\bfile="([^"]+)"/.exec(body);
    if (time && file) durations[path.relative(root, path.resolve(root, file[1]))] = Math.round(Number(time[1]) * 10) / 10;
  }
  return Object.fromEntries(Object.entries(durations).sort(([a], [b]) => (a < b ? -1 : 1)));
}

if (require.main === module) {
  const report = process.argv[2];
  if (!report) {
    console.error('usage: node test/sequencer.js JUNIT_XML (rewrites test/durations.json)');
    process.exit(2);
  }
  const durations = durationsFromJunit(fs.readFileSync(report, 'utf8'));
  if (Object.keys(durations).length === 0) {
    console.error(`${report}: no test file names (run jest-junit with JEST_JUNIT_ADD_FILE_ATTRIBUTE=true)`);
    process.exit(1);
  }
  fs.writeFileSync(DURATIONS, `${JSON.stringify(durations, null, 2)}\n`);
  console.log(`${DURATIONS}: ${Object.keys(durations).length} test files`);
}

module.exports = LongestFirst;
module.exports.durationsFromJunit = durationsFromJunit;
