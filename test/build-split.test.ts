import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyRepository } from './guide-workspace';
import { REPO_ROOT, tempDir } from './helpers';

// tools/build.mjs splits our code into a bundle per layer (dist/model.js, charts.js, pipeline.js,
// tools/bundles.cjs), each entry's own bundle (the command) and dist/vendor.js (cdk8s, constructs,
// the k8s and CRD bindings, the Grafana SDK...): an edit rebuilds the bundles of the edited files'
// layers only, and the others keep their bytes and their code caches.
describe('the split bundles (tools/build.mjs)', () => {
  it('rebuild only the bundles of the edited layers, a module added below included, and the others keep their bytes and code caches', () => {
    const { dir, cleanup } = tempDir('build-split-');
    try {
      copyRepository(dir);
      fs.cpSync(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
      const synth = () =>
        spawnSync(process.execPath, [path.join(dir, 'tools', 'run.mjs'), 'main', '--out', dir], { cwd: dir, encoding: 'utf8' });
      const stat = (f: string) => fs.statSync(path.join(dir, 'dist', f), { throwIfNoEntry: false });
      const read = (f: string) => fs.readFileSync(path.join(dir, 'dist', f), 'utf8');
      expect(synth().status).toBe(0);
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

      // An edit of the pipeline that imports a new module of the charts' layer.
      fs.writeFileSync(path.join(dir, 'charts', 'build-split-added.ts'), "export const ADDED = 'added to charts';\n");
      fs.appendFileSync(
        path.join(dir, 'pipeline', 'render.ts'),
        "\nimport { ADDED } from '../charts/build-split-added';\nconsole.error(`edited render.ts, ${ADDED}`);\n",
      );
      const edited = synth();
      expect(edited.status).toBe(0);
      expect(edited.stdout).toMatch(/^synth: 2 sites, \d+ components, \d+ objects, 0 files changed/);
      expect(edited.stderr).toContain('edited render.ts, added to charts');
      expect(read('pipeline.js')).not.toBe(pipeline);
      expect(read('charts.js')).not.toBe(charts);
      expect(read('charts.js')).toContain('added to charts');
      for (const f of kept) expect([f, stat(f)!.mtimeMs]).toEqual([f, before.get(f)]);
      // The rebuilt bundles' caches were refused (other bytes) and are made again at exit.
      expect(stat('pipeline.js.main.v8cache')!.mtimeMs).toBeGreaterThan(stat('pipeline.js')!.mtimeMs);
      expect(stat('charts.js.main.v8cache')!.mtimeMs).toBeGreaterThan(stat('charts.js')!.mtimeMs);
    } finally {
      cleanup();
    }
  });
});
