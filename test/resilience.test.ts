/**
 * The failure-behaviour declarations (charts/lib/resilience.ts) against what is rendered, so a
 * later failure-impact report can trust them: each declared workload exists with the declared
 * members, volumes and placement; a node loss leaves each its quorum; and the capacity view
 * agrees (members on node-local volumes wait for their node instead of moving).
 */
import { checkCapacity } from '../pipeline/validate/capacity';
import { renderSite, type KubeObject } from '../pipeline/render';
import { PLATFORM, SITES } from '../sites';

interface StatefulSetShape {
  spec: {
    replicas: number;
    volumeClaimTemplates: { spec: { storageClassName: string; resources: { requests: { storage: string } } } }[];
    template: { spec: { affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { topologyKey: string }[] } } } };
  };
}

describe.each(SITES.map((s) => [s.name, s] as const))('site %s', (_name, site) => {
  const rendered = renderSite(site, PLATFORM);
  const objects = rendered.components.flatMap((c) => c.objects);
  const declared = rendered.components.flatMap((c) => c.declarations.resilience.map((r) => ({ component: c.name, ...r })));

  it('declares the failure behaviour of the bus servers and the keepers', () => {
    expect(declared.map((d) => d.workload).sort()).toEqual([
      'StatefulSet/bus/bus-nats',
      // Prometheus, from the monitoring chart, on replicated volumes.
      'StatefulSet/monitoring/prometheus-monitoring-prometheus',
      'StatefulSet/postgres/stolon-keeper',
    ]);
  });

  it.each(['StatefulSet/bus/bus-nats', 'StatefulSet/postgres/stolon-keeper'])('%s is rendered as declared', (workload) => {
    const d = declared.find((x) => x.workload === workload)!;
    const [, namespace, name] = workload.split('/');
    const set = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name && o.metadata.namespace === namespace) as
      (KubeObject & StatefulSetShape) | undefined;
    expect(set).toBeDefined();
    expect(set!.spec.replicas).toBe(d.members);
    const claim = set!.spec.volumeClaimTemplates[0]!.spec;
    expect(claim.storageClassName).toBe(d.copies.storageClass);
    expect(claim.resources.requests.storage).toBe(`${d.copies.volumeGiB}Gi`);
    const terms = set!.spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(terms.some((t) => t.topologyKey === 'kubernetes.io/hostname')).toBe(d.onePerNode);
    const storageClass = objects.find((o) => o.kind === 'StorageClass' && o.metadata.name === d.copies.storageClass) as KubeObject & {
      provisioner: string;
    };
    expect(d.copies.placement === 'member-node-local').toBe(storageClass.provisioner === 'openebs.io/local');
    // One node loss takes at most one member (one per node), and the others keep the quorum.
    expect(d.onePerNode).toBe(true);
    expect(d.members - 1).toBeGreaterThanOrEqual(d.quorum);
    expect(d.memberLoss.lostMember).toBe('waits-for-its-node');
    for (const dep of d.dependencies) expect(dep.whenLost.length).toBeGreaterThan(0);
  });

  it('keeps the bus’s acknowledged messages through a node loss, and says the primary’s keepers may lose unreplicated commits', () => {
    const bus = declared.find((d) => d.component === 'bus')!;
    expect(bus.memberLoss).toMatchObject({ writesAtRisk: 'none', service: 'fails-over' });
    expect(bus.copies.count).toBe(3);
    const keepers = declared.find((d) => d.component === 'postgres')!;
    // stolon replicates asynchronously between keepers (synchronousReplication: false); a standby site takes no writes.
    expect(keepers.memberLoss.writesAtRisk).toBe(site.database.role === 'primary' ? 'not-yet-replicated' : 'none');
    expect(keepers.dependencies.map((x) => x.on)).toContain(`site:${SITES.find((s) => s !== site)!.name}`);
  });

  it('has the capacity view keep node-local members on their node: after a node loss they wait, none moves', () => {
    const report = checkCapacity(rendered);
    const allUp = report.scenarios[0]!;
    expect(allUp.waiting).toEqual([]);
    for (const scenario of report.scenarios.filter((s) => s.lostNode)) {
      expect(scenario.unplaced).toEqual([]);
      // The bus has a member on every node: each loss leaves one waiting.
      expect(scenario.waiting.filter((w) => w.includes('bus-nats'))).toHaveLength(1);
    }
    const nodeLocal = declared.filter((d) => d.copies.placement === 'member-node-local');
    expect(report.storage.nodeLocalGiB).toBe(nodeLocal.reduce((n, d) => n + d.copies.volumeGiB, 0));
  });
});
