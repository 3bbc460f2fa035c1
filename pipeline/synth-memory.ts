/**
 * What keeps a synth of many sites small: the paths it adds kept packed, V8's heap kept near what
 * is live, a young generation of 4 MB and two malloc arenas.
 */
import type * as ChildProcess from 'node:child_process';
import { constants } from 'node:os';
import { setFlagsFromString } from 'node:v8';

/** Above this many sites a synth keeps V8's heap near what is live (keepHeapNearLive) and its young generation small (nodeFlagsFor). */
const LARGE_MODEL_SITES = 20;

/**
 * Semi-spaces of 4 MB instead of V8's 16: each site's render leaves tens of MB of short-lived
 * garbage, and the young generation it passes through is part of the peak. V8 sizes it when the
 * heap is made, so the flag works only on node's command line (set at run time it changes
 * nothing for this thread's heap). The synth of 1,000 generated sites, with and without 8 MB
 * side by side: 238 MB instead of 254 MB peak, for 10 to 17% more CPU time under load; 4 MB with
 * the sites rendered on threads (pipeline/site-workers.ts), where this thread renders nothing:
 * 233 MB instead of 252 MB (README, Performance).
 */
const LARGE_MODEL_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** The node flags a synth of `sites` sites wants and `given` (node's own flags) lacks: none for a small model, or when a young generation size is given. */
export function nodeFlagsFor(sites: number, given: readonly string[]): string[] {
  if (sites <= LARGE_MODEL_SITES || given.some((flag) => flag.startsWith('--max-semi-space-size'))) return [];
  return [...LARGE_MODEL_NODE_FLAGS];
}

/**
 * The environment a synth of `sites` sites wants node started with, beyond `env`: glibc's malloc
 * kept to 2 arenas (read once, at the process's start), where each of the render threads would
 * otherwise keep arenas of its own, mostly freed buffers of the messages between threads: 1,000
 * generated sites on threads peaked 15 to 20 MB lower (README, Performance). None for a small
 * model, or when `env` sets it.
 */
export function nodeEnvFor(sites: number, env: NodeJS.ProcessEnv): Record<string, string> {
  return sites <= LARGE_MODEL_SITES || env.MALLOC_ARENA_MAX !== undefined ? {} : { MALLOC_ARENA_MAX: '2' };
}

/** This process's node flags: its command line's and NODE_OPTIONS'. */
const ownNodeFlags = (): string[] => [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];

/**
 * Runs `script` with `args` again in a node given the flags a synth of `sites` sites wants, when
 * this process lacks them, and returns its exit status; undefined when this process has them (a
 * small model: no second start).
 */
export function relaunchForModel(sites: number, script: string, args: readonly string[]): number | undefined {
  const flags = nodeFlagsFor(sites, ownNodeFlags());
  if (flags.length === 0) return undefined;
  // Loaded only to relaunch: node's child_process (with net and dgram) is about 3 ms of a small
  // model's synth, which never relaunches.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof ChildProcess;
  const child = spawnSync(process.execPath, [...process.execArgv, ...flags, script, ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...nodeEnvFor(sites, process.env) },
  });
  if (child.error) throw child.error;
  return child.status ?? 128 + (child.signal ? constants.signals[child.signal] : 0);
}

/**
 * For a large model, V8 is told to grow its heap by 20% of what is live after each full GC
 * (--heap-growing-percent, read at every GC, so it can be set once the process runs) instead of
 * its own factor of up to 4: what a synth keeps is small and the rest is the renders' garbage,
 * which V8 otherwise lets pile up. Measured on the synth of generated sites into an empty
 * directory: 300 sites peak at 205 MB instead of 287 MB for 6% more CPU time. A small synth (the
 * committed sites, the tests) is left to V8's defaults: more full GCs would slow its start.
 */
export function keepHeapNearLive(sites: number): void {
  if (sites > LARGE_MODEL_SITES) setFlagsFromString('--heap-growing-percent=20');
}

/**
 * Paths kept packed, a few hundred to a string, until they are read: a synth into an empty
 * directory adds every file, and a string per path, kept to the end, was about a third of what
 * the synth kept per site (heap snapshots after a forced GC at 10 and 60 sites).
 */
export class PathList {
  private readonly packed: string[] = [];
  private pending: string[] = [];
  length = 0;

  push(p: string): void {
    this.pending.push(p);
    this.length++;
    if (this.pending.length === 512) {
      this.packed.push(this.pending.join('\n'));
      this.pending = [];
    }
  }

  sorted(): string[] {
    return this.packed
      .flatMap((run) => run.split('\n'))
      .concat(this.pending)
      .sort();
  }
}
