/**
 * The staging directory beside gitops/ (writer.ts): its layout, and how a swap left halfway is
 * finished or rolled back (by the next run, which holds the lock, writer-lock.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const STAGING_DIR = '.synth-staging';
export const NEXT = 'next';
export const PREVIOUS = 'previous';
export const READY = 'READY';
/** The lock: a file holding the pid of the run that writes gitops/. */
export const OWNER = 'owner';
/** A run's claim, linked to OWNER to take the lock. */
export const CLAIM_PREFIX = 'claim.';
/** A dead run's OWNER, moved aside while it is checked. */
export const STALE_PREFIX = 'stale.';

/** What recovering a previous run's leftovers did, for the log. */
export type RecoverOutcome = 'clean' | 'rolled-forward' | 'rolled-back' | 'discarded';

/**
 * Finishes or rolls back a swap left halfway, then removes what the swap left in the staging
 * directory (the lock files are the caller's business).
 */
export function finishSwap(staging: string, gitops: string): RecoverOutcome {
  const next = path.join(staging, NEXT);
  let outcome: RecoverOutcome = 'clean';
  if (!fs.existsSync(gitops)) {
    if (fs.existsSync(path.join(staging, READY)) && fs.existsSync(next)) {
      fs.renameSync(next, gitops);
      outcome = 'rolled-forward';
    } else if (fs.existsSync(path.join(staging, PREVIOUS))) {
      fs.renameSync(path.join(staging, PREVIOUS), gitops);
      outcome = 'rolled-back';
    }
  }
  // A staged tree that was not swapped in is thrown away: gitops/ stays as it was before that run.
  if (outcome === 'clean' && fs.existsSync(next)) outcome = 'discarded';
  for (const name of [NEXT, PREVIOUS, READY]) fs.rmSync(path.join(staging, name), { recursive: true, force: true });
  return outcome;
}
