/**
 * The writer's lock: one run at a time. The staging directory holds it (`owner`, the writing run's
 * pid), so a second run neither recovers nor writes while the first is alive; a dead run's lock is
 * taken over and its swap finished or rolled back (writer-staging.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLAIM_PREFIX, OWNER, STAGING_DIR, STALE_PREFIX, finishSwap, type RecoverOutcome } from './writer-staging';

/** Another synth holds the lock on this gitops/ and is still running. */
export class SynthBusyError extends Error {
  constructor(
    readonly pid: number,
    readonly root: string,
  ) {
    super(
      `another synth (pid ${pid}) is writing ${path.join(root, 'gitops')}/; wait for it. ` +
        `(If pid ${pid} is not a synth, remove ${path.join(root, STAGING_DIR, OWNER)} and run again.)`,
    );
    this.name = 'SynthBusyError';
  }
}

/** The steps of the swap, in order: the new tree is complete in the staging directory; gitops/ is moved aside. */
export type SwapStep = 'staged' | 'between-renames';

/**
 * Callbacks at the points where a run can be interrupted: the tests stop a child process there,
 * as a crash would, and check what the next run makes of it.
 */
export interface WriterHooks {
  /**
   * Called once the lock is taken and a previous run's leftovers are recovered.
   * @default none
   */
  readonly locked?: () => void;
  /**
   * Called at each step of the swap.
   * @default none
   */
  readonly step?: (step: SwapStep) => void;
}

/** The writer's lock on one root, held by this process. */
export interface WriterLock {
  /** What recovering a previous run's leftovers did. */
  readonly recovered: RecoverOutcome;
  /** Pid recorded by a run that died holding the lock, if its lock was taken over. */
  readonly staleOwner?: number;
  /** Gives the lock up and removes the staging directory (leftovers of a failed swap stay for recovery). */
  release(): void;
}

/** Staging directories whose lock this process holds. */
export const held = new Set<string>();

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** The content of a lock file (an owner's pid), or undefined if it is gone. */
function readLockFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** True when `pid` is another process that is still running (EPERM: running, as another user). */
function isRunning(pid: number): boolean {
  // Our own pid in an owner file we do not hold was left by an earlier process that had the same
  // pid (containers reuse small pids on every start).
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

/** The pid of the live run that holds the writer's lock on `root`, or undefined (no lock, or its owner is gone). */
export function liveOwner(root: string): number | undefined {
  const seen = readLockFile(path.resolve(root, STAGING_DIR, OWNER));
  const pid = seen === undefined ? NaN : Number.parseInt(seen, 10);
  return isRunning(pid) ? pid : undefined;
}

/**
 * Removes the owner file of a dead run (`seen` is what it held), unless another run broke it and
 * took the lock since it was read: the file is first moved aside (only one run can move a given
 * file), then checked, and put back if it was not the dead run's. Three runs racing over one dead
 * run's lock could still both win; that needs a crash and then two runs started in the same instant.
 */
function breakStaleLock(staging: string, seen: string): void {
  const owner = path.join(staging, OWNER);
  const aside = path.join(staging, `${STALE_PREFIX}${process.pid}`);
  try {
    fs.renameSync(owner, aside);
  } catch (err) {
    if (errno(err) === 'ENOENT') return;
    throw err;
  }
  try {
    const moved = readLockFile(aside);
    if (moved !== undefined && moved !== seen) {
      try {
        fs.linkSync(aside, owner);
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err;
      }
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/** Removes what runs that are gone left in the staging directory: all but the lock and live runs' claims. */
function clearLeftovers(staging: string): void {
  for (const name of fs.readdirSync(staging)) {
    if (name === OWNER) continue;
    const prefix = [CLAIM_PREFIX, STALE_PREFIX].find((p) => name.startsWith(p));
    if (prefix !== undefined && isRunning(Number(name.slice(prefix.length)))) continue;
    fs.rmSync(path.join(staging, name), { recursive: true, force: true });
  }
}

/**
 * Takes the writer's lock on `root`, so that only one synth at a time reads and replaces its
 * gitops/, then recovers what a previous run left. The lock is `.synth-staging/owner`, holding the
 * owner's pid; it is created complete in one step (a hard link to a claim file already holding the
 * pid), so a reader never sees a half-written owner. A live owner makes this throw SynthBusyError
 * without touching anything; a dead one's lock is taken over and its swap finished or rolled back.
 * Without `root` there is nothing to protect yet: the lock is then taken by `stageTree`.
 */
export function acquireLock(root: string, hooks: WriterHooks = {}): WriterLock {
  const staging = path.resolve(root, STAGING_DIR);
  const gitops = path.resolve(root, 'gitops');
  if (held.has(staging)) throw new Error(`synth: this process already holds the lock on ${staging}`);
  if (!fs.existsSync(root)) return { recovered: 'clean', release: () => undefined };
  const owner = path.join(staging, OWNER);
  const claim = path.join(staging, `${CLAIM_PREFIX}${process.pid}`);
  let staleOwner: number | undefined;
  // Each turn either takes the lock, throws, or sees the lock change hands (a run finished or died
  // meanwhile); a few turns are plenty.
  for (let turn = 0; turn < 8; turn++) {
    try {
      fs.mkdirSync(staging, { recursive: true });
      fs.writeFileSync(claim, `${process.pid}\n`);
      fs.linkSync(claim, owner);
    } catch (err) {
      const code = errno(err);
      fs.rmSync(claim, { force: true });
      // ENOENT: a finishing run removed the staging directory under us; try again.
      if (code === 'ENOENT') continue;
      if (code !== 'EEXIST') throw err;
      const seen = readLockFile(owner);
      if (seen === undefined) continue;
      const pid = Number.parseInt(seen, 10);
      if (isRunning(pid)) throw new SynthBusyError(pid, root);
      breakStaleLock(staging, seen);
      if (Number.isInteger(pid)) staleOwner = pid;
      continue;
    }
    fs.rmSync(claim, { force: true });
    held.add(staging);
    let recovered: RecoverOutcome;
    try {
      recovered = finishSwap(staging, gitops);
      clearLeftovers(staging);
    } catch (err) {
      releaseLock(staging);
      throw err;
    }
    hooks.locked?.();
    return { recovered, staleOwner, release: () => releaseLock(staging) };
  }
  throw new Error(`synth: could not take the lock ${owner}: it kept changing hands`);
}

function releaseLock(staging: string): void {
  if (!held.delete(staging)) return;
  const owner = path.join(staging, OWNER);
  if (readLockFile(owner) === `${process.pid}\n`) fs.rmSync(owner, { force: true });
  try {
    fs.rmdirSync(staging);
  } catch (err) {
    // Not empty: a failed swap's leftovers (the next run recovers them) or a run claiming the lock.
    if (errno(err) !== 'ENOTEMPTY' && errno(err) !== 'EEXIST' && errno(err) !== 'ENOENT') throw err;
  }
}
