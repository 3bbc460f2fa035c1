import { renderSite } from '../pipeline/render';
import { validateRendered } from '../pipeline/validate';
import { PLATFORM, SITES } from '../sites';
import { demos, type DemoProps } from './fixtures/extras';
import { withChange } from './helpers';

describe('capacity', () => {
  const capacityOf = (demo: DemoProps, sites = SITES) =>
    validateRendered(sites.map((s) => renderSite(s, { ...PLATFORM, sites }, { extend: demos({ '*': [demo] }) })));

  /** The same sites with the given acceptance (or none) instead of the committed one. */
  const accepting = (accept?: Record<string, unknown>, change?: (d: Record<string, unknown>) => void) =>
    SITES.map((s) =>
      withChange(s, (d) => {
        d.capacity = accept ? { acceptOvercommit: { reason: 'test', ...accept } } : undefined;
        change?.(d);
      }),
    );
  const roomy = accepting({ cpuPercent: 10000, memoryPercent: 10000 });
  const cluster1Of = (report: ReturnType<typeof capacityOf>) => report.capacity.find((c) => c.site === 'cluster1')!;

  it('counts every pod we add, spread over the nodes, on top of what the platform already asks', () => {
    const before = cluster1Of(capacityOf({ replicas: 0 }, roomy)).scenarios[0]!.nodes;
    const report = capacityOf({ replicas: 3, cpuMillis: 500, memoryMiB: 256 }, roomy);
    const after = cluster1Of(report).scenarios[0]!.nodes;
    const sum = (nodes: typeof after, key: 'cpuMillis' | 'memoryMiB') => nodes.reduce((n, x) => n + x[key], 0);
    expect(sum(after, 'cpuMillis') - sum(before, 'cpuMillis')).toBe(1500);
    expect(sum(after, 'memoryMiB') - sum(before, 'memoryMiB')).toBe(768);
    // Spread: one demo pod on each node.
    after.forEach((n) => expect(n.pods - before.find((b) => b.node === n.node)!.pods).toBe(1));
    expect(report.findings).toEqual([]);
  });

  it('places every autoscaled workload at its autoscaler maximum in a scenario of its own', () => {
    const report = cluster1Of(capacityOf({ replicas: 0 }, roomy));
    const pods = (name: string) => report.scenarios.find((s) => s.name === name)!.nodes.reduce((n, x) => n + x.pods, 0);
    const { api, workers } = SITES[0]!.resizer;
    // The resizer's API (HPA) and workers (KEDA ScaledObject) go from their minimum to their maximum.
    expect(pods('autoscalers at their maximum') - pods('all nodes up')).toBe(api.max - api.min + (workers.max - workers.min));
  });

  it('holds autoscaling maxima to what the site accepts', () => {
    const tight = accepting({
      cpuPercent: 1000,
      memoryPercent: 1000,
      afterNodeLoss: { cpuPercent: 2000, memoryPercent: 2000 },
      atAutoscalingMaximum: { memoryPercent: 101 },
    });
    const findings = capacityOf({ replicas: 0 }, tight).findings.filter((f) => f.site === 'cluster1');
    expect(findings.map((f) => f.field)).toContain('capacity.acceptOvercommit.atAutoscalingMaximum.memoryPercent');
  });

  it('counts the declared upstream workloads and the installer pods', () => {
    const groups = cluster1Of(capacityOf({ replicas: 0 }, roomy)).groups.map((g) => g.name);
    expect(groups).toEqual(expect.arrayContaining([expect.stringMatching(/mayastor-io-engine/), expect.stringMatching(/kube-apiserver/)]));
  });

  it('says by how much the site is overcommitted, with every node up and after a node loss', () => {
    const report = capacityOf({ replicas: 3, cpuMillis: 100, memoryMiB: 2800 }, accepting());
    const messages = report.findings.filter((f) => f.site === 'cluster1').map((f) => f.message);
    expect(
      messages.some((m) => /^all nodes up: node \S+ is asked for \d+ MiB memory of 1280 MiB allocatable \(\d+%, \d+ MiB over\)/.test(m)),
    ).toBe(true);
    expect(messages.some((m) => /^without chataalk-\w+: node/.test(m))).toBe(true);
    expect(report.findings[0]!.field).toMatch(/^capacity\.acceptOvercommit\./);
  });

  it('accepts overcommit the site declares with a reason, up to the stated percentage', () => {
    const sites = accepting({ cpuPercent: 1000, memoryPercent: 1000, afterNodeLoss: { cpuPercent: 2000, memoryPercent: 2000 } });
    const report = capacityOf({ replicas: 3, cpuMillis: 100, memoryMiB: 2800 }, sites);
    expect(report.findings).toEqual([]);
    expect(report.exceptions.some((e) => /overcommit accepted .*: test/.test(e))).toBe(true);
    const tooMuch = capacityOf({ replicas: 3, cpuMillis: 100, memoryMiB: 9000 }, sites);
    expect(tooMuch.findings.some((f) => /above the accepted 1000%/.test(f.message))).toBe(true);
  });

  it('checks hugepages against what the node reserves', () => {
    const pages = (mib: number) =>
      accepting({ cpuPercent: 10000, memoryPercent: 10000 }, (d) =>
        (d.nodes as { host: Record<string, unknown>; memoryMiB: number }[]).forEach((n) => {
          n.host.hugepages2MiB = mib;
          n.memoryMiB = 16384;
        }),
      );
    const report = capacityOf({ replicas: 1, pdb: false, hugepagesMiB: 1024 }, pages(0));
    expect(report.findings.some((f) => f.field?.endsWith('.host.hugepages2MiB') && /declares none/.test(f.message))).toBe(true);
    // Mayastor's io-engine takes 2048 MiB on each node: 1024 more fit in 4096.
    expect(capacityOf({ replicas: 1, pdb: false, hugepagesMiB: 1024 }, pages(4096)).findings).toEqual([]);
    const short = capacityOf({ replicas: 1, pdb: false, hugepagesMiB: 1024 }, pages(2048)).findings;
    expect(short.some((f) => /is asked for 3072 MiB of 2 MiB hugepages and reserves 2048 MiB/.test(f.message))).toBe(true);
  });

  it('counts claims times their replication against the DiskPools', () => {
    const baseline = cluster1Of(capacityOf({ replicas: 0 }, roomy)).storage.neededGiB;
    const report = capacityOf({ storageClass: { name: 'mayastor-3', repl: 3 }, claim: { sizeGi: 25, storageClass: 'mayastor-3' } }, roomy);
    // 25 GiB x 3 replicas on top of what the platform claims, against 3 x 20 GiB pools.
    const needed = baseline + 75;
    expect(cluster1Of(report).storage.neededGiB).toBe(needed);
    expect(report.findings.filter((f) => f.site === 'cluster1')).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(
          `need ${needed.toFixed(1)} GiB with their replication, the DiskPools hold 60 GiB (${(needed - 60).toFixed(1)} GiB short)`,
        ),
      }),
    ]);
  });
});
