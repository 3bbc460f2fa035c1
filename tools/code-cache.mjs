// Runs a CommonJS bundle with V8's code cache. A code cache made right after compiling holds only
// the top-level code (what v8-compile-cache and Node 22's module.enableCompileCache keep); most of
// a bundle's functions are compiled lazily while it runs, so the cache is made when the process
// exits, with every function compiled so far. It is kept beside the bundle (`<bundle>.v8cache`),
// headed by the SHA-1 of the bundle's bytes and the V8 version: any other bundle or node ignores it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire, Module } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

const HEADER_BYTES = 128;

/** Loads `file` as the main CommonJS module, as `require(file)` would, compiled with its code cache. */
export function runWithCodeCache(file) {
  const source = fs.readFileSync(file, 'utf8');
  const tag = `${createHash('sha1').update(source).digest('hex')} ${process.versions.v8}`.padEnd(HEADER_BYTES);
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    const cache = fs.readFileSync(cacheFile);
    if (cache.subarray(0, HEADER_BYTES).toString('latin1') === tag) cachedData = cache.subarray(HEADER_BYTES);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData, importModuleDynamically: undefined });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, Buffer.concat([Buffer.from(tag, 'latin1'), script.createCachedData()]));
        fs.renameSync(tmp, cacheFile);
      } catch {
        // A cache that cannot be written only costs the next run its compile.
      }
    });
  }
  // As node loads a main module: id '.', and require.main is this module.
  const module = new Module('.', undefined);
  module.filename = file;
  module.paths = Module._nodeModulePaths(path.dirname(file));
  process.mainModule = module;
  const run = script.runInThisContext();
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  return module.exports;
}
