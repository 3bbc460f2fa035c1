// Build stamps: what a generated file was made from, so that it is remade only when an input's
// content changed. Each input is recorded with its size, mtime and SHA-1; an input whose size and
// mtime are as recorded is taken as unchanged without reading it, and one whose mtime moved (a
// `touch`, a checkout, a rebase) is hashed: the same bytes cost no rebuild, only a refreshed stamp.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * SHA-1s known in this process, by path, size and mtime: taken here (an input of several bundles,
 * package-lock.json, tools/build.mjs, is read once) or read from a stamp, which vouches for a file
 * of that size and mtime as a check does (a rebuilt bundle's stamp hashes only what moved).
 */
const hashes = new Map();
const hashKey = (file, size, mtimeMs) => `${file}\0${size}\0${mtimeMs}`;
const hashOf = (file, st) => {
  const key = hashKey(file, st.size, st.mtimeMs);
  let sha1 = hashes.get(key);
  if (sha1 === undefined) hashes.set(key, (sha1 = createHash('sha1').update(fs.readFileSync(file)).digest('hex')));
  return sha1;
};

/**
 * What a stamp records of an input whose mtime is the build's start or later: it may have been
 * saved while the build read it, so the bundle may hold older bytes than those on disk now; the
 * next check takes it as changed (one rebuild), as git takes a "racily clean" file.
 */
export const CHANGED_DURING_BUILD = 'changed-during-build';

/**
 * How far a file's mtime may be behind the clock when it is written: ext4 takes it from the
 * kernel's coarse clock, up to a tick behind Date.now() (5.3 ms measured here at 250 Hz; 10 ms at
 * 100 Hz). Only an input saved that short a time before a build starts costs a second rebuild.
 */
export const MTIME_LAG_MS = 20;

/**
 * What a stamp records of a file the build only named, without reading it (a module of another
 * bundle it imports by path): current while the file exists, whatever its content.
 */
export const PRESENT = 'present';

/**
 * The stamp of `files` (paths relative to `root`): path -> { size, mtimeMs, sha1 }, or 'missing';
 * with `builtSince` (the Date.now() before the build read them), CHANGED_DURING_BUILD for a file
 * modified since (less MTIME_LAG_MS). A file dated later than now (`touch -d`, a clock skew) was
 * not saved meanwhile: it is stamped by content, as otherwise every build would leave it stale.
 */
export function stampOf(root, files, builtSince = Infinity) {
  const now = Date.now();
  return Object.fromEntries(
    files.map((f) => {
      const file = `${root}/${f}`;
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (!st) return [f, 'missing'];
      if (st.mtimeMs >= builtSince - MTIME_LAG_MS && st.mtimeMs <= now) return [f, CHANGED_DURING_BUILD];
      return [f, { size: st.size, mtimeMs: st.mtimeMs, sha1: hashOf(file, st) }];
    }),
  );
}

/** The files a PRESENT entry was found to exist for, in this process. */
const present = new Set();

/**
 * Whether the inputs recorded in the stamp file `stampFile` still have the content they had. When
 * only mtimes moved, the stamp is rewritten with the new ones (the next check reads no file).
 */
export function isCurrent(root, stampFile) {
  let recorded;
  try {
    recorded = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    return false;
  }
  let refreshed = false;
  const entries = Object.entries(recorded);
  for (const [f, was] of entries) {
    const key = typeof was === 'object' ? hashKey(`${root}/${f}`, was.size, was.mtimeMs) : undefined;
    if (key !== undefined && !hashes.has(key)) hashes.set(key, was.sha1);
  }
  for (const [f, was] of entries) {
    // Joined as a string: every run checks about 300 inputs, and path.join costs more than their stat.
    const file = `${root}/${f}`;
    if (was === PRESENT) {
      // Checked once per process: most bundles import model/ and charts/lib/ modules.
      if (present.has(file) || (fs.existsSync(file) && present.add(file))) continue;
      return false;
    }
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (was === 'missing' || !st || typeof was !== 'object') {
      if (was === 'missing' && !st) continue;
      return false;
    }
    if (st.size !== was.size) return false;
    if (st.mtimeMs === was.mtimeMs) continue;
    if (hashOf(file, st) !== was.sha1) return false;
    recorded[f] = { ...was, mtimeMs: st.mtimeMs };
    refreshed = true;
  }
  if (refreshed) writeStamp(stampFile, recorded);
  return true;
}

/** Writes a stamp atomically (a run reading it meanwhile sees the old or the new one). */
export function writeStamp(stampFile, stamp) {
  const tmp = `${stampFile}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(tmp, `${JSON.stringify(stamp)}\n`);
  fs.renameSync(tmp, stampFile);
}
