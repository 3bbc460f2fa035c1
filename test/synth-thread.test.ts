/**
 * A small model's second half of the sites rendered on the thread tools/run.mjs starts
 * (pipeline/synth-thread.ts): the same outputs as processSite's in this thread, in site order;
 * the schema cache's passes of both threads saved; a failing site's own error after the sites
 * before it, the thread stopped; a synth that does not use the thread stops it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { generateModel } from '../bench/generate-sites';
import { PlatformError } from '../model/errors';
import { processSite } from '../pipeline/site-pipeline';
import { processSitesBeside, releaseSiteThread, siteThreadFor } from '../pipeline/synth-thread';
import { openSchemaCache } from '../pipeline/validate';
import { SchemaCache } from '../pipeline/validate/schema-cache';
import { PLATFORM, type PlatformModel } from '../sites';
import { startSiteThread } from '../tools/site-thread.cjs';
import { REPO_ROOT, tempDir } from './helpers';

// The thread loads the bundles test/global-setup.js builds from these same sources.
const DIST = path.join(REPO_ROOT, 'dist');

/** The thread, started as tools/run.mjs starts it, and taken as a synth of `sites` sites takes it. */
function startedThread(sites = 2) {
  expect(startSiteThread(DIST)).toBe(true);
  const thread = siteThreadFor(sites, { threads: 0 });
  expect(thread).toBeDefined();
  return thread!;
}

afterEach(() => {
  releaseSiteThread();
  jest.restoreAllMocks();
});

it('renders the second half of the sites on the thread: the same outputs as here, in site order, with the schema cache of both', () => {
  const here = PLATFORM.sites.map((site) => processSite(site, PLATFORM));
  const { dir, cleanup } = tempDir('synth-thread-');
  try {
    // The repository's cache (so that the sources' digests are its own), copied: the thread reads it.
    const source = openSchemaCache(REPO_ROOT).source;
    const file = path.join(dir, 'schema-cache.json');
    fs.copyFileSync(source.file, file);
    const cache = SchemaCache.openSource({ ...source, file });
    const beside = [...processSitesBeside(startedThread(), PLATFORM.sites, PLATFORM, { schemaCache: cache })];
    expect(beside.map((out) => out.site)).toEqual(['cluster1', 'cluster2']);
    // Files (paths, bytes and order), findings, cross-site summary, failure facts, counts.
    expect(beside).toEqual(here);
    // The site models are this thread's own, not copies.
    expect(beside[1]!.summary.site).toBe(PLATFORM.sites[1]);
    expect(beside[1]!.failure.site).toBe(PLATFORM.sites[1]);
    // What each thread checked is kept: the same keys as a cache that checked both sites here.
    const alone = SchemaCache.openSource({ ...source, file });
    for (const site of PLATFORM.sites) processSite(site, PLATFORM, { schemaCache: alone });
    const used = (c: SchemaCache) => {
      const { passed, clean } = c.usage();
      return { passed: [...passed].sort(), clean: [...clean].sort() };
    };
    expect(used(cache).passed.length).toBeGreaterThan(200);
    expect(used(cache)).toEqual(used(alone));
  } finally {
    cleanup();
  }
});

/** A generated model whose site `broken` fails its render, and that site's error rendered here. */
function brokenModel(broken: number): { model: PlatformModel; expected: PlatformError } {
  const generated = generateModel(3);
  const sites = generated.sites.map((s, i) => (i === broken ? { ...s, components: { optOut: { metallb: 'not here' } } } : s));
  const model: PlatformModel = { ...generated, sites };
  try {
    processSite(sites[broken]!, model);
  } catch (err) {
    return { model, expected: err as PlatformError };
  }
  throw new Error('the broken site rendered');
}

it.each([
  ['on the thread', 2, ['site0', 'site1']],
  ['in this thread', 0, []],
])("fails with the failing site's own error %s, after the sites before it, and stops the thread", (_, broken, before) => {
  const { model, expected } = brokenModel(broken);
  expect(expected.message).toMatch(new RegExp(`^site site${broken} \\(sites/site${broken}.ts\\), field components.optOut.metallb: `));
  const thread = startedThread(3);
  const terminate = jest.spyOn(Worker.prototype, 'terminate');
  const seen: string[] = [];
  let failure: unknown;
  try {
    for (const out of processSitesBeside(thread, model.sites, model, {})) seen.push(out.site);
  } catch (err) {
    failure = err;
  }
  expect(seen).toEqual(before);
  expect(failure).toBeInstanceOf(PlatformError);
  expect((failure as PlatformError).findings).toEqual(expected.findings);
  expect(terminate).toHaveBeenCalledTimes(1);
});

it('is stopped, not taken, by a synth of one site, on render threads, or handing code or bodies across', () => {
  const terminate = jest.spyOn(Worker.prototype, 'terminate');
  for (const [sites, choice] of [
    [1, { threads: 0 }],
    [30, { threads: 2 }],
    [2, { threads: 0, extend: {} }],
    [2, { threads: 0, bodies: new Map() }],
  ] as const) {
    expect(startSiteThread(DIST)).toBe(true);
    expect(siteThreadFor(sites, choice)).toBeUndefined();
  }
  expect(terminate).toHaveBeenCalledTimes(4);
  // None waits any more: the next synth renders in this thread.
  expect(siteThreadFor(2, { threads: 0 })).toBeUndefined();
});

it('is not started with PLATFORM_SITE_THREAD=0', () => {
  const was = process.env.PLATFORM_SITE_THREAD;
  process.env.PLATFORM_SITE_THREAD = '0';
  try {
    expect(startSiteThread(DIST)).toBe(false);
    expect(siteThreadFor(2, { threads: 0 })).toBeUndefined();
  } finally {
    if (was === undefined) delete process.env.PLATFORM_SITE_THREAD;
    else process.env.PLATFORM_SITE_THREAD = was;
  }
});
