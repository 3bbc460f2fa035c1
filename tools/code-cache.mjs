// Runs CommonJS bundles with V8's code cache. A code cache made right after compiling holds only
// the top-level code (what v8-compile-cache and Node 22's module.enableCompileCache keep); most of
// a bundle's functions are compiled lazily while it runs, so the cache is made when the process
// exits, with every function compiled so far. It is kept beside the bundle (`<bundle>.v8cache`, or
// `<bundle>.<user>.v8cache` for a bundle several entries load, so that each keeps the functions it
// runs), headed by the SHA-1 of the bundle's bytes and the V8 version: any other bundle or node
// ignores it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire, Module } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

const HEADER_BYTES = 128;

/** Compiles `file` as a CommonJS module with its code cache `cacheFile`, into a new module of id `id`. */
function compileWithCodeCache(file, cacheFile, id) {
  const bytes = fs.readFileSync(file);
  // Hashing the bytes, not the decoded string, is several times faster.
  const tag = `${createHash('sha1').update(bytes).digest('hex')} ${process.versions.v8}`.padEnd(HEADER_BYTES);
  const source = bytes.toString('utf8');
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
  const module = new Module(id, undefined);
  module.filename = file;
  module.paths = Module._nodeModulePaths(path.dirname(file));
  const run = () => {
    script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
    module.loaded = true;
    return module.exports;
  };
  return { module, run };
}

/** Loads `file` as the main CommonJS module, as `require(file)` would, compiled with its code cache. */
export function runWithCodeCache(file) {
  // As node loads a main module: id '.', and require.main is this module.
  const { module, run } = compileWithCodeCache(file, `${file}.v8cache`, '.');
  process.mainModule = module;
  return run();
}

/**
 * Loads `file`, compiled with its code cache for `user`, into the module cache: a later
 * `require(file)` (from the bundle that runs next) gets it.
 */
export function preloadWithCodeCache(file, user) {
  const { module, run } = compileWithCodeCache(file, `${file}.${user}.v8cache`, file);
  Module._cache[fs.realpathSync(file)] = module;
  return run();
}
