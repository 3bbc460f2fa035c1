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
const hashOf = (file, st) => {
  const key = `${file}\0${st.size}\0${st.mtimeMs}`;
  let sha1 = hashes.get(key);
  if (sha1 === undefined) hashes.set(key, (sha1 = createHash('sha1').update(fs.readFileSync(file)).digest('hex')));
  return sha1;
};

/** The stamp of `files` (paths relative to `root`): path -> { size, mtimeMs, sha1 }, or 'missing'. */
export function stampOf(root, files) {
  return Object.fromEntries(
    files.map((f) => {
      const file = `${root}/${f}`;
      const st = fs.statSync(file, { throwIfNoEntry: false });
      return [f, st ? { size: st.size, mtimeMs: st.mtimeMs, sha1: hashOf(file, st) } : 'missing'];
    }),
  );
}

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
    const key = typeof was === 'object' ? `${root}/${f}\0${was.size}\0${was.mtimeMs}` : undefined;
    if (key !== undefined && !hashes.has(key)) hashes.set(key, was.sha1);
  }
  for (const [f, was] of entries) {
    // Joined as a string: every run checks about 300 inputs, and path.join costs more than their stat.
    const file = `${root}/${f}`;
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
