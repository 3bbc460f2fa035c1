/** What the tests of a refused synth share: a copy of the committed gitops/, the error, the tree unchanged. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlatformExtension } from '../charts/platform';
import { PlatformError } from '../model/errors';
import { synth } from '../pipeline/synth';
import { PLATFORM, type PlatformModel } from '../sites';
import { REPO_ROOT, tempDir, treeDigest } from './helpers';

/**
 * Runs synth over a copy of the committed gitops/ with `extend` added to every site (of `model`, the
 * committed one by default), expects it to fail with a PlatformError, checks the copy is byte for
 * byte as it was, and returns the message.
 */
export function refusedSynthMessage(extend: PlatformExtension | undefined, model: PlatformModel = PLATFORM): string {
  const { dir, cleanup } = tempDir();
  try {
    fs.cpSync(path.join(REPO_ROOT, 'gitops'), path.join(dir, 'gitops'), { recursive: true });
    const before = treeDigest(dir);
    let error: unknown;
    try {
      synth({ root: dir, model, extend });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlatformError);
    expect(treeDigest(dir)).toBe(before);
    return (error as PlatformError).message;
  } finally {
    cleanup();
  }
}
