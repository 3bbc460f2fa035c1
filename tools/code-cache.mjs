// Runs CommonJS bundles with V8's code cache. A code cache made right after compiling holds only
// the top-level code (what v8-compile-cache and Node 22's module.enableCompileCache keep); most of
// a bundle's functions are compiled lazily while it runs, so the cache is made when the process
// exits, with every function compiled so far. It is kept beside the bundle (`<bundle>.v8cache`, or
// `<bundle>.<user>.v8cache` for a bundle several entries load, so that each keeps the functions it
// runs), headed by the SHA-1 of the bundle's bytes and the V8 version: any other bundle or node
// ignores it. The shared bundles an entry's bundle requires beside it (tools/bundles.cjs) are
// loaded the same way, each with its cache for that entry, when first required. An entry's V8
// flags (ENTRY_V8_FLAGS) are set before its first bundle is compiled: V8 refuses a cache made
// under other flags.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire, Module } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

const HEADER_BYTES = 128;
const require = createRequire(import.meta.url);

/**
 * V8's interrupt budget (bytecode run between two looks at a function's heat) 16 times its default
 * of 67,584, as the render threads have it (pipeline/site-workers.ts sets the same value, so the
 * flag hash stays the same when they start). A synth of the committed sites runs most of its code
 * a few times, once per site or object, and with the default budget V8 kept compiling functions
 * with TurboFan that then ran a few times more: a rendering synth, CPU time of the process, 12
 * paired runs each at a load of 7 to 9, -65 ms rendered, -95 ms after an edit (README, Performance).
 */
const INTERRUPT_BUDGET = 16 * 67_584;

/**
 * The V8 flags of each entry that has any, set before its first bundle is compiled. They are part
 * of the flag hash V8 keeps in a code cache and checks when one is given (a cache made under
 * other flags is refused, and made again at exit), so every process using an entry's caches sets them.
 */
export const ENTRY_V8_FLAGS = { main: [`--interrupt-budget=${INTERRUPT_BUDGET}`] };

/** The flags still to set before this process compiles its first bundle (useEntryV8Flags). */
let pendingFlags = [];
/** The entry whose flags this process runs with, if it has any: a package's cache is kept per such entry. */
let flaggedEntry;

/**
 * Gives this process `entry`'s V8 flags, set when it compiles its first bundle: a run that
 * compiles none (a recorded synth, tools/run.mjs) does not even load node's `v8` module.
 */
export function useEntryV8Flags(entry) {
  pendingFlags = ENTRY_V8_FLAGS[entry] ?? [];
  flaggedEntry = pendingFlags.length > 0 ? entry : undefined;
}

function setPendingFlags() {
  if (pendingFlags.length === 0) return;
  const { setFlagsFromString } = require('node:v8');
  for (const flag of pendingFlags) setFlagsFromString(flag);
  pendingFlags = [];
}

/** The code caches to make when the process exits: of each bundle compiled without one. */
const toWrite = [];

function writeCaches() {
  for (const { cacheFile, tag, script } of toWrite) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, Buffer.concat([Buffer.from(tag, 'latin1'), script.createCachedData()]));
      fs.renameSync(tmp, cacheFile);
    } catch {
      // A cache that cannot be written only costs the next run its compile.
    }
  }
}

/** The shared bundles, by file name (`vendor.js`...): a `require('./<name>.js')` of a bundle is loaded with its code cache. */
const SHARED = new Set(require('./bundles.cjs').SHARED_BUNDLES.map((name) => `./${name}.js`));

/** Compiles `file` as a CommonJS module with its code cache `cacheFile`, into a new module of id `id`; `user` names the entry, for the caches of the shared bundles it requires. */
function compileWithCodeCache(file, cacheFile, id, user) {
  setPendingFlags();
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
    if (toWrite.length === 0) process.once('exit', writeCaches);
    toWrite.push({ cacheFile, tag, script });
  }
  const module = new Module(id, undefined);
  module.filename = file;
  module.paths = Module._nodeModulePaths(path.dirname(file));
  const run = () => {
    const dir = path.dirname(file);
    const plain = createRequire(file);
    const require = Object.assign((spec) => (SHARED.has(spec) ? requireShared(path.join(dir, spec), user) : plain(spec)), plain);
    script.runInThisContext().call(module.exports, module.exports, require, module, file, dir);
    module.loaded = true;
    return module.exports;
  };
  return { module, run };
}

/** The shared bundles loaded so far, by the file a bundle required: each `require` of one costs a lookup, not a realpath. */
const sharedModules = new Map();

/** A shared bundle, loaded once into the module cache (as `require(file)` would) with its code cache for `user`. */
function requireShared(file, user) {
  const loaded = sharedModules.get(file);
  if (loaded !== undefined) return loaded.exports;
  // One realpath(3) call: the JavaScript realpathSync lstat()s each component of the path.
  const real = fs.realpathSync.native(file);
  const cached = Module._cache[real];
  if (cached !== undefined) {
    sharedModules.set(file, cached);
    return cached.exports;
  }
  const { module, run } = compileWithCodeCache(file, `${file}.${user}.v8cache`, file, user);
  Module._cache[real] = module;
  sharedModules.set(file, module);
  return run();
}

/**
 * Requires the CommonJS module `file` (a package's module, resolved by the caller) as `require`
 * would, compiled with the code cache `cacheFile`: for a package that is loaded only now and then
 * (esbuild's JavaScript API, when something is rebuilt), whose compile would otherwise be paid each
 * time. Under an entry's V8 flags the cache is `<name>.<entry>.v8cache` beside it: processes
 * without them (`npm run build`, the other entries) keep theirs, instead of each refusing the other's.
 */
export function requireWithCodeCache(file, cacheFile) {
  const cached = Module._cache[file];
  if (cached !== undefined) return cached.exports;
  const cache = flaggedEntry === undefined ? cacheFile : cacheFile.replace(/\.v8cache$/, `.${flaggedEntry}.v8cache`);
  const { module, run } = compileWithCodeCache(file, cache, file, path.basename(file, '.js'));
  Module._cache[file] = module;
  return run();
}

/**
 * Loads `file` as the main CommonJS module, as `require(file)` would, compiled with its code
 * cache; the shared bundles it requires with theirs for `user` (by default the file's name).
 */
export function runWithCodeCache(file, user = path.basename(file, '.js')) {
  // As node loads a main module: id '.', and require.main is this module.
  const { module, run } = compileWithCodeCache(file, `${file}.v8cache`, '.', user);
  process.mainModule = module;
  return run();
}

/**
 * Loads now, with their code caches, the shared bundles beside the entry bundle `file` that its
 * `user` loaded in an earlier run (each has its cache for it), but those in `skip`: what a run
 * does while esbuild rebuilds the others (tools/run.mjs). Each is loaded as its first `require`
 * would load it, which then finds it loaded; only its top level runs (its modules are each
 * behind a function).
 */
export function loadSharedBundles(file, user, skip) {
  const dir = path.dirname(file);
  for (const spec of SHARED) {
    const bundle = path.join(dir, spec);
    if (!skip.includes(path.basename(spec, '.js')) && fs.existsSync(`${bundle}.${user}.v8cache`)) requireShared(bundle, user);
  }
}
