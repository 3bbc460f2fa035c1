import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { PlatformError, type Finding } from '../model/errors';
import type { KubeObject } from '../pipeline/render';
import { renderSite } from '../pipeline/render';
import { synth } from '../pipeline/synth';
import { validateRendered } from '../pipeline/validate';
import { checkSchema } from '../pipeline/validate/schema';
import { tighten, tightenKubernetesDefinitions, translatePattern, type Json } from '../pipeline/validate/tighten';
import { SITES, PLATFORM } from '../sites';
import { addExtras, setExtras, type DemoProps } from './fixtures/extras';
import { REPO_ROOT, tempDir, treeDigest, withChange } from './helpers';

afterEach(() => setExtras({}));

/**
 * The committed sites accept exactly the overcommit they measure; a demo workload added on top
 * would exceed it. Policy and schema tests run on sites with room to spare; the capacity tests
 * below set their own.
 */
const ROOMY = SITES.map((s) =>
  withChange(s, (d) => {
    d.capacity = { acceptOvercommit: { reason: 'test', cpuPercent: 1000, memoryPercent: 1000 } };
  }),
);

/** Findings of every site rendered with `demo` added to each. */
function findingsWith(demo: DemoProps | DemoProps[], sites = ROOMY): Finding[] {
  setExtras({ '*': Array.isArray(demo) ? demo : [demo] });
  const rendered = sites.map((s) => renderSite(s, { ...PLATFORM, sites }, { extend: addExtras }));
  return [...validateRendered(rendered).findings];
}

const ctx = { site: 'cluster1', component: 'demo', kubernetesRelease: '1.36' };
const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x', namespace: 'x' },
  spec: {
    selector: { matchLabels: { a: 'b' } },
    template: {
      metadata: { labels: { a: 'b' } },
      spec: { containers: [{ name: 'c', image: 'i:1', resources: { requests: { memory: '64Mi' } } }] },
    },
  },
});

describe('schema', () => {
  it('closes objects that list their properties, and leaves maps and preserved objects open', () => {
    const strict = tighten({
      type: 'object',
      description: 'x',
      properties: {
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
        port: { 'x-kubernetes-int-or-string': true },
        count: { type: 'integer', maximum: 5, exclusiveMaximum: true },
      },
    });
    expect(strict).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object', properties: { a: { type: 'string' } } },
        port: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
        count: { type: 'integer', exclusiveMaximum: 5 },
      },
    });
  });

  // The upstream definitions never close their objects: a fixture shaped like `_definitions.json`
  // (a Deployment, its spec, ObjectMeta) shows that they accept a misspelt field and that the
  // tightening is what rejects it.
  it('shows that definitions shaped like upstream accept an unknown field, and the tightening rejects it', () => {
    const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
    const upstream: Record<string, Json> = {
      'io.k8s.api.apps.v1.Deployment': {
        description: 'Deployment enables declarative updates for Pods and ReplicaSets.',
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { $ref: `#/definitions/${meta}` },
          spec: { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec' },
        },
        'x-kubernetes-group-version-kind': [{ group: 'apps', kind: 'Deployment', version: 'v1' }],
      },
      'io.k8s.api.apps.v1.DeploymentSpec': {
        type: 'object',
        properties: { replicas: { type: 'integer', format: 'int32' }, selector: { type: 'object' }, template: { type: 'object' } },
        required: ['selector', 'template'],
      },
      [meta]: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          namespace: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    };
    const compile = (definitions: Record<string, Json>) => {
      const ajv = new Ajv({ strict: false, validateFormats: false });
      ajv.addSchema({ $id: 'https://k8s.invalid/defs', definitions });
      return ajv.getSchema('https://k8s.invalid/defs#/definitions/io.k8s.api.apps.v1.Deployment')!;
    };
    const valid = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { a: 'b' } },
      spec: { selector: {}, template: {} },
    };
    const broken = { ...valid, spec: { ...valid.spec, replica: 3 } };
    const loose = compile(upstream);
    expect(loose(valid)).toBe(true);
    expect(loose(broken)).toBe(true);
    const tightened = tightenKubernetesDefinitions(upstream);
    expect(tightened.kinds).toEqual({ 'apps/v1/Deployment': 'io.k8s.api.apps.v1.Deployment' });
    const strict = compile(tightened.definitions);
    expect(strict(valid)).toBe(true);
    expect(strict(broken)).toBe(false);
    expect(strict.errors).toEqual([
      expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'replica' } }),
    ]);
    // The committed validators, compiled the same way from the real definitions, reject it too.
    const committed = deployment();
    (committed.spec as Record<string, unknown>).replica = 3;
    expect(checkSchema(committed, ctx)).not.toEqual([]);
  });

  it('rejects a rendered status (controllers write it)', () => {
    expect(checkSchema({ ...deployment(), status: { replicas: 1 } }, ctx).map((f) => f.field)).toEqual(['status']);
  });

  it('translates RE2 case-insensitive patterns', () => {
    expect(new RegExp(translatePattern('^(?i)(abort|warn)$')!, 'u').test('WARN')).toBe(true);
    expect(translatePattern('(?<!x)[')).toBeUndefined();
  });

  it('accepts a valid object and rejects an unknown field (the tightening at work)', () => {
    expect(checkSchema(deployment(), ctx)).toEqual([]);
    const broken = deployment();
    (broken.spec as Record<string, unknown>).replica = 3;
    const findings = checkSchema(broken, ctx);
    expect(findings).toEqual([
      expect.objectContaining({ site: 'cluster1', component: 'demo', object: 'Deployment/x/x', field: 'spec.replica' }),
    ]);
    expect(findings[0]!.message).toMatch(/unknown field 'replica'/);
  });

  it('rejects an unknown field deep in a pod template and in metadata', () => {
    const broken = deployment();
    const container = ((broken.spec as any).template.spec.containers as Record<string, unknown>[])[0]!; // eslint-disable-line @typescript-eslint/no-explicit-any
    container.imagePullPolice = 'Always';
    (broken.metadata as Record<string, unknown>).label = {};
    expect(checkSchema(broken, ctx).map((f) => f.field)).toEqual(['metadata.label', 'spec.template.spec.containers[0].imagePullPolice']);
  });

  it('rejects a wrong type and a malformed quantity', () => {
    const broken = deployment();
    (broken.spec as Record<string, unknown>).replicas = '3';
    const container = (broken.spec as any).template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    container.resources.requests.memory = '64MB';
    const findings = checkSchema(broken, ctx);
    expect(findings.map((f) => [f.field, f.message])).toEqual([
      ['spec.replicas', 'must be of type integer'],
      ['spec.template.spec.containers[0].resources.requests.memory', expect.stringMatching(/does not match/)],
    ]);
  });

  it('checks custom kinds against their CRD schema, metadata included', () => {
    const app: KubeObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'a', namespace: 'argocd', annotation: {} },
      spec: { project: 'p', destination: {}, sources: [{ repoURL: 'x', targetRevision: 'y', chartt: 'z' }] },
    };
    expect(checkSchema(app, ctx).map((f) => f.field)).toEqual(['metadata.annotation', 'spec.sources[0].chartt']);
  });

  it('names a kind that has no schema', () => {
    const findings = checkSchema({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, ctx);
    expect(findings[0]!.message).toMatch(/no schema for example.com\/v1 Widget/);
  });

  // Versions Kubernetes 1.28 served and 1.36 no longer does, one it never had, and pre-release
  // versions 1.36 has but leaves off unless the API server enables them.
  it.each([
    [
      'flowcontrol.apiserver.k8s.io/v1beta3',
      'FlowSchema',
      'Kubernetes 1.36 does not serve flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema; it serves FlowSchema as flowcontrol.apiserver.k8s.io/v1',
    ],
    [
      'policy/v1beta1',
      'PodDisruptionBudget',
      'Kubernetes 1.36 does not serve policy/v1beta1 PodDisruptionBudget; it serves PodDisruptionBudget as policy/v1',
    ],
    ['apps/v1', 'DeploymentConfig', 'Kubernetes 1.36 does not serve apps/v1 DeploymentConfig'],
    ['v1', 'Widget', 'Kubernetes 1.36 does not serve v1 Widget'],
    [
      'resource.k8s.io/v1beta2',
      'ResourceClaim',
      'resource.k8s.io/v1beta2 is a pre-release API that Kubernetes 1.36 serves only when the API server enables it; it serves ResourceClaim as resource.k8s.io/v1',
    ],
    [
      'coordination.k8s.io/v1alpha2',
      'LeaseCandidate',
      'coordination.k8s.io/v1alpha2 is a pre-release API that Kubernetes 1.36 serves only when the API server enables it',
    ],
  ])('refuses %s %s, which the release does not serve', (apiVersion, kind, message) => {
    expect(checkSchema({ apiVersion, kind, metadata: { name: 'x' } }, ctx)).toEqual([
      { site: 'cluster1', component: 'demo', object: `${kind}/x`, field: 'apiVersion', message },
    ]);
  });

  it('does not ask kustomize patches for required fields', () => {
    const patch: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 2 } };
    expect(checkSchema(patch, ctx)).not.toEqual([]);
    expect(checkSchema(patch, ctx, true)).toEqual([]);
  });

  it('validates every committed object in gitops/', () => {
    const dir = path.join(REPO_ROOT, 'gitops');
    let count = 0;
    for (const site of fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory())) {
      const components = fs.readdirSync(path.join(dir, site)).filter((c) => fs.existsSync(path.join(dir, site, c, 'kustomization.yaml')));
      for (const component of components) {
        const kustomization = parse(fs.readFileSync(path.join(dir, site, component, 'kustomization.yaml'), 'utf8')) as {
          patches?: { path: string }[];
        };
        const patches = new Set((kustomization.patches ?? []).map((p) => p.path));
        for (const file of fs.readdirSync(path.join(dir, site, component)).filter((f) => f !== 'kustomization.yaml')) {
          const object = parse(fs.readFileSync(path.join(dir, site, component, file), 'utf8')) as KubeObject;
          // kustomize patches are partial: required fields come from the upstream object they patch.
          const kubernetesRelease = SITES.find((s) => s.name === site)!.kubernetesVersion;
          expect(checkSchema(object, { site, component, kubernetesRelease }, patches.has(file))).toEqual([]);
          count++;
        }
      }
    }
    expect(count).toBeGreaterThan(10);
  });
});

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

  it('honours an exception declared with its reason', () => {
    expect(findingsWith({ probes: false, exceptions: [{ object: 'Deployment/demo/demo', rule: 'probes', reason: 'test' }] })).toEqual([]);
  });

  it('accepts a claim on a StorageClass the site defines', () => {
    expect(findingsWith({ storageClass: { name: 'mayastor-3', repl: 3 }, claim: { sizeGi: 1, storageClass: 'mayastor-3' } })).toEqual([]);
  });
});

describe('capacity', () => {
  const capacityOf = (demo: DemoProps, sites = SITES) => {
    setExtras({ '*': [demo] });
    return validateRendered(sites.map((s) => renderSite(s, { ...PLATFORM, sites }, { extend: addExtras })));
  };

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

describe('cross-site invariants', () => {
  it('wants every component on every site unless the site opts out with a reason', () => {
    setExtras({ cluster2: [{}] });
    const rendered = ROOMY.map((s) => renderSite(s, { ...PLATFORM, sites: ROOMY }, { extend: addExtras }));
    expect(validateRendered(rendered).findings).toEqual([
      expect.objectContaining({
        site: 'cluster1',
        component: 'demo',
        field: 'components.optOut',
        message: expect.stringMatching(/runs on cluster2 but not here/),
      }),
    ]);
    const optedOut = ROOMY.map((s) => (s.name === 'cluster1' ? withChange(s, (d) => (d.components = { optOut: { demo: 'test' } })) : s));
    expect(validateRendered(optedOut.map((s) => renderSite(s, { ...PLATFORM, sites: optedOut }, { extend: addExtras }))).findings).toEqual(
      [],
    );
  });

  it('compares the facts both ends state, and the roles each must hold', () => {
    const fact = (role: string, address: string) => ({
      key: 'demo-link',
      role,
      agree: { primaryAddress: address },
      expect: { primary: 1 },
    });
    setExtras({
      cluster1: [{ facts: [fact('standby', '198.51.100.101')] }],
      cluster2: [{ facts: [fact('primary', '198.51.100.101')] }],
    });
    expect(validateRendered(ROOMY.map((s) => renderSite(s, { ...PLATFORM, sites: ROOMY }, { extend: addExtras }))).findings).toEqual([]);

    setExtras({
      cluster1: [{ facts: [fact('standby', '192.0.2.101')] }],
      cluster2: [{ facts: [fact('standby', '198.51.100.101')] }],
    });
    const found = validateRendered(ROOMY.map((s) => renderSite(s, { ...PLATFORM, sites: ROOMY }, { extend: addExtras }))).findings;
    expect(found.map((f) => [f.site, f.field, f.message])).toEqual([
      [
        'cluster2',
        'primaryAddress',
        expect.stringMatching(/cluster2 \(standby\) says "198.51.100.101", cluster1 \(standby\) says "192.0.2.101": both ends must agree/),
      ],
      ['cluster1', 'role', 'exactly 1 site(s) must be primary, found 0'],
    ]);
  });
});

describe('synth runs validation before writing', () => {
  it('checks cross-site invariants against every site when synthesizing one', () => {
    const { dir, cleanup } = tempDir();
    try {
      setExtras({ cluster2: [{}] });
      expect(() => synth({ root: dir, model: PLATFORM, only: ['cluster1'], extend: addExtras })).toThrow(
        /component demo runs on cluster2 but not here/,
      );
      expect(fs.existsSync(path.join(dir, 'gitops'))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('refuses a misspelt site field before rendering and leaves gitops/ untouched', () => {
    const { dir, cleanup } = tempDir();
    try {
      fs.cpSync(path.join(REPO_ROOT, 'gitops'), path.join(dir, 'gitops'), { recursive: true });
      const before = treeDigest(dir);
      const sites = SITES.map((s) => (s.name === 'cluster1' ? withChange(s, (d) => (d.components = { optout: { resizer: 'x' } })) : s));
      expect(() => synth({ root: dir, model: { ...PLATFORM, sites }, extend: addExtras })).toThrow(
        'site cluster1 (sites/cluster1.ts), field components.optout: unknown field; did you mean components.optOut?',
      );
      expect(treeDigest(dir)).toBe(before);
    } finally {
      cleanup();
    }
  });

  it.each([
    ['schema', { mutate: (d: Record<string, unknown>) => ((d.spec as Record<string, unknown>).replica = 2) }, /unknown field 'replica'/],
    ['policy', { image: 'demo:latest' }, /\[image\]/],
    ['capacity', { replicas: 3, memoryMiB: 4000 }, /all nodes up: node .* MiB over/],
    [
      'cross-site',
      { facts: [{ key: 'k', role: 'primary', agree: {}, expect: { primary: 1 } }] },
      /exactly 1 site\(s\) must be primary, found 2/,
    ],
  ] as const)('fails on a %s finding and leaves gitops/ untouched', (_what, demo, message) => {
    const { dir, cleanup } = tempDir();
    try {
      fs.cpSync(path.join(REPO_ROOT, 'gitops'), path.join(dir, 'gitops'), { recursive: true });
      const before = treeDigest(dir);
      setExtras({ '*': [demo as DemoProps] });
      let error: unknown;
      try {
        synth({ root: dir, model: PLATFORM, extend: addExtras });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(PlatformError);
      expect((error as PlatformError).message).toMatch(message);
      expect(treeDigest(dir)).toBe(before);
    } finally {
      cleanup();
    }
  });
});
