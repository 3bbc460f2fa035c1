// Removes the rendered fixture of this jest run (test/global-setup.js).
const fs = require('node:fs');

module.exports = () => {
  const rendered = process.env.PLATFORM_TEST_RENDERED;
  if (rendered) fs.rmSync(rendered, { recursive: true, force: true });
};
