// The code-cache loader (tools/code-cache.cjs) for ES modules: tools/run.mjs, tools/build.mjs and
// the tests that run a bundle with its code cache.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('./code-cache.cjs');

/** See tools/code-cache.cjs. */
export const { requireWithCodeCache, runWithCodeCache, readCachesOnly, requireBundle } = cjs;
