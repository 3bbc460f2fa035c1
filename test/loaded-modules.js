// Preloaded by test/cli.test.ts (`node --require`): when the process exits, writes every CommonJS
// module it loaded, one path a line, to $LOADED_MODULES_FILE. The bundles of dist/ are loaded into
// that same module cache (tools/code-cache.mjs), so the list tells which of them a command loaded.
const fs = require('node:fs');
const { Module } = require('node:module');

process.once('exit', () => fs.writeFileSync(process.env.LOADED_MODULES_FILE, `${Object.keys(Module._cache).join('\n')}\n`));
