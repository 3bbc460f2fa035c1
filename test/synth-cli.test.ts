import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTree } from '../pipeline/writer';
import { renderedGitops, REPO_ROOT, runSynth, tempDir, treeDigest } from './helpers';

// The synth command line as users run it (tools/run.mjs), each test in fresh directories.
describe('synth CLI', () => {
  it('gives identical bytes under another TZ, locale and working directory', () => {
    // The run's rendered tree (test/global-setup.js) came from this CLI started in the repository
    // root, in the environment of jest's workers, which this process shares: this run differs in all three.
    const { timeZone, locale } = Intl.DateTimeFormat().resolvedOptions();
    const TZ = timeZone === 'Pacific/Kiritimati' ? 'America/Anchorage' : 'Pacific/Kiritimati';
    const LANG = locale.startsWith('fr') ? 'de_DE.UTF-8' : 'fr_FR.UTF-8';
    const { dir, cleanup } = tempDir();
    try {
      const run = runSynth(['--out', dir], { cwd: '/', env: { TZ, LANG, LC_ALL: LANG } });
      expect(run.status).toBe(0);
      expect(treeDigest(path.join(dir, 'gitops'))).toBe(treeDigest(renderedGitops()));
      expect(readTree(path.join(dir, 'gitops')).size).toBeGreaterThan(10);
    } finally {
      cleanup();
    }
  });

  it('renders one site with --site and leaves the others untouched', () => {
    const { dir, cleanup } = tempDir();
    try {
      // The rendered tree of this jest run (test/global-setup.js renders it with this CLI).
      fs.cpSync(renderedGitops(), path.join(dir, 'gitops'), { recursive: true });
      const other = path.join(dir, 'gitops', 'cluster2', 'apps', 'kustomization.yaml');
      const mine = path.join(dir, 'gitops', 'cluster1', 'apps', 'kustomization.yaml');
      fs.writeFileSync(other, 'edited by hand\n');
      fs.writeFileSync(mine, 'edited by hand\n');
      const run = runSynth(['--out', dir, '--site', 'cluster1']);
      expect(run.stdout).toMatch(/synth: 1 sites, \d+ components, \d+ objects, 1 files changed/);
      expect(fs.readFileSync(other, 'utf8')).toBe('edited by hand\n');
      expect(fs.readFileSync(mine, 'utf8')).not.toBe('edited by hand\n');
    } finally {
      cleanup();
    }
  });

  it('--check lists each stale file and exits 1, and exits 0 when up to date', () => {
    const { dir, cleanup } = tempDir();
    try {
      fs.cpSync(renderedGitops(), path.join(dir, 'gitops'), { recursive: true });
      expect(runSynth(['--out', dir, '--check']).status).toBe(0);
      fs.rmSync(path.join(dir, 'gitops', 'cluster2', 'namespaces'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'gitops', 'cluster1', 'leftover.yaml'), 'x: 1\n');
      const before = treeDigest(path.join(dir, 'gitops'));
      const check = runSynth(['--out', dir, '--check']);
      expect(check.status).toBe(1);
      expect(check.stdout).toMatch(/missing +gitops\/cluster2\/namespaces\/kustomization\.yaml/);
      expect(check.stdout).toMatch(/stale +gitops\/cluster1\/leftover\.yaml/);
      expect(treeDigest(path.join(dir, 'gitops'))).toBe(before);
    } finally {
      cleanup();
    }
  });

  it('rejects an unknown site with exit code 2 and writes nothing', () => {
    const run = runSynth(['--out', path.join(REPO_ROOT, 'does-not-exist'), '--site', 'cluster9']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/field --site: no site named cluster9; known sites: cluster1, cluster2/);
    expect(fs.existsSync(path.join(REPO_ROOT, 'does-not-exist'))).toBe(false);
  });
});
