import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, runTempDir } from './helpers';

// What tools/build.mjs stamps and does when a source moves while or between builds: an edit saved
// while esbuild runs, a module moved to another path, a build that fails. One scratch copy of what
// the bundles are built from (as test/build-split.test.ts makes it), whose dist/ is current: each
// test rebuilds only the bundles it makes stale, the tests in order.
const COPIED = ['model', 'sites', 'charts', 'pipeline', 'tools', 'main.ts', 'tsconfig.json', 'package.json', 'package-lock.json', 'dist'];
const LINKED = ['node_modules', 'imports'];
const REAL_ESBUILD = require.resolve(`@esbuild/${process.platform}-${process.arch}/bin/esbuild`);

describe('the build of the split bundles when sources move (tools/build.mjs)', () => {
  let dir = '';
  beforeAll(() => {
    dir = runTempDir('build-races-').dir;
    for (const entry of COPIED) fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
    for (const entry of LINKED) fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
  });
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  /** The bundles a run of the main entry rebuilt (tools/run.mjs's start, without running the bundle). */
  const rebuilt = (env: NodeJS.ProcessEnv = {}): string[] => {
    const build = JSON.stringify(path.join(dir, 'tools', 'build.mjs'));
    const script = `import { startBuild } from ${build}; const b = startBuild('main', { onlyIfStale: true }); await b.done; process.stdout.write(JSON.stringify(b.rebuilding));`;
    return JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      }),
    ) as string[];
  };
  /** An esbuild executable that runs the real one, then runs `after` (sh) once it exited 0. */
  const esbuildThen = (name: string, after: string): string => {
    const wrapper = path.join(dir, name);
    fs.writeFileSync(wrapper, `#!/bin/sh\n${JSON.stringify(REAL_ESBUILD)} "$@" || exit $?\n${after}\n`, { mode: 0o755 });
    return wrapper;
  };

  it('rebuilds a bundle once more after a source was saved while esbuild read it, and stamps tsconfig.json and package.json by content', () => {
    const errors = path.join(dir, 'model', 'errors.ts');
    fs.appendFileSync(errors, "export const RACE = 'saved before the build';\n");
    // The edit lands once esbuild has read the sources, before the stamp is written.
    const during = esbuildThen('esbuild-edits', `printf "export const RACE_2 = 'saved during the build';\\n" >> ${JSON.stringify(errors)}`);
    expect(rebuilt({ ESBUILD_BINARY_PATH: during })).toEqual(['model']);
    expect(read('dist/model.js')).toContain('saved before the build');
    expect(read('dist/model.js')).not.toContain('saved during the build');
    expect(JSON.parse(read('dist/model.inputs.json'))['model/errors.ts']).toBe('changed-during-build');
    expect(rebuilt()).toEqual(['model']);
    expect(read('dist/model.js')).toContain('saved during the build');
    // esbuild reads tsconfig.json (its target decides class fields): stamped, by content.
    const stamp = JSON.parse(read('dist/model.inputs.json')) as Record<string, unknown>;
    expect([typeof stamp['tsconfig.json'], typeof stamp['package.json'], typeof stamp['model/errors.ts']]).toEqual([
      'object',
      'object',
      'object',
    ]);
    const later = new Date(Date.now() + 60_000);
    for (const f of ['tsconfig.json', 'package.json']) fs.utimesSync(path.join(dir, f), later, later);
    expect(rebuilt()).toEqual([]);
  });

  it('rebuilds the bundles that import a module moved to another path, and a stale bundle asking for it says so', () => {
    const importer = read('dist/charts-monitoring.js');
    expect(importer).toContain('require("../model/recent-values.ts")');
    const entryInode = fs.statSync(path.join(dir, 'dist', 'model-entry.js')).ino;
    fs.mkdirSync(path.join(dir, 'model', 'recent-values'));
    fs.renameSync(path.join(dir, 'model', 'recent-values.ts'), path.join(dir, 'model', 'recent-values', 'index.ts'));
    expect(rebuilt().sort()).toEqual(['charts-monitoring', 'model', 'pipeline', 'pipeline-diff']);
    expect(read('dist/charts-monitoring.js')).toContain('require("../model/recent-values/index.ts")');
    // tsconfig.json, dated a minute ahead by the test above, was not saved during this build: stamped by content.
    expect(typeof JSON.parse(read('dist/model.inputs.json'))['tsconfig.json']).toBe('object');
    // The layer's entry (its module list) is replaced by a rename, never rewritten in place.
    expect(fs.statSync(path.join(dir, 'dist', 'model-entry.js')).ino).not.toBe(entryInode);
    // The importer as it was, against the rebuilt model bundle: the error names what to do.
    fs.writeFileSync(path.join(dir, 'dist', 'charts-monitoring.js'), importer);
    const run = spawnSync(process.execPath, ['-e', "require('./dist/charts-monitoring.js')['charts/monitoring/sql-exporter']()"], {
      cwd: dir,
      encoding: 'utf8',
      env: process.env,
    });
    expect(run.stderr).toContain('dist/model.js has no module model/recent-values (run npm run build)');
    expect(run.status).not.toBe(0);
  });

  it('waits for every esbuild when one fails, leaves no temporary file in dist/, and prints only what esbuild said', () => {
    const before = read('dist/charts-edge.js');
    fs.appendFileSync(path.join(dir, 'model', 'errors.ts'), "export const SLOW = 'the slow build';\n");
    fs.appendFileSync(path.join(dir, 'charts', 'edge', 'health.ts'), '\nexport const = ;\n');
    // The model bundle's esbuild ends after the failing one: it is still writing when that one fails.
    const done = path.join(dir, 'slow-build-done');
    const wrapper = path.join(dir, 'esbuild-slow');
    fs.writeFileSync(
      wrapper,
      `#!/bin/sh\ncase "$*" in *model-entry*) sleep 0.5;; esac\n${JSON.stringify(REAL_ESBUILD)} "$@"\nrc=$?\ncase "$*" in *model-entry*) : > ${JSON.stringify(done)};; esac\nexit $rc\n`,
      { mode: 0o755 },
    );
    const run = spawnSync(process.execPath, [path.join(dir, 'tools', 'run.mjs'), 'main', '--check'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ESBUILD_BINARY_PATH: wrapper },
    });
    // Without the wait, the slow esbuild would go on after the run exited: its end is waited for here.
    for (const until = Date.now() + 5000; !fs.existsSync(done) && Date.now() < until;) execFileSync('sleep', ['0.05']);
    expect(run.stderr).toContain('charts/edge/health.ts');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.status).toBe(1);
    expect(fs.readdirSync(path.join(dir, 'dist')).filter((f) => /\.(tmp|meta\.json)$/.test(f))).toEqual([]);
    expect(read('dist/charts-edge.js')).toBe(before);
    expect(read('dist/model.js')).toContain('the slow build');
  });
});
