// Removes this jest run's directory (test/global-setup.js): the rendered fixture, and the temp
// directories the tests gave up (test/helpers.ts), also when tests failed.
const fs = require('node:fs');

module.exports = () => {
  const rendered = process.env.PLATFORM_TEST_RENDERED;
  if (rendered) fs.rmSync(rendered, { recursive: true, force: true });
};
