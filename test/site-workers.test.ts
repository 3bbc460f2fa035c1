import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { generateModel } from '../bench/generate-sites';
import { PlatformError } from '../model/errors';
import type { PlatformModel } from '../sites';
import { processSite } from '../pipeline/site-pipeline';
import { processSites, renderThreadsFor } from '../pipeline/site-workers';

// V8's flags as given (recorded: the test below reads which ones the threads start with).
jest.mock('node:v8', () => {
  const v8 = jest.requireActual<typeof import('node:v8')>('node:v8');
  return { ...v8, setFlagsFromString: jest.fn(v8.setFlagsFromString) };
});

// The threads load the bundles test/global-setup.js builds from these same sources.
const model = generateModel(3);

afterEach(() => jest.restoreAllMocks());

it('renders sites on threads as it does in this thread: the same outputs, in site order', () => {
  const flags = jest.mocked(setFlagsFromString);
  flags.mockClear();
  const run = processSites(model.sites, model, { threads: 2 });
  // The threads start with the first output asked for; this thread renders the same sites itself
  // while they render the others (their outputs wait on their ports until taken).
  const first = run.next();
  const here = model.sites.map((site) => processSite(site, model));
  const threaded = [...(first.done ? [] : [first.value]), ...run];
  // Read as the threads' heaps are made and their functions warm up: a small young generation, V8's interrupt budget x 16.
  expect(flags.mock.calls).toEqual([['--max-semi-space-size=4'], ['--interrupt-budget=1081344']]);
  expect(threaded.map((out) => out.site)).toEqual(['site0', 'site1', 'site2']);
  // Files (paths, bytes and order), findings, cross-site summary, failure facts, counts.
  expect(threaded).toEqual(here);
  // The site models are this thread's own, not copies.
  expect(threaded[1]!.summary.site).toBe(model.sites[1]);
  expect(threaded[1]!.failure.site).toBe(model.sites[1]);
});

it("fails with the failing site's own error after the sites before it, and stops its threads", () => {
  const sites = model.sites.map((s, i) => (i === 1 ? { ...s, components: { optOut: { metallb: 'not here' } } } : s));
  const broken: PlatformModel = { ...model, sites };
  const expected = (() => {
    try {
      processSite(sites[1]!, broken);
    } catch (err) {
      return err as PlatformError;
    }
    throw new Error('the broken site rendered');
  })();
  expect(expected.message).toMatch(/^site site1 \(sites\/site1.ts\), field components.optOut.metallb: /);
  const terminate = jest.spyOn(Worker.prototype, 'terminate');
  const seen: string[] = [];
  let failure: unknown;
  try {
    for (const out of processSites(sites, broken, { threads: 2 })) seen.push(out.site);
  } catch (err) {
    failure = err;
  }
  expect(seen).toEqual(['site0']);
  expect(failure).toBeInstanceOf(PlatformError);
  expect((failure as PlatformError).findings).toEqual(expected.findings);
  expect(terminate).toHaveBeenCalledTimes(2);
});

it('renders a small model, or one whose constructs or components cross, in this thread', () => {
  expect(renderThreadsFor(2, {})).toBe(0);
  expect(renderThreadsFor(1000, { keep: true, threads: undefined })).toBe(0);
  expect(renderThreadsFor(1000, { extend: {} })).toBe(0);
  expect(renderThreadsFor(1000, { bodies: new Map() })).toBe(0);
  // From the sources (here), never on its own: the bundle may be older than them.
  expect(renderThreadsFor(1000, {})).toBe(0);
  expect(renderThreadsFor(3, { threads: 2 })).toBe(2);
});
