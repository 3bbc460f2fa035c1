import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, tempDir } from './helpers';

// dist/vendor.js (tools/build.mjs) gives cdk8s node's `child_process` (and the `yaml` library) on
// first use only: loading cdk8s does not load child_process, and both work when cdk8s uses them
// (its Helm chart runs the helm it is given, its Yaml writes YAML).
describe('the vendor bundle (tools/build.mjs)', () => {
  it('gives cdk8s child_process on first use, and child_process and yaml work then', () => {
    const { dir, cleanup } = tempDir('vendor-lazy-');
    try {
      const helm = path.join(dir, 'helm');
      fs.writeFileSync(helm, '#!/bin/sh\necho "helm ran with $*" >&2\nexit 3\n', { mode: 0o755 });
      const script = `
        const loaded = (m) => process.moduleLoadList.includes('NativeModule ' + m);
        const vendor = require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'vendor.js'))});
        const cdk8s = vendor.cdk8s();
        const before = loaded('child_process');
        const app = new cdk8s.App({ outdir: ${JSON.stringify(path.join(dir, 'out'))} });
        const chart = new cdk8s.Chart(app, 'c');
        let helm;
        try {
          new cdk8s.Helm(chart, 'h', { chart: 'any', releaseName: 'r', helmExecutable: ${JSON.stringify(helm)} });
        } catch (err) {
          helm = err.message.trim();
        }
        const yaml = cdk8s.Yaml.stringify({ kind: 'ConfigMap' });
        console.log(JSON.stringify({ before, helm, yaml, after: loaded('child_process') }));
      `;
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' })) as {
        before: boolean;
        helm: string;
        yaml: string;
        after: boolean;
      };
      expect(out.before).toBe(false);
      expect(out.after).toBe(true);
      expect(out.helm).toMatch(/^helm ran with template .*\br any$/);
      expect(out.yaml).toBe('kind: ConfigMap\n');
    } finally {
      cleanup();
    }
  });
});
