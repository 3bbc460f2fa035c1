import { renderSite, type KubeObject } from '../pipeline/render';
import { storageNodes, STORAGE_NODE_LABEL } from '../charts/storage/requirements';
import { MAYASTOR } from '../charts/storage/release';
import { SITES, PLATFORM } from '../sites';

describe.each(SITES.map((s) => [s.name, s] as const))('Mayastor on site %s', (_name, site) => {
  const component = renderSite(site, PLATFORM).components.find((c) => c.name === 'mayastor')!;
  const of = (kind: string): KubeObject[] => component.objects.filter((o) => o.kind === kind);

  it('renders one DiskPool per storage node, in the Mayastor namespace, from the site model', () => {
    const pools = of('DiskPool') as unknown as {
      apiVersion: string;
      metadata: { namespace: string };
      spec: { node: string; disks: string[] };
    }[];
    expect(pools.map((p) => p.spec)).toEqual(storageNodes(site).map((n) => ({ node: n.name, disks: [n.dataDisks[0]!.uri] })));
    for (const p of pools) expect(p).toMatchObject({ apiVersion: 'openebs.io/v1beta2', metadata: { namespace: 'mayastor' } });
  });

  it('makes seed 002’s class the only default, and offers a node-local class bound where the pod is scheduled', () => {
    const classes = of('StorageClass') as unknown as {
      metadata: { name: string; annotations?: Record<string, string> };
      provisioner: string;
      parameters?: Record<string, string>;
      volumeBindingMode: string;
    }[];
    const defaults = classes.filter((c) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
    expect(defaults.map((c) => c.metadata.name)).toEqual(['mayastor']);
    expect(defaults[0]).toMatchObject({
      provisioner: 'io.openebs.csi-mayastor',
      parameters: { ioTimeout: '30', protocol: 'nvmf', repl: '2', stsAffinityGroup: 'true' },
    });
    const local = classes.find((c) => c.metadata.name === 'node-local')!;
    expect(local).toMatchObject({ provisioner: 'openebs.io/local', volumeBindingMode: 'WaitForFirstConsumer' });
    expect(local.metadata.annotations?.['cas.openebs.io/config']).toMatch(/value: hostpath\n- name: BasePath\n {2}value: \/var\/local\//);
    expect(classes.map((c) => c.metadata.name).sort()).toEqual(['mayastor', 'node-local']);
  });

  it('turns off the usage reports of the chart, the LocalPV provisioner’s included', () => {
    const values = component.helmChart!.values as Record<string, { analytics?: unknown; callhome?: unknown }>;
    expect(values['localpv-provisioner']).toEqual({ analytics: { enabled: false } });
    expect(values.obs).toEqual({ callhome: { enabled: false } });
  });

  it('installs the pinned chart on the labelled storage nodes and declares what it costs', () => {
    const helm = component.helmChart!;
    expect(helm.upstream).toBe(MAYASTOR);
    expect(helm.upstream.chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    const values = helm.values as { io_engine: { nodeSelector: Record<string, string> } };
    expect(values.io_engine.nodeSelector[STORAGE_NODE_LABEL.key]).toBe(STORAGE_NODE_LABEL.value);
    const ioEngine = component.declarations.upstreamWorkloads.find((w) => w.name === 'mayastor-io-engine')!;
    expect(ioEngine).toMatchObject({ replicas: 'perNode', cpuMillis: 2000, hugepagesMiB: 2048 });
    expect(ioEngine.nodes).toEqual(storageNodes(site).map((n) => n.name));
    expect(component.namespaces).toEqual([expect.objectContaining({ name: 'mayastor', podSecurity: 'privileged' })]);
  });

  it('gives the keepers and the bus servers node-local volumes, one member per node, never two on one node', () => {
    const rendered = renderSite(site, PLATFORM).components;
    for (const [component, name] of [
      ['postgres', 'stolon-keeper'],
      ['bus', 'bus-nats'],
    ] as const) {
      const set = rendered
        .find((c) => c.name === component)!
        .objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name) as unknown as {
        spec: {
          volumeClaimTemplates: { spec: { storageClassName: string } }[];
          template: {
            spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { topologyKey: string }[] } } };
          };
        };
      };
      expect(set.spec.volumeClaimTemplates[0]!.spec.storageClassName).toBe('node-local');
      expect(set.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!.topologyKey).toBe(
        'kubernetes.io/hostname',
      );
    }
  });
});
