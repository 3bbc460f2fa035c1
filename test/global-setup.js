// The child-process tests run the same bundle `npm run synth` runs: build it once per jest run.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', 'tools', 'build.mjs')], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
};
