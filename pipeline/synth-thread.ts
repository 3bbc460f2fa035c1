/**
 * A small model's sites on two cores: a synth of 2 to 20 sites run from the bundles renders its
 * first half of the sites in this thread while a render thread renders the second half. The
 * thread is started by tools/run.mjs (tools/site-thread.cjs) as soon as it knows a whole synth
 * runs, so that it loads the bundles while this thread loads its own; a thread started later
 * would still be loading when this one is done. The outputs are taken in site order, as the
 * in-process loop yields them: the same files, findings and facts, in the same order (this
 * thread's site models, the facts interned in this run's table). A site that fails fails the run
 * with its own error after the sites before it. The thread checks objects against the same
 * schema cache (read from its file) and hands back what it used and added, which this thread's
 * cache takes before it is saved. A larger model renders on pipeline/site-workers.ts's threads.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import type { StackOutputs } from '../charts/lib/object-store';
import type { PlatformModel, Site } from '../sites';
import { ObjectMemo } from './object-text';
import { processSite, type SiteOptions, type SiteOutput } from './site-pipeline';
import { describe, rethrow, type ThreadError } from './site-workers';
import { SchemaCache, type SchemaCacheSource, type SchemaCacheUsage } from './validate/schema-cache';

/** Where tools/site-thread.cjs leaves the thread it started (the same key). */
const SITE_THREAD = Symbol.for('chatalk-platform.site-thread');
/** Longest wait without any message from the thread before it is taken for dead. */
const STALL_TIMEOUT_MS = 120_000;

/** The started thread, as tools/site-thread.cjs leaves it. */
export interface StartedThread {
  readonly worker: Worker;
  readonly results: MessagePort;
  /** [messages posted], shared with the thread. */
  readonly posted: Int32Array;
}

/** What the thread is sent, once. */
interface SitesJob {
  readonly model: PlatformModel;
  readonly stackOutputs?: StackOutputs;
  /** The sites it renders, by index in the model, in order. */
  readonly indices: readonly number[];
  readonly validate: boolean | undefined;
  readonly schemaCache?: SchemaCacheSource;
}

/** What the thread posts: a site's output or its error, then what it did with the schema cache; an error alone if it could not start. */
interface ThreadMessage {
  readonly index?: number;
  readonly output?: SiteOutput;
  readonly error?: ThreadError;
  readonly done?: true;
  readonly cache?: SchemaCacheUsage;
}

type Slot = { [SITE_THREAD]?: StartedThread };

/** Takes the waiting thread, if tools/run.mjs started one: the caller uses it or stops it. */
function takeSiteThread(): StartedThread | undefined {
  const slot = globalThis as Slot;
  const thread = slot[SITE_THREAD];
  slot[SITE_THREAD] = undefined;
  return thread;
}

/** The threads stopped: each is stopped once, by whoever is done with it first. */
const stopped = new WeakSet<StartedThread>();

/** Stops `thread` (what it renders meanwhile is dropped); nothing if it was stopped already. */
export function stopSiteThread(thread: StartedThread): void {
  if (stopped.has(thread)) return;
  stopped.add(thread);
  thread.results.close();
  void thread.worker.terminate();
}

/** Stops the waiting thread, if one was started and not taken (a synth that renders no sites beside it). */
export function releaseSiteThread(): void {
  const thread = takeSiteThread();
  if (thread) stopSiteThread(thread);
}

/** What decides whether a synth renders beside the started thread. */
export interface BesideChoice {
  /** Render threads of pipeline/site-workers.ts chosen for this synth. */
  readonly threads: number;
  readonly bodies?: unknown;
  readonly extend?: unknown;
}

/**
 * The started thread, for a synth of `sites` sites that uses no render threads of its own and
 * hands no code across (`extend`) nor records bodies; else none, and a started thread is stopped.
 */
export function siteThreadFor(sites: number, options: BesideChoice): StartedThread | undefined {
  if (sites < 2 || options.threads > 0 || options.bodies !== undefined || options.extend !== undefined) {
    releaseSiteThread();
    return undefined;
  }
  return takeSiteThread();
}

/** The thread's next message (blocking this thread: the synth is synchronous). */
function nextMessage(thread: StartedThread): ThreadMessage {
  for (let waitedFrom = Date.now(); ;) {
    const seen = Atomics.load(thread.posted, 0);
    const m = receiveMessageOnPort(thread.results);
    if (m) return m.message as ThreadMessage;
    if (Atomics.wait(thread.posted, 0, seen, 1000) !== 'timed-out') waitedFrom = Date.now();
    else if (Date.now() - waitedFrom > STALL_TIMEOUT_MS)
      throw new Error(`the render thread returned no site for ${STALL_TIMEOUT_MS / 1000} s`);
  }
}

/**
 * Each of `sites` processed as processSite does, in order: the first half in this thread, the
 * rest on `thread`, which is stopped when the generator ends (done, failed or abandoned).
 */
export function* processSitesBeside(
  thread: StartedThread,
  sites: readonly Site[],
  model: PlatformModel,
  options: SiteOptions,
): Generator<SiteOutput> {
  try {
    const here = Math.ceil(sites.length / 2);
    const job: SitesJob = {
      model,
      stackOutputs: options.stackOutputs,
      indices: sites.slice(here).map((s) => model.sites.indexOf(s)),
      validate: options.validate,
      schemaCache: options.schemaCache?.source,
    };
    thread.worker.postMessage(job);
    for (const site of sites.slice(0, here)) yield processSite(site, model, options);
    for (const site of sites.slice(here)) {
      const m = nextMessage(thread);
      if (m.error) rethrow(m.error);
      if (m.index !== model.sites.indexOf(site)) throw new Error(`the render thread returned site ${m.index} for ${site.name}`);
      const out = m.output!;
      // This thread's site and facts, not the copies that came with the output.
      yield {
        ...out,
        summary: { ...out.summary, site },
        failure: {
          ...out.failure,
          site,
          components: options.facts ? out.failure.components.map((c) => options.facts!.intern(c)) : out.failure.components,
        },
      };
    }
    const last = nextMessage(thread);
    if (last.error) rethrow(last.error);
    if (last.cache) options.schemaCache?.adopt(last.cache);
  } finally {
    stopSiteThread(thread);
  }
}

/** The thread's side: renders the sites it is sent, posting each output (or the first error), then its cache's use, and ends. */
export function serveSiteThread(): void {
  const { results, state } = workerData as { results: MessagePort; state: SharedArrayBuffer };
  const posted = new Int32Array(state);
  const post = (m: ThreadMessage): void => {
    results.postMessage(m);
    Atomics.add(posted, 0, 1);
    Atomics.notify(posted, 0);
  };
  parentPort!.once('message', (job: SitesJob) => {
    const schemaCache = job.schemaCache && SchemaCache.openSource(job.schemaCache);
    // Verdicts and YAML of the objects met before, within this thread.
    const memo = new ObjectMemo();
    for (const index of job.indices) {
      try {
        const output = processSite(job.model.sites[index]!, job.model, {
          stackOutputs: job.stackOutputs,
          validate: job.validate,
          schemaCache,
          memo,
        });
        post({ index, output });
      } catch (err) {
        post({ index, error: describe(err) });
        return;
      }
    }
    post({ done: true, cache: schemaCache?.usage() });
    parentPort!.close();
  });
}
