import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyRepository } from './guide-workspace';
import { REPO_ROOT, tempDir } from './helpers';

// tools/build.mjs splits each entry into its own bundle (our code) and dist/vendor.js (cdk8s,
// constructs, the k8s and CRD bindings, the Grafana SDK...): an edit of our code rebuilds the
// small bundle only, and the vendor bundle keeps its bytes and its code cache.
describe('the split bundles (tools/build.mjs)', () => {
  it('rebuild only the entry bundle after an edit of our code, which still runs with the unchanged vendor bundle and its code cache', () => {
    const { dir, cleanup } = tempDir('build-split-');
    try {
      copyRepository(dir);
      fs.cpSync(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
      const synth = () =>
        spawnSync(process.execPath, [path.join(dir, 'tools', 'run.mjs'), 'main', '--out', dir], { cwd: dir, encoding: 'utf8' });
      const stat = (f: string) => fs.statSync(path.join(dir, 'dist', f), { throwIfNoEntry: false });
      const first = synth();
      expect(first.status).toBe(0);
      const vendor = stat('vendor.js')!;
      const vendorCache = stat('vendor.js.main.v8cache')!;
      const bundle = fs.readFileSync(path.join(dir, 'dist', 'main.js'), 'utf8');
      expect(vendorCache).toBeDefined();

      const render = path.join(dir, 'pipeline', 'render.ts');
      fs.appendFileSync(render, "\nif (process.env.PLATFORM_BUILD_SPLIT_TEST) console.error('edited render.ts');\n");
      const edited = synth();
      expect(edited.status).toBe(0);
      expect(edited.stdout).toMatch(/^synth: 2 sites, \d+ components, \d+ objects, 0 files changed/);
      expect(fs.readFileSync(path.join(dir, 'dist', 'main.js'), 'utf8')).not.toBe(bundle);
      expect(fs.readFileSync(path.join(dir, 'dist', 'main.js'), 'utf8')).toContain('edited render.ts');
      expect(stat('vendor.js')!.mtimeMs).toBe(vendor.mtimeMs);
      expect(stat('vendor.js.main.v8cache')!.mtimeMs).toBe(vendorCache.mtimeMs);
      // The entry bundle's own cache was refused (other bytes) and is made again at exit.
      expect(stat('main.js.v8cache')).toBeDefined();
    } finally {
      cleanup();
    }
  });
});
