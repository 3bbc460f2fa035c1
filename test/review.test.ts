import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const review = (args: string[]) =>
  spawnSync(process.execPath, [path.join(__dirname, '..', 'dist', 'review.js'), ...args], { encoding: 'utf8', timeout: 120_000 }) as {
    status: number;
    stdout: string;
    stderr: string;
  };

describe('review command line', () => {
  it('validates the committed platform and lists the exceptions in force with their reasons', () => {
    const r = review(['validate']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/namespace argocd \(argocd\) runs at Pod Security level baseline: the upstream install.yaml/);
    expect(r.stdout).toMatch(/validate: 2 sites, \d+ objects, 0 finding\(s\)/);
  });

  it('prints the capacity as a table per scenario: a header row, then a row and a bar per node, within 80 columns', () => {
    const r = review(['capacity', '--site', 'cluster1']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    // The scale is the 100% step at or above the scenario's highest bar (500% since Reloader joined).
    const scenario = lines.findIndex((line) => /^ {2}all nodes up \(bars up to \d+00%, \| marks allocatable\)$/.test(line));
    expect(scenario).toBeGreaterThan(0);
    const scale = Number(/up to (\d+)%/.exec(lines[scenario]!)![1]);
    expect(lines[scenario + 1]).toMatch(/^ {4}node +cpu requests\/alloc\. +memory requests\/alloc\. +pods$/);
    const rows = lines.slice(scenario + 2, scenario + 5);
    expect(rows.map((l) => l.trim().split(/\s+/)[0])).toEqual(['chataalk-balzac', 'chataalk-camus', 'chataalk-zola']);
    for (const row of rows) {
      const m = /^ {4}\S+ +(\d+)m\/3300m +(\d+)% ([█▌|·]{8}) +(\d+)Mi\/1280Mi +(\d+)% ([█▌|·]{8}) +\d+$/.exec(row);
      expect(m).not.toBeNull();
      // A bar is the percentage on the table's scale: 8 cells.
      const cells = (percent: number) => Math.min(8, Math.round((percent / scale) * 8));
      expect(m![3]!.replace(/[·|]/g, '').length).toBe(cells(Number(m![2])));
      expect(m![6]!.replace(/[·|]/g, '').length).toBe(cells(Number(m![5])));
    }
    expect(r.stdout).toMatch(/\n {2}without chataalk-zola /);
    expect(r.stdout).not.toMatch(/site cluster2/);
  });
});
