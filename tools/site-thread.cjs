// A render thread started by tools/run.mjs as soon as it knows that a whole synth runs from the
// bundles: it loads dist/pipeline.js (and the bundles that one loads) with the main thread's code
// caches while the main thread loads its own, then renders the sites the synth gives it
// (pipeline/synth-thread.ts takes it, or stops it when the synth does not use it). The thread
// reads the caches and never writes them: the main thread's run makes them. CommonJS so that
// tools/run.mjs and the tests start it without loading the pipeline.
const os = require('node:os');
const path = require('node:path');
const { MessageChannel, Worker } = require('node:worker_threads');

/** Where the started thread waits to be taken (pipeline/synth-thread.ts reads the same key). */
const SITE_THREAD = Symbol.for('chatalk-platform.site-thread');

/** The module of dist/pipeline.js that serves the sites in the thread. */
const SERVE_MODULE = 'pipeline/synth-thread';

/** The thread's code: loads the pipeline bundle with the code caches, or posts why it could not. */
const THREAD = `
const { workerData } = require('node:worker_threads');
try {
  const codeCache = require(workerData.codeCache);
  codeCache.readCachesOnly();
  codeCache.requireBundle(workerData.bundle, workerData.user)[workerData.module]().serveSiteThread();
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  workerData.results.postMessage({ error: { name: e.name, message: 'the render thread could not start: ' + e.message, stack: e.stack } });
  const posted = new Int32Array(workerData.state);
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
}
`;

/**
 * Starts the render thread for the bundles in `dist` (the entry `user`'s code caches), unless one
 * waits already, on a machine of one core, or with PLATFORM_SITE_THREAD=0; returns whether one waits.
 */
function startSiteThread(dist, user = 'main') {
  if (globalThis[SITE_THREAD] !== undefined) return true;
  if (process.env.PLATFORM_SITE_THREAD === '0' || os.availableParallelism() < 2) return false;
  const state = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: {
      codeCache: path.join(__dirname, 'code-cache.cjs'),
      bundle: path.join(dist, 'pipeline.js'),
      user,
      module: SERVE_MODULE,
      state,
      results: port2,
    },
    transferList: [port2],
  });
  // Neither keeps the process alive: a synth that does not use the thread exits as before.
  worker.unref();
  port1.unref();
  globalThis[SITE_THREAD] = { worker, results: port1, posted: new Int32Array(state), bundle: path.join(dist, 'pipeline.js') };
  return true;
}

module.exports = { SITE_THREAD, startSiteThread };
