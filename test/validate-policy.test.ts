import type { Finding } from '../model/errors';
import { renderSite } from '../pipeline/render';
import { checkPolicy } from '../pipeline/validate/policy';
import { PLATFORM, SITES } from '../sites';
import type { DemoProps } from './fixtures/extras';
import { findingsWith } from './validation-helpers';

describe('policy', () => {
  const fields = (findings: Finding[]) => findings.map((f) => `${f.site} ${f.component} ${f.object} ${f.field}`);

  it('passes a workload built with charts/lib/workload.ts', () => {
    expect(findingsWith({})).toEqual([]);
  });

  it('enforces the restricted profile with the field at fault', () => {
    const found = findingsWith({
      mutate: (d) => {
        const pod = (d as any).spec.template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
        pod.hostNetwork = true;
        pod.containers[0].securityContext.allowPrivilegeEscalation = true;
        pod.containers[0].securityContext.capabilities = { drop: ['ALL'], add: ['NET_ADMIN'] };
      },
    });
    expect(fields(found)).toEqual(
      expect.arrayContaining([
        'cluster1 demo Deployment/demo/demo spec.template.spec.hostNetwork',
        'cluster1 demo Deployment/demo/demo spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
        'cluster1 demo Deployment/demo/demo spec.template.spec.containers[0].securityContext.capabilities.add',
        'cluster2 demo Deployment/demo/demo spec.template.spec.hostNetwork',
      ]),
    );
    expect(found[0]!.message).toMatch(/\[pod-security\]/);
  });

  it('lowers the bar to what a namespace declares, but keeps the baseline checks', () => {
    const mutate = (d: Record<string, unknown>) => {
      const pod = (d as any).spec.template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
      pod.containers[0].securityContext = { capabilities: { add: ['CHOWN'] } };
      delete pod.securityContext;
    };
    expect(findingsWith({ podSecurity: 'baseline', mutate })).toEqual([]);
    const privileged = findingsWith({
      podSecurity: 'baseline',
      mutate: (d) => {
        mutate(d);
        (d as any).spec.template.spec.hostPID = true; // eslint-disable-line @typescript-eslint/no-explicit-any
      },
    });
    expect(fields(privileged)).toContain('cluster1 demo Deployment/demo/demo spec.template.spec.hostPID');
    expect(findingsWith({ podSecurity: 'privileged', mutate: (d) => ((d as any).spec.template.spec.hostPID = true) })).toEqual([]); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it.each([
    ['an untagged image', { image: 'registry.example/demo' }, 'spec.template.spec.containers[0].image', /no tag/],
    ['the latest tag', { image: 'demo:latest' }, 'spec.template.spec.containers[0].image', /latest/],
    [
      'a missing readiness probe',
      { mutate: (d: Record<string, unknown>) => delete (d as any).spec.template.spec.containers[0].readinessProbe }, // eslint-disable-line @typescript-eslint/no-explicit-any
      'spec.template.spec.containers[0].readinessProbe',
      /readinessProbe/,
    ],
    ['2 replicas without a PDB', { pdb: false }, 'spec.replicas', /PodDisruptionBudget/],
    ['2 replicas without spreading', { spread: false }, 'spec.template.spec.topologySpreadConstraints', /spreading/],
    ['a Service selecting nothing', { serviceSelector: { app: 'nobody' } }, 'spec.selector', /selects no pod/],
    ['a claim without a class', { claim: { sizeGi: 1 } }, 'spec.storageClassName', /must name its StorageClass/],
    ['a claim naming an unknown class', { claim: { sizeGi: 1, storageClass: 'fast' } }, 'spec.storageClassName', /fast is not defined/],
    [
      'a memory request missing',
      { mutate: (d: Record<string, unknown>) => delete (d as any).spec.template.spec.containers[0].resources.requests.memory }, // eslint-disable-line @typescript-eslint/no-explicit-any
      'spec.template.spec.containers[0].resources.requests.memory',
      /memory request/,
    ],
  ] as const)('reports %s', (_what, props, field, message) => {
    const found = findingsWith(props as DemoProps).filter((f) => f.site === 'cluster1');
    expect(found).toEqual([expect.objectContaining({ component: 'demo', field, message: expect.stringMatching(message) })]);
  });

  it('reports a PDB that allows no eviction', () => {
    const found = findingsWith({ pdb: 2 }).filter((f) => f.site === 'cluster1');
    expect(found).toEqual([expect.objectContaining({ object: 'PodDisruptionBudget/demo/demo', field: 'spec.minAvailable' })]);
  });

  it('reports a PDB under which unready pods block drains (no unhealthyPodEvictionPolicy: AlwaysAllow)', () => {
    const site = renderSite(SITES[1]!, PLATFORM);
    expect(checkPolicy(site)).toEqual([]);
    const bus = site.components.find((c) => c.name === 'bus')!;
    const objects = bus.objects.map((o) => structuredClone(o));
    delete (objects.find((o) => o.kind === 'PodDisruptionBudget')!.spec as Record<string, unknown>).unhealthyPodEvictionPolicy;
    const found = checkPolicy({ ...site, components: site.components.map((c) => (c === bus ? { ...c, objects } : c)) });
    expect(found).toEqual([
      expect.objectContaining({
        component: 'bus',
        object: 'PodDisruptionBudget/bus/bus-nats',
        field: 'spec.unhealthyPodEvictionPolicy',
        message: expect.stringMatching(/must be AlwaysAllow: under the default \(IfHealthyBudget\)/),
      }),
    ]);
  });

  it('honours an exception declared with its reason', () => {
    expect(findingsWith({ probes: false, exceptions: [{ object: 'Deployment/demo/demo', rule: 'probes', reason: 'test' }] })).toEqual([]);
  });

  it('accepts a claim on a StorageClass the site defines', () => {
    expect(findingsWith({ storageClass: { name: 'mayastor-3', repl: 3 }, claim: { sizeGi: 1, storageClass: 'mayastor-3' } })).toEqual([]);
  });
});
