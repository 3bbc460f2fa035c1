import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordedRun, startRecord } from '../tools/synth-record.cjs';
import { renderedGitops, runSynth, runTempDir, tempDir, treeDigest } from './helpers';

const LINES = { synth: 'synth: 2 sites, 0 files changed', check: 'synth --check: 2 sites, 0 files out of date' };

/** Writes `content` to `rel` under `dir`. */
function writeUnder(dir: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), content);
}

/** The mtime of the fake gitops/README.md: a whole second, which utimes sets back exactly. */
const README_MTIME = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

/** A repository as the record sees it (a bundle, the lockfiles, validators) and a gitops/ tree, in a temp dir. */
function fakeRepository(dir: string): void {
  writeUnder(dir, 'dist/main.js', 'console.log(1);\n');
  writeUnder(dir, 'package-lock.json', '{}\n');
  writeUnder(dir, 'node_modules/.package-lock.json', '{}\n');
  writeUnder(dir, 'imports/validators/1.36/kinds.json', '{}\n');
  writeUnder(dir, 'imports/validators/1.36/v1_Pod.js', 'module.exports = () => true;\n');
  writeUnder(dir, 'gitops/cluster1/apps/kustomization.yaml', 'resources: []\n');
  writeUnder(dir, 'gitops/README.md', '# gitops\n');
  fs.utimesSync(path.join(dir, 'gitops/README.md'), README_MTIME, README_MTIME);
}

// A record is written only when nothing in gitops/ changed since the run started (by ctime, with
// a margin): the fake repositories are made before the tests, and the tests start a little later.
const root = tempDir('synth-record-');
let made = 0;
beforeAll(() => {
  for (let i = 0; i < 20; i++) fakeRepository(path.join(root.dir, String(i)));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
});
afterAll(() => root.cleanup());

/** A fake repository of its own for one test: its directory, its bundle, and a writer of files in it. */
function repository(): { dir: string; bundle: string; write: (rel: string, content: string) => void } {
  const dir = path.join(root.dir, String(made++));
  return { dir, bundle: path.join(dir, 'dist', 'main.js'), write: (rel, content) => writeUnder(dir, rel, content) };
}

/** Whether a run recorded in a fresh fake repository is still taken after `change`. */
function recordedAfter(change: (dir: string, write: (rel: string, content: string) => void) => void): boolean {
  const { dir, bundle, write } = repository();
  expect(startRecord(dir, [bundle], dir).save(LINES)).toBe(true);
  expect(recordedRun(dir, [bundle], dir, false)).toEqual({ stdout: LINES.synth });
  change(dir, write);
  return recordedRun(dir, [bundle], dir, false) !== undefined;
}

describe('the record of a synth that found gitops/ up to date (tools/synth-record.cjs)', () => {
  it('is taken with the same inputs and tree, after a touch of every file (same bytes), and gives the --check line too', () => {
    const { dir, bundle } = repository();
    expect(startRecord(dir, [bundle], dir).save(LINES)).toBe(true);
    const later = new Date(Date.now() + 60_000);
    for (const f of ['dist/main.js', 'package-lock.json', 'imports/validators/1.36/v1_Pod.js', 'gitops/README.md'])
      fs.utimesSync(path.join(dir, f), later, later);
    expect(recordedRun(dir, [bundle], dir, true)).toEqual({ stdout: LINES.check });
  });

  it.each([
    ['the bundle (the sources, the model, the bindings)', 'dist/main.js', 'console.log(2);\n'],
    ['a validator', 'imports/validators/1.36/v1_Pod.js', 'module.exports = () => false;\n'],
    ['a new validator', 'imports/validators/1.36/v1_Service.js', 'module.exports = () => true;\n'],
    ['the lockfile', 'package-lock.json', '{ }\n'],
    ['the installed packages', 'node_modules/.package-lock.json', '{ }\n'],
    ['a gitops/ file, same size', 'gitops/README.md', '# GITOPS\n'],
    ['a file added to gitops/', 'gitops/cluster1/leftover.yaml', 'x: 1\n'],
  ])('is not taken after a change of %s', (_what, file, content) => {
    expect(recordedAfter((_dir, write) => write(file, content))).toBe(false);
  });

  it.each([
    ['a gitops/ file removed', (dir: string) => fs.rmSync(path.join(dir, 'gitops', 'README.md'))],
    ['an empty directory added to gitops/', (dir: string) => fs.mkdirSync(path.join(dir, 'gitops', 'cluster2'))],
    [
      'a gitops/ file rewritten, same size, its mtime set back (the record knows files by stat: the ctime moved)',
      (dir: string) => {
        const file = path.join(dir, 'gitops', 'README.md');
        fs.writeFileSync(file, '# GITOPS\n');
        fs.utimesSync(file, README_MTIME, README_MTIME);
      },
    ],
    ['a validator removed', (dir: string) => fs.rmSync(path.join(dir, 'imports', 'validators', '1.36', 'v1_Pod.js'))],
    ['a writer staging directory left (a run writing, or one that died)', (dir: string) => fs.mkdirSync(path.join(dir, '.synth-staging'))],
  ])('is not taken after %s', (_what, change) => {
    expect(recordedAfter(change)).toBe(false);
  });

  it('keeps what another run recorded while this one ran', () => {
    const { dir, bundle, write } = repository();
    write('dist/other.js', 'console.log(2);\n');
    const other = path.join(dir, 'dist', 'other.js');
    const recording = startRecord(dir, [bundle], dir);
    expect(startRecord(dir, [other], dir).save(LINES)).toBe(true);
    expect(recording.save(LINES)).toBe(true);
    expect(recordedRun(dir, [other], dir, false)).toEqual({ stdout: LINES.synth });
    expect(recordedRun(dir, [bundle], dir, false)).toEqual({ stdout: LINES.synth });
  });

  it('drops the tree of an output directory whose gitops/ is gone, and keeps the others', () => {
    const { dir, bundle } = repository();
    const [gone, kept] = [repository().dir, repository().dir];
    for (const out of [gone, kept]) expect(startRecord(dir, [bundle], out).save(LINES)).toBe(true);
    fs.rmSync(path.join(gone, 'gitops'), { recursive: true });
    expect(startRecord(dir, [bundle], dir).save(LINES)).toBe(true);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'dist', 'synth-record.json'), 'utf8')) as { trees: Record<string, unknown> };
    expect(Object.keys(record.trees)).toEqual([dir, kept]);
    expect(recordedRun(dir, [bundle], kept, false)).toEqual({ stdout: LINES.synth });
  });

  it.each([
    ['a file written', (write: (rel: string, content: string) => void) => write('gitops/README.md', '# edited meanwhile\n')],
    ['a file added', (write: (rel: string, content: string) => void) => write('gitops/cluster1/new.yaml', 'x: 1\n')],
  ])('is not written when gitops/ changed during the run (%s)', (_what, change) => {
    const { dir, bundle, write } = repository();
    const recording = startRecord(dir, [bundle], dir);
    change(write);
    expect(recording.save(LINES)).toBe(false);
    expect(recordedRun(dir, [bundle], dir, false)).toBeUndefined();
  });
});

describe('synth with a recorded run (tools/run.mjs)', () => {
  /** NODE_OPTIONS preload telling, at exit, whether the vendor bundle (cdk8s...) was loaded: a render loads it, the record does not. */
  function vendorLoadedProbe(dir: string): string {
    const probe = path.join(dir, 'probe.cjs');
    fs.writeFileSync(
      probe,
      "process.on('exit', () => process.stderr.write(`vendor loaded: ${Object.keys(require.cache).some((k) => k.endsWith('/dist/vendor.js'))}\\n`));\n",
    );
    return probe;
  }

  // One tree, its steps in order (each test runs one synth process): a run that changes nothing,
  // the record taken, a --site run that bypasses it, a hand edit --check finds, the bytes put back.
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let unchangedLine = '';
  const file = () => path.join(dir, 'gitops', 'cluster1', 'apps', 'kustomization.yaml');
  let original = '';
  beforeAll(() => {
    // In the jest run's directory, removed once at its end (deleting many files slows the next creations).
    dir = runTempDir('synth-record-').dir;
    fs.cpSync(renderedGitops(), path.join(dir, 'gitops'), { recursive: true });
    env = { NODE_OPTIONS: `--require ${vendorLoadedProbe(dir)}` };
    original = fs.readFileSync(file(), 'utf8');
  });

  it('finds nothing to change in a copy of the rendered tree (and records that run)', () => {
    // This run finds nothing to change (rendered, unless a run on the same inputs recorded this tree already)...
    const unchanged = runSynth(['--out', dir]);
    expect(unchanged.status).toBe(0);
    expect(unchanged.stdout).toMatch(/^synth: 2 sites, \d+ components, \d+ objects, 0 files changed/);
    unchangedLine = unchanged.stdout;
  });

  it('takes the record in the next run, which loads neither bundle and prints the same line', () => {
    // ...so the next one loads neither bundle: it hashes the inputs and the tree, and prints its line.
    const recorded = runSynth(['--out', dir], { env });
    expect(recorded.status).toBe(0);
    expect(recorded.stderr).toContain('vendor loaded: false');
    expect(recorded.stdout).toBe(unchangedLine);
  });

  it('never answers a --site run from the record (the bundle runs and refuses an unknown site)', () => {
    const site = runSynth(['--out', dir, '--site', 'nope'], { env });
    expect(site.status).toBe(2);
    expect(site.stderr).toContain('no site named nope');
  });

  it('renders again after a same-size hand edit of gitops/: --check finds it and exits 1', () => {
    fs.writeFileSync(
      file(),
      original.replace(/[a-z]/, (c) => c.toUpperCase()),
    );
    const drift = runSynth(['--out', dir, '--check'], { env });
    expect(drift.status).toBe(1);
    expect(drift.stderr).toContain('vendor loaded: true');
    expect(drift.stdout).toMatch(/differs +gitops\/cluster1\/apps\/kustomization\.yaml/);
  });

  it('takes the record again once the bytes are put back (a new ctime: the file is hashed again)', () => {
    fs.writeFileSync(file(), original);
    const check = runSynth([`--out=${dir}`, '--check'], { env });
    expect(check.status).toBe(0);
    expect(check.stderr).toContain('vendor loaded: false');
    expect(check.stdout).toMatch(/^synth --check: 2 sites, \d+ components, \d+ objects, 0 files out of date\n$/);
    expect(treeDigest(path.join(dir, 'gitops'))).toBe(treeDigest(renderedGitops()));
  });
});
