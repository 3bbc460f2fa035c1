import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import type { KubeObject } from '../pipeline/render';
import { checkSchema } from '../pipeline/validate/schema';
import { tighten, tightenKubernetesDefinitions, translatePattern, type Json } from '../pipeline/validate/tighten';
import { SITES } from '../sites';
import { REPO_ROOT } from './helpers';

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
