import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, renderedGitops, runTempDir, tempDir } from './helpers';

/** What the synth's bundles are built from (their build stamps list them), copied; the packages and the generated bindings linked. */
const COPIED = ['model', 'sites', 'charts', 'pipeline', 'tools', 'main.ts', 'tsconfig.json', 'package.json', 'package-lock.json', 'dist'];
const LINKED = ['node_modules', 'imports'];

// tools/build.mjs splits our code into a bundle per layer (dist/model.js, charts.js, pipeline.js,
// tools/bundles.cjs), each entry's own bundle (the command) and dist/vendor.js (cdk8s, constructs,
// the k8s and CRD bindings, the Grafana SDK...): an edit rebuilds the bundles of the edited files'
// layers only, and the others keep their bytes and their code caches.
describe('the split bundles (tools/build.mjs)', () => {
  it('rebuild only the bundles of the edited layers, a module added below included, and the others keep their bytes and code caches', () => {
    // In the jest run's directory, removed once at its end (deleting many files slows the next creations).
    const { dir } = runTempDir('build-split-');
    for (const entry of COPIED) fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
    for (const entry of LINKED) fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
    // The rendered tree, read only: --check renders and compares, and writes nothing.
    fs.symlinkSync(renderedGitops(), path.join(dir, 'gitops'));
    const stat = (f: string) => fs.statSync(path.join(dir, 'dist', f), { throwIfNoEntry: false });
    const read = (f: string) => fs.readFileSync(path.join(dir, 'dist', f), 'utf8');
    const kept = [
      'vendor.js',
      'vendor.js.main.v8cache',
      'model.js',
      'model.js.main.v8cache',
      'charts-lib.js',
      'charts-lib.js.main.v8cache',
      'main.js',
      'main.js.v8cache',
    ];
    const before = new Map(kept.map((f) => [f, stat(f)!.mtimeMs]));
    const [pipeline, charts] = [read('pipeline.js'), read('charts.js')];

    // An edit of the pipeline that imports a new module of the charts' layer (every source copied
    // has a new mtime: the others are hashed, found the same, and not rebuilt).
    fs.writeFileSync(path.join(dir, 'charts', 'build-split-added.ts'), "export const ADDED = 'added to charts';\n");
    fs.appendFileSync(
      path.join(dir, 'pipeline', 'render.ts'),
      "\nimport { ADDED } from '../charts/build-split-added';\nconsole.error(`edited render.ts, ${ADDED}`);\n",
    );
    const edited = spawnSync(process.execPath, [path.join(dir, 'tools', 'run.mjs'), 'main', '--out', dir, '--check'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(edited.stderr).toContain('edited render.ts, added to charts');
    expect(edited.stdout).toMatch(/^synth --check: 2 sites, \d+ components, \d+ objects, 0 files out of date\n$/);
    expect(edited.status).toBe(0);
    expect(read('pipeline.js')).not.toBe(pipeline);
    expect(read('charts.js')).not.toBe(charts);
    expect(read('charts.js')).toContain('added to charts');
    for (const f of kept) expect([f, stat(f)!.mtimeMs]).toEqual([f, before.get(f)]);
    // Another bundle's module is asked of that bundle by its path (tools/build.mjs, sharedRequire),
    // and no bundle of our code keeps an import(): tools/code-cache.mjs compiles them without one.
    expect(read('pipeline.js')).toContain('require("../charts/build-split-added.ts")');
    for (const f of fs
      .readdirSync(path.join(dir, 'dist'))
      .filter((name) => /^(?!vendor)[\w-]+\.js$/.test(name) && !name.endsWith('-entry.js')))
      expect([f, /\bimport\(/.test(read(f))]).toEqual([f, false]);
    // The rebuilt bundles' caches were refused (other bytes) and are made again at exit.
    expect(stat('pipeline.js.main.v8cache')!.mtimeMs).toBeGreaterThan(stat('pipeline.js')!.mtimeMs);
    expect(stat('charts.js.main.v8cache')!.mtimeMs).toBeGreaterThan(stat('charts.js')!.mtimeMs);
  });

  it('load, while esbuild rebuilds, the bundles that did not change and that the entry loaded before (each has its cache for it)', () => {
    const { dir, cleanup } = tempDir('build-split-load-');
    try {
      // Bundles named as the shared ones are: each records that it was loaded.
      for (const name of ['vendor', 'model', 'charts', 'pipeline'])
        fs.writeFileSync(path.join(dir, `${name}.js`), `(globalThis.loaded ??= []).push(${JSON.stringify(name)});\n`);
      // What runs of the entry 'main' left: a cache of vendor, model and pipeline for it, of charts for another entry.
      for (const cache of ['vendor.js.main', 'model.js.main', 'pipeline.js.main', 'charts.js.review'])
        fs.writeFileSync(path.join(dir, `${cache}.v8cache`), 'not a cache of these bytes: refused, made again at exit');
      const codeCache = JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'tools', 'code-cache.mjs')).href);
      const script = `import { loadSharedBundles } from ${codeCache}; loadSharedBundles(${JSON.stringify(path.join(dir, 'main.js'))}, 'main', ['pipeline']); console.log(globalThis.loaded.join(' '));`;
      expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })).toBe('vendor model\n');
    } finally {
      cleanup();
    }
  });
});
