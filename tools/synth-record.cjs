// The record of the last synth runs that found gitops/ up to date: for each, a digest of every
// input the render reads (the bundles, which hold the sources, the site model and the generated
// bindings; the validators under imports/validators/, read at run time; the lockfiles, which stand
// for the packages loaded from node_modules; the node version) and a digest of the bytes of the
// gitops/ tree it found. When a synth starts with the same inputs and finds a gitops/ tree with
// the same digest, the render would find nothing to change: tools/run.mjs prints what that run
// printed and exits without loading the bundle. Any other input, and any byte, file or directory
// added to, changed in or removed from gitops/, renders as before.
//
// Written by main.ts only after a run that changed nothing, rendered every site, fetched no AWS
// stack outputs and found no file or directory of gitops/ changed since its start (by their
// ctimes: no other writer changed it meanwhile). Input files are known by size and mtime and
// hashed when one of them moved (as the build stamps, tools/stamps.mjs); a file of gitops/ is
// known by size, mtime, ctime and inode (a write, a rename or a `touch` moves its ctime, which no
// one can set back) and read and hashed only when one of them moved. Whatever goes wrong here (an unreadable file) only means no record:
// the synth renders. CommonJS so that the bundle of main.ts and the ES modules of tools/ share it.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const VERSION = 2;
/** Trees of different output directories with the same inputs share an entry; this many are kept. */
const MAX_ENTRIES = 8;
/** The staging directory of the writer (pipeline/writer-staging.ts): present only while a run writes, or after one died. */
const STAGING_DIR = '.synth-staging';
/** File times come from a clock that lags the system's by up to a tick (a few ms): this covers it. */
const CLOCK_MARGIN_MS = 100;

/**
 * The synth's command-line options (util.parseArgs's form): main.ts parses its command line with
 * them, and tools/run.mjs reads one with them to tell a recordable run (a whole synth or --check,
 * with --out or not) from any other. Declared here, where tools/run.mjs reads them with the
 * record it loads anyway: no file more to load before a recorded run answers.
 */
const SYNTH_OPTIONS = { site: { type: 'string', multiple: true }, check: { type: 'boolean' }, out: { type: 'string' } };

const sha1 = (data) => createHash('sha1').update(data).digest('hex');
const recordFileOf = (repo) => path.join(repo, 'dist', 'synth-record.json');

function readRecord(repo) {
  return readRecordFile(repo).record;
}

/**
 * The records parsed in this process, by file, with the stat they were read at: tools/run.mjs
 * reads the record to find a recorded run, and the synth it starts (main.ts, whose bundle holds
 * its own copy of this module) reads it again at its start; parsing it (about 200 KB with a few
 * trees) costs 1 to 2 ms. Records are never changed in place, only read.
 */
const parsed = (globalThis[Symbol.for('synth-record.parsed')] ??= new Map());

/** The record and the stat of its file (undefined when there is none), to tell later whether another run replaced it. */
function readRecordFile(repo) {
  const file = recordFileOf(repo);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  const known = parsed.get(file);
  if (known !== undefined && sameRecordStat(known.stat, stat)) return { record: known.record, stat };
  const record = parseRecord(file);
  if (stat !== undefined) parsed.set(file, { record, stat });
  return { record, stat };
}

/** Whether two stats of the record file are of the same file (it is only ever replaced by a rename, or emptied). */
const sameRecordStat = (a, b) => a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** Whether the record file still is the one read with `stat` (it is only ever replaced by a rename). */
function sameRecordFile(repo, stat) {
  return sameRecordStat(stat, fs.statSync(recordFileOf(repo), { throwIfNoEntry: false }));
}

function parseRecord(file) {
  try {
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (record.version === VERSION && Array.isArray(record.entries) && typeof record.files === 'object' && typeof record.trees === 'object')
      return record;
  } catch {
    // No record yet, or an unreadable one: as empty.
  }
  return { version: VERSION, files: {}, trees: {}, entries: [] };
}

/**
 * Every file below `dir`, relative to `base` (`prefix` is `dir` relative to it), sorted;
 * directories with a trailing '/'. Paths are joined as strings: the walk runs on every synth, and
 * path.join and path.relative cost more than the directory reads.
 */
function walk(dir, base, into = [], prefix = relativeTo(base, dir)) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return into;
    throw err;
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory()) {
      into.push(`${rel}/`);
      walk(`${dir}/${entry.name}`, base, into, `${rel}/`);
    } else into.push(rel);
  }
  return into;
}

/** `dir` relative to `base`, '/'-separated, with a trailing '/' unless it is `base` itself. */
function relativeTo(base, dir) {
  const rel = path.relative(base, dir).split(path.sep).join('/');
  return rel === '' ? '' : `${rel}/`;
}

/**
 * The digest of the inputs of a synth run by the bundles `programFiles` of the repository `repo`,
 * and what each input file was seen as (`used`: path -> { size, mtimeMs, sha1 }). `known`, the
 * same from the record, spares hashing a file whose size and mtime are as recorded.
 */
function inputsDigest(repo, programFiles, known) {
  const files = [
    ...programFiles.map((f) => path.relative(repo, f).split(path.sep).join('/')),
    'package-lock.json',
    'node_modules/.package-lock.json',
    ...walk(path.join(repo, 'imports', 'validators'), repo),
  ];
  const parts = [`node ${process.version}`];
  const used = {};
  for (const f of files) {
    if (f.endsWith('/')) {
      parts.push(f);
      continue;
    }
    const file = `${repo}/${f}`;
    const st = fs.statSync(file, { throwIfNoEntry: false });
    let digest = 'missing';
    if (st) {
      const was = known[f];
      digest = was && was.size === st.size && was.mtimeMs === st.mtimeMs ? was.sha1 : sha1(fs.readFileSync(file));
      used[f] = { size: st.size, mtimeMs: st.mtimeMs, sha1: digest };
    }
    parts.push(`${f} ${digest}`);
  }
  return { digest: sha1(parts.join('\n')), used };
}

/** Whether a file's stat is the one recorded with its hash (`was`). */
const sameStat = (was, st) =>
  was !== undefined && was.size === st.size && was.mtimeMs === st.mtimeMs && was.ctimeMs === st.ctimeMs && was.ino === st.ino;

/**
 * The digest of every path and byte of `root`/gitops/, and what each file was seen as (`seen`:
 * path -> { size, mtimeMs, ctimeMs, ino, sha1 }). `known`, the same from the record, spares
 * reading a file whose stat is as recorded. With `unchangedSince` (a time in ms), undefined if a
 * file or directory of it changed since then (its ctime, which a write, a rename or a `touch`
 * moves and no one can set; less a margin for the file system's coarser clock).
 */
function gitopsDigest(root, known, unchangedSince = undefined) {
  const gitops = path.join(root, 'gitops');
  const hash = createHash('sha1');
  const since = unchangedSince === undefined ? Infinity : unchangedSince - CLOCK_MARGIN_MS;
  if ((fs.statSync(gitops, { throwIfNoEntry: false })?.ctimeMs ?? 0) >= since) return undefined;
  const seen = {};
  for (const p of walk(gitops, gitops)) {
    const file = `${gitops}/${p}`;
    let st = fs.statSync(file);
    if (st.ctimeMs >= since) return undefined;
    if (p.endsWith('/')) {
      hash.update(`${p}\n`);
      continue;
    }
    let digest = known[p]?.sha1;
    if (!sameStat(known[p], st)) {
      // Read through the descriptor it was checked by: a file renamed over it meanwhile is not read.
      const fd = fs.openSync(file, 'r');
      try {
        st = fs.fstatSync(fd);
        if (st.ctimeMs >= since) return undefined;
        digest = sha1(fs.readFileSync(fd));
      } finally {
        fs.closeSync(fd);
      }
    }
    seen[p] = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha1: digest };
    hash.update(`${p} ${digest}\n`);
  }
  return { digest: hash.digest('hex'), seen };
}

/**
 * What a synth of `root` would print, when the record says that these inputs render exactly the
 * gitops/ tree `root` holds: `{ stdout }`; otherwise undefined (the synth must run). `check`
 * chooses the line of `--check`.
 */
function recordedRun(repo, programFiles, root, check) {
  try {
    if (fs.existsSync(path.join(root, STAGING_DIR))) return undefined;
    const record = readRecord(repo);
    if (record.entries.length === 0) return undefined;
    const inputs = inputsDigest(repo, programFiles, record.files).digest;
    const candidates = record.entries.filter((e) => e.inputs === inputs);
    if (candidates.length === 0) return undefined;
    const gitops = gitopsDigest(root, record.trees[root] ?? {})?.digest;
    const entry = candidates.find((e) => e.gitops === gitops);
    return entry === undefined ? undefined : { stdout: check ? entry.check : entry.synth };
  } catch {
    return undefined;
  }
}

/**
 * Starts recording a synth of `root`: the inputs digest is taken now, before the render.
 * `save(lines)` records it once the run found nothing to change, with the digest of gitops/, if
 * nothing in gitops/ changed since the start (so it is the tree the render compared).
 */
function startRecord(repo, programFiles, root) {
  const start = Date.now();
  let inputs;
  let atStart;
  try {
    atStart = readRecordFile(repo);
    inputs = inputsDigest(repo, programFiles, atStart.record.files);
  } catch {
    inputs = undefined;
  }
  return {
    save({ synth, check }) {
      if (inputs === undefined) return false;
      try {
        // Read again only if another run recorded meanwhile (its entries are kept): parsing it
        // (about 200 KB with a few trees) costs 1 to 2 ms.
        const record = sameRecordFile(repo, atStart.stat) ? atStart.record : readRecord(repo);
        const tree = gitopsDigest(root, record.trees[root] ?? {}, start);
        if (tree === undefined) return false;
        const gitops = tree.digest;
        const entries = [
          { inputs: inputs.digest, gitops, synth, check },
          ...record.entries.filter((e) => e.inputs !== inputs.digest || e.gitops !== gitops),
        ];
        // The files of the last few trees recorded, this one first; not those of a directory whose
        // gitops/ is gone (a test's or a bench's output): every run reads the record, 100 KB a tree.
        const others = Object.entries(record.trees).filter(([r]) => r !== root && fs.existsSync(path.join(r, 'gitops')));
        const trees = Object.fromEntries([[root, tree.seen], ...others].slice(0, MAX_ENTRIES));
        const content = { version: VERSION, files: inputs.used, trees, entries: entries.slice(0, MAX_ENTRIES) };
        const file = recordFileOf(repo);
        const tmp = `${file}.${process.pid}.tmp`;
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(tmp, `${JSON.stringify(content)}\n`);
        fs.renameSync(tmp, file);
        return true;
      } catch {
        return false;
      }
    },
  };
}

module.exports = { recordedRun, startRecord, SYNTH_OPTIONS };
