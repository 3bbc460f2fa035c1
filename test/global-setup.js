// Once per jest run: build the bundles the child-process tests run (the same ones `npm run synth`
// runs), and render gitops/ once with them into a directory of this run (PLATFORM_TEST_RENDERED,
// removed by test/global-teardown.js), the fixture the tests that start from a rendered tree copy
// instead of each rendering it again. A directory per run: two jest runs never share one. The
// temp directories the tests are done with are moved into it (test/helpers.ts) and removed with it
// at the end: by the teardown, or as jest's process exits if the teardown did not run.
// PLATFORM_TEST_TMPDIR (.ci/run sets it to a RAM file system when there is one with room) is where
// the run's directory and every temp file of the tests and of the processes they start go: TMPDIR
// is set to it before jest starts its workers (jest's own cache stays where it was).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');

module.exports = () => {
  execFileSync(process.execPath, [path.join(root, 'tools', 'build.mjs')], { stdio: 'inherit', cwd: root });
  if (process.env.PLATFORM_TEST_TMPDIR) process.env.TMPDIR = process.env.PLATFORM_TEST_TMPDIR;
  const rendered = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-rendered-'));
  fs.mkdirSync(path.join(rendered, 'removed'));
  process.once('exit', () => fs.rmSync(rendered, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.join(root, 'tools', 'run.mjs'), 'main', '--out', rendered], { stdio: 'ignore', cwd: root });
  // Set before jest starts its workers, which inherit it.
  process.env.PLATFORM_TEST_RENDERED = rendered;
};
