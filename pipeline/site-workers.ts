/**
 * Sites rendered on worker threads, for a large model: a site's render, validation and files
 * depend on the model alone (pipeline/site-pipeline.ts), so each thread renders whole sites while
 * this one takes their outputs in site order, as the in-process loop yields them: the same
 * files, findings and facts, in the same order. The caller stays synchronous: it blocks on a
 * shared counter (Atomics.wait) until the next site's output has come, and only a few sites are
 * in flight (memory stays bounded). A site that fails fails the run with the same error (its
 * findings name the site, the component and the field), the threads are stopped, and the sites
 * after it are not taken. A small model, and any render that hands code or constructs across
 * (`keep`, `extend`, recorded bodies), stays in this thread.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker, parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { StackOutputs } from '../charts/lib/object-store';
import type { PlatformModel, Site } from '../sites';
import { PlatformError, type Finding } from '../model/errors';
import { ObjectMemo } from './object-text';
import type { RenderedSite } from './render';
import { processSite, type SiteOptions, type SiteOutput } from './site-pipeline';
import { KeptOnce } from './report/failures';

/** The bundle of this module (tools/build.mjs): the threads load it, also when this thread runs the sources (tests). */
const PIPELINE_BUNDLE = path.resolve(__dirname, '..', 'dist', 'pipeline.js');
const MODULE_KEY = 'pipeline/site-workers';
/** Above this many sites a synth renders them on threads when it runs from the bundles (a thread's start costs about as much as a few sites). */
const PARALLEL_SITES = 20;
/** At most this many render threads: each holds a heap of its own. */
const MAX_THREADS = 2;
/** Sites given to a thread before it has returned them: one rendering, one waiting, so it never idles on this thread. */
const PER_THREAD = 2;
/**
 * Sites sent beyond the one this thread waits for, over all threads, while it waits for it.
 * Outputs are taken in site order, so while one thread renders the site awaited (the hub site,
 * 1,200 objects at 1,000 sites and cold: about a second; or a full GC), the other takes more
 * sites only as far as this allows. With PER_THREAD x 2 threads, 300 generated sites: one thread
 * idle 7% of its time (0.8 s of the first 8.6 s), the other 3%; with 8, 0.1% each. When the site
 * awaited is there already (this thread is the slower, writing files), the window stays at
 * PER_THREAD per thread: with 8 throughout, outputs piled up here as the writes fell behind
 * (1,000 sites with the disk slow: peak RSS 239 MB against 231).
 */
const LOOKAHEAD = 8;
/**
 * Each render thread's semi-spaces, MB: what a site's render leaves is short-lived garbage, but a
 * site's construct tree lives through its render and outlives a small young generation (copied,
 * promoted, then marked in the old one), and three heaps' young generations weigh on the peak.
 * 1,000 generated sites against 2 MB, 4 pairs run side by side: about half the scavenges (6,650
 * -> 3,580 over the process) and a fifth fewer full GCs (203 -> 163), 4 to 8% less CPU time, for
 * a peak 10 to 16 MB higher (232 to 239 MB; with 2 MB 218 to 229 MB), part of it paid by what
 * this thread keeps of every site kept once when equal (processSites). 3 MB collects as 4 does.
 */
const THREAD_SEMI_SPACE_MB = 4;
/**
 * V8's interrupt budget (bytecode executed between two looks at a function's heat) while the
 * threads run: 16 x V8's default of 67,584. Most of a site's code runs a few times per site, so
 * with the default V8 kept optimizing a long tail of functions as the sites went by (about 5
 * TurboFan compiles a site in each thread, 461 in 80 sites, on V8's background threads), which
 * cost more CPU time than the optimized code saved; with this budget, 57 in 80 sites: the JSON
 * walk, the YAML emitter, the plaintext guard's walk, the functions run for every value. V8
 * reads it whenever a function's budget is reset, so it is set at run time, for this process
 * (this thread too, whose code from then on is the writes and the report): 200 generated sites,
 * user CPU time 14.9 and 16.1 s -> 12.1 and 11.0 s (README, Performance).
 */
const INTERRUPT_BUDGET = 16 * 67_584;
/** Longest wait without any site coming back before the threads are taken for dead. */
const STALL_TIMEOUT_MS = 120_000;

/** The thread's code: the bundle's serveSites, or why it could not be loaded, posted as a result without an index. */
const THREAD = `
const { workerData } = require('node:worker_threads');
try {
  require(workerData.bundle)[workerData.key]().serveSites();
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  workerData.results.postMessage({ error: { name: e.name, message: 'a render thread could not start: ' + e.message, stack: e.stack } });
  const posted = new Int32Array(workerData.state);
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
}
`;

/** What a thread is given once. */
interface ThreadInput {
  readonly bundle: string;
  readonly key: string;
  readonly model: PlatformModel;
  readonly stackOutputs?: StackOutputs;
  /** [outputs posted] (a SharedArrayBuffer). */
  readonly state: SharedArrayBuffer;
  readonly results: MessagePort;
}

/** One site to render: its index in the model, and whether to validate it. */
interface Job {
  readonly index: number;
  readonly validate: boolean | undefined;
}

type ThreadError = { readonly findings: readonly Finding[] } | { readonly name: string; readonly message: string; readonly stack?: string };

/** What a thread posts: a site's output or its error; or, with no index, why the thread could not start. */
interface ThreadResult {
  readonly index?: number;
  readonly output?: SiteOutput;
  readonly error?: ThreadError;
}

function describe(err: unknown): ThreadError {
  if (err instanceof PlatformError) return { findings: err.findings };
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, stack: e.stack };
}

function rethrow(error: ThreadError): never {
  if ('findings' in error) throw new PlatformError(error.findings);
  const e = new Error(error.message);
  e.name = error.name;
  if (error.stack !== undefined) e.stack = error.stack;
  throw e;
}

/** The thread's side: renders each site it is sent, posts its output (or its error) and counts it. */
export function serveSites(): void {
  const input = workerData as ThreadInput;
  const posted = new Int32Array(input.state);
  const post = (result: ThreadResult): void => {
    input.results.postMessage(result);
    Atomics.add(posted, 0, 1);
    Atomics.notify(posted, 0);
  };
  // Verdicts and YAML of the objects met before, within this thread.
  const memo = new ObjectMemo();
  parentPort!.on('message', (job: Job) => {
    try {
      const site = input.model.sites[job.index]!;
      post({
        index: job.index,
        output: processSite(site, input.model, { stackOutputs: input.stackOutputs, validate: job.validate, memo }),
      });
    } catch (err) {
      post({ index: job.index, error: describe(err) });
    }
  });
}

interface Thread {
  readonly worker: Worker;
  readonly results: MessagePort;
  inFlight: number;
}

/** Render threads taking the jobs in order; `take` returns the outputs in that same order. */
class SiteThreads {
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private readonly threads: Thread[];
  private readonly arrived = new Map<number, ThreadResult>();
  private sent = 0;

  constructor(
    model: PlatformModel,
    stackOutputs: StackOutputs | undefined,
    count: number,
    private readonly jobs: readonly Job[],
  ) {
    // Read when each thread's heap is made (its young generation cannot be given otherwise: the
    // command line's size overrides a Worker's resourceLimits); this thread's stays as it is.
    setFlagsFromString(`--max-semi-space-size=${THREAD_SEMI_SPACE_MB}`);
    setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
    this.threads = Array.from({ length: count }, () => {
      const { port1, port2 } = new MessageChannel();
      const input: ThreadInput = {
        bundle: PIPELINE_BUNDLE,
        key: MODULE_KEY,
        model,
        stackOutputs,
        state: this.posted.buffer as SharedArrayBuffer,
        results: port2,
      };
      const worker = new Worker(THREAD, { eval: true, workerData: input, transferList: [port2] });
      worker.unref();
      return { worker, results: port1, inFlight: 0 };
    });
  }

  /** The output of job `n` (taken in order: 0, 1, 2...); throws the site's error. */
  take(n: number): SiteOutput {
    const index = this.jobs[n]!.index;
    for (let waitedFrom = Date.now(); ;) {
      const seen = Atomics.load(this.posted, 0);
      this.receive();
      const result = this.arrived.get(index);
      this.send(n, result ? this.threads.length * PER_THREAD : LOOKAHEAD);
      if (result) {
        this.arrived.delete(index);
        if (result.error) rethrow(result.error);
        return result.output!;
      }
      if (Atomics.wait(this.posted, 0, seen, 1000) !== 'timed-out') waitedFrom = Date.now();
      else if (Date.now() - waitedFrom > STALL_TIMEOUT_MS)
        throw new Error(`the render threads returned no site for ${STALL_TIMEOUT_MS / 1000} s`);
    }
  }

  /** Stops every thread (what they render meanwhile is dropped). */
  stop(): void {
    for (const t of this.threads) {
      t.results.close();
      void t.worker.terminate();
    }
  }

  private receive(): void {
    for (const t of this.threads) {
      for (let m = receiveMessageOnPort(t.results); m; m = receiveMessageOnPort(t.results)) {
        const result = m.message as ThreadResult;
        if (result.index === undefined) rethrow(result.error!);
        this.arrived.set(result.index, result);
        t.inFlight--;
      }
    }
  }

  /** Keeps each thread busy, at most PER_THREAD sites each and `ahead` beyond job `n`, the next one needed. */
  private send(n: number, ahead: number): void {
    while (this.sent < this.jobs.length && this.sent - n < ahead) {
      const idle = this.threads.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (idle.inFlight >= PER_THREAD) return;
      idle.worker.postMessage(this.jobs[this.sent++]);
      idle.inFlight++;
    }
  }
}

/** What decides whether sites render on threads. */
export interface ThreadChoice {
  readonly threads?: number;
  readonly bodies?: unknown;
  readonly extend?: unknown;
  /** The caller reads the rendered sites' constructs. */
  readonly keep?: boolean;
}

/** How many render threads processing `sites` sites uses: `threads` if given; none for a small model, off the bundles, on one core, or when code or constructs would cross. */
export function renderThreadsFor(sites: number, options: ThreadChoice): number {
  if (options.threads !== undefined) return options.threads;
  if (options.keep || options.bodies !== undefined || options.extend !== undefined || sites <= PARALLEL_SITES) return 0;
  // Run from the sources (tests, ts-node), the bundle the threads would load may be older than them.
  if (__filename !== PIPELINE_BUNDLE) return 0;
  const cores = os.availableParallelism();
  return cores < 2 ? 0 : Math.min(cores, MAX_THREADS);
}

/**
 * Each of `sites` (sites of `model`) processed as processSite does, in order; on render threads
 * for a large model (see the top of this file), else here. `keep` receives each rendered site
 * (in this thread only).
 */
export function* processSites(
  sites: readonly Site[],
  model: PlatformModel,
  options: SiteOptions,
  keep?: (r: RenderedSite) => void,
): Generator<SiteOutput> {
  const count = renderThreadsFor(sites.length, { ...options, keep: keep !== undefined });
  const jobs = sites.map((site) => ({ index: model.sites.indexOf(site), validate: options.validate }));
  if (count === 0 || jobs.some((j) => j.index < 0)) {
    for (const site of sites) yield processSite(site, model, options, keep);
    return;
  }
  const threads = new SiteThreads(model, options.stackOutputs, count, jobs);
  const kept = new KeptOnce();
  try {
    for (let n = 0; n < jobs.length; n++) {
      const out = threads.take(n);
      const site = model.sites[jobs[n]!.index]!;
      // This thread's site and facts, not the copies that came with the output; what the caller
      // keeps of every site until the end, equal parts once (most sites state the same; the
      // cross-site facts that name the site are not looked up).
      yield {
        ...out,
        summary: { site, components: out.summary.components.map((c) => (c.facts.length === 0 ? kept.once(c) : c)) },
        failure: {
          ...out.failure,
          site,
          components: options.facts ? out.failure.components.map((c) => options.facts!.once(c)) : out.failure.components,
          capacity: {
            scenarios: out.failure.capacity.scenarios.map((s) => ({
              ...s,
              unplaced: kept.once(s.unplaced),
              waiting: kept.once(s.waiting),
            })),
          },
        },
      };
    }
  } finally {
    threads.stop();
  }
}
