// Once per jest run: build the bundles the child-process tests run (the same ones `npm run synth`
// runs), and render gitops/ once with them into dist/test-rendered/, the fixture the tests that
// start from a rendered tree copy instead of each rendering it again.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

module.exports = () => {
  execFileSync(process.execPath, [path.join(root, 'tools', 'build.mjs')], { stdio: 'inherit', cwd: root });
  const rendered = path.join(root, 'dist', 'test-rendered');
  fs.rmSync(rendered, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(root, 'tools', 'run.mjs'), 'main', '--out', rendered], { stdio: 'ignore', cwd: root });
};
