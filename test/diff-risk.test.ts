import * as fs from 'node:fs';
import * as path from 'node:path';
import { highestRisk, reaches, semanticDiff, toMarkdown, type RatedChange, type RatedObjectChange } from '../pipeline/diff';
import { leadRows } from '../pipeline/diff/lead';
import { edgeRouting, sitesFor } from '../pipeline/diff/routes';
import type { FileTree } from '../pipeline/files';
import { renderTree } from '../pipeline/synth';
import { PLATFORM } from '../sites';
import { demos, type DemoProps } from './fixtures/extras';
import { REPO_ROOT } from './helpers';

const HEADER = { baseRef: 'main', baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40) };

function change(changes: readonly RatedChange[], site: string, id: string): RatedObjectChange {
  const objects = changes.filter((c): c is RatedObjectChange => c.scope !== 'file');
  const found = objects.find((c) => c.site === site && c.id === id);
  if (!found) throw new Error(`no change of ${id} on ${site}: ${objects.map((c) => `${c.site} ${c.id}`).join(', ')}`);
  return found;
}

const treeOf = (files: Record<string, string>): FileTree => new Map(Object.entries(files));

describe('ratings of rendered objects', () => {
  const BEFORE: DemoProps = {
    replicas: 3,
    pdb: 2,
    image: 'registry.example/demo:1.2.3',
    storageClass: { name: 'mayastor-3', repl: 3 },
    claim: { sizeGi: 10, storageClass: 'mayastor-3' },
  };
  const render = (demo: DemoProps): FileTree => renderTree(PLATFORM, { validate: false, extend: demos({ '*': [demo] }) }).tree;
  let before: FileTree;
  beforeAll(() => (before = render(BEFORE)));

  it('rates a replica count below the PDB minimum high, an image medium, a StorageClass parameter high', () => {
    const changes = semanticDiff(
      before,
      render({ ...BEFORE, replicas: 1, image: 'registry.example/demo:1.2.4', storageClass: { name: 'mayastor-3', repl: 2 } }),
    );
    const deployment = change(changes, 'cluster1', 'Deployment/demo/demo');
    expect(deployment.fields).toEqual([
      { path: 'spec.replicas', before: 3, after: 1 },
      {
        path: 'spec.template.spec.containers[name=app].image',
        before: 'registry.example/demo:1.2.3',
        after: 'registry.example/demo:1.2.4',
      },
    ]);
    expect(deployment.notes.map((n) => [n.risk, n.path])).toEqual([
      ['high', 'spec.replicas'],
      ['medium', 'spec.template.spec.containers[name=app].image'],
    ]);
    expect(deployment.notes[0]!.reason).toMatch(
      /replicas 1 at or below the minAvailable 2 of PodDisruptionBudget demo: every voluntary eviction blocks/,
    );
    const storageClass = change(changes, 'cluster2', 'StorageClass/mayastor-3');
    expect([storageClass.risk, storageClass.notes[0]!.reason]).toEqual(['high', expect.stringMatching(/parameters is immutable/)]);
    expect(reaches(changes, 'high')).toBe(true);
  });

  it('rates a replica increase low, an image change alone medium, a volume shrink and a claim deletion high', () => {
    expect(change(semanticDiff(before, render({ ...BEFORE, replicas: 4 })), 'cluster1', 'Deployment/demo/demo').risk).toBe('low');
    const image = semanticDiff(before, render({ ...BEFORE, image: 'registry.example/demo:2.0.0' }));
    expect([highestRisk(image), reaches(image, 'high'), reaches(image, 'medium')]).toEqual(['medium', false, true]);
    const shrink = semanticDiff(before, render({ ...BEFORE, claim: { sizeGi: 5, storageClass: 'mayastor-3' } }));
    expect(change(shrink, 'cluster1', 'PersistentVolumeClaim/demo/demo-data').notes).toEqual([
      expect.objectContaining({ risk: 'high', path: 'spec.resources.requests.storage', reason: expect.stringMatching(/volume shrink/) }),
    ]);
    const claim = change(semanticDiff(before, render({ ...BEFORE, claim: undefined })), 'cluster1', 'PersistentVolumeClaim/demo/demo-data');
    expect([claim.type, claim.risk]).toEqual(['removed', 'high']);
  });

  it("rates a component's removal by what its Application prunes: a claim is data (high)", () => {
    const empty = renderTree(PLATFORM, { validate: false }).tree;
    const changes = semanticDiff(before, empty);
    const app = change(changes, 'cluster1', 'Application/argocd/demo');
    expect([app.type, app.risk, app.notes[0]!.reason]).toEqual([
      'removed',
      'high',
      expect.stringContaining('persistentvolumeclaim-demo-data.yaml'),
    ]);
    // Without the claim (and the StorageClass, kept by its own component here), the Application's pruning is medium.
    const stateless = semanticDiff(render({ ...BEFORE, claim: undefined }), empty);
    expect(change(stateless, 'cluster1', 'Application/argocd/demo').notes).toEqual([
      expect.objectContaining({
        risk: 'medium',
        reason: expect.stringMatching(
          /^Argo CD prunes the \d+ object\(s\) of cluster1\/demo with it \(no volume, claim or CRD among them\)/,
        ),
      }),
    ]);
  });
});

describe('rules on single objects', () => {
  const job = (annotations: Record<string, string>, image: string) =>
    treeOf({
      's/c/job-j.yaml': `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  namespace: ns\n  annotations: ${JSON.stringify(annotations)}\nspec:\n  template:\n    spec:\n      containers:\n        - name: run\n          image: ${image}\n`,
    });

  it('does not rate a hook Job that Argo CD re-creates before each sync as an immutable template', () => {
    const hook = (policy?: string) => ({
      'argocd.argoproj.io/hook': 'PostSync',
      ...(policy ? { 'argocd.argoproj.io/hook-delete-policy': policy } : {}),
    });
    for (const policy of ['BeforeHookCreation', 'HookSucceeded,BeforeHookCreation', undefined]) {
      const c = change(semanticDiff(job(hook(policy), 'x:1'), job(hook(policy), 'x:2')), 's', 'Job/ns/j');
      expect(c.notes.filter((n) => n.risk === 'high')).toEqual([]);
      expect(c.notes.map((n) => n.reason)).toContainEqual(
        expect.stringMatching(/deleted and re-created before each sync \(BeforeHookCreation\)/),
      );
    }
    // A plain Job, or a hook kept until it succeeds, still meets its old template: the sync fails.
    expect(change(semanticDiff(job({}, 'x:1'), job({}, 'x:2')), 's', 'Job/ns/j').notes[0]).toEqual(
      expect.objectContaining({ risk: 'high', reason: expect.stringMatching(/^spec\.template is immutable/) }),
    );
    expect(change(semanticDiff(job(hook('HookSucceeded'), 'x:1'), job(hook('HookSucceeded'), 'x:2')), 's', 'Job/ns/j').risk).toBe('high');
  });

  it('says what removing a Namespace with Prune=false really does', () => {
    const ns = (annotations: Record<string, string>) =>
      treeOf({
        's/namespaces/namespace-x.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  annotations: ${JSON.stringify(annotations)}\n`,
      });
    const kept = change(semanticDiff(ns({ 'argocd.argoproj.io/sync-options': 'Prune=false' }), new Map()), 's', 'Namespace/x');
    expect([kept.risk, kept.notes.map((n) => n.reason)]).toEqual([
      'medium',
      [
        'Argo CD keeps this Namespace (Prune=false): the namespaces Application stays OutOfSync until someone deletes it by hand, after checking nothing in it is still needed',
      ],
    ]);
    expect(change(semanticDiff(ns({}), new Map()), 's', 'Namespace/x').notes[0]!.reason).toBe(
      'deleting a Namespace loses the data or everything it holds',
    );
  });

  it('summarises a selector label changed on many workloads as one row of the lead table', () => {
    const deployment = (i: number, partOf: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w${i}\n  namespace: ns\nspec:\n  selector:\n    matchLabels: { app: w${i}, part-of: ${partOf} }\n  template:\n    metadata:\n      labels: { app: w${i}, part-of: ${partOf} }\n    spec:\n      containers: [{ name: c, image: "i:1" }]\n`;
    const tree = (partOf: string) =>
      treeOf(Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`s/c/deployment-w${i}.yaml`, deployment(i, partOf)])));
    const changes = semanticDiff(tree('platform'), tree('platform-v2'));
    expect(changes.filter((c) => c.risk === 'high')).toHaveLength(19);
    const rows = leadRows(changes);
    expect(rows).toEqual([
      expect.objectContaining({
        risk: 'high',
        path: 'spec.selector.matchLabels.part-of',
        objects: '19 objects (19 Deployment; each listed below)',
        reason: expect.stringMatching(/spec\.selector is immutable: .*\(selector matchLabels\.part-of: platform -> platform-v2\)$/),
      }),
    ]);
    const table = toMarkdown(changes, HEADER).split('### Every change')[0]!;
    expect(table.split('\n').filter((l) => l.startsWith('| 🔴'))).toHaveLength(1);
  });

  it('rates RBAC widening, Pod Security lowering and new bindings', () => {
    const role = (verbs: string[], resources = ['configmaps']) =>
      treeOf({
        's/c/clusterrole-r.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [""]\n    resources: ${JSON.stringify(resources)}\n    verbs: ${JSON.stringify(verbs)}\n`,
      });
    expect(highestRisk(semanticDiff(role(['get']), role(['get', 'list'])))).toBe('medium');
    expect(highestRisk(semanticDiff(role(['get']), role(['get'], ['*'])))).toBe('high');
    expect(highestRisk(semanticDiff(role(['get', 'list']), role(['get'])))).toBe('low');
    expect(highestRisk(semanticDiff(new Map(), role(['*'])))).toBe('high');
    const ns = (level: string) =>
      treeOf({
        's/namespaces/namespace-x.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: { pod-security.kubernetes.io/enforce: ${level} }\n`,
      });
    expect(change(semanticDiff(ns('restricted'), ns('baseline')), 's', 'Namespace/x').notes[0]!.reason).toBe(
      'Pod Security lowered restricted -> baseline',
    );
    expect(highestRisk(semanticDiff(ns('baseline'), ns('restricted')))).toBe('low');
    expect(highestRisk(semanticDiff(new Map(), ns('privileged')))).toBe('high');
    const binding = (roleName: string) =>
      treeOf({
        's/c/rolebinding-b.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n  namespace: ns\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${roleName} }\nsubjects:\n  - { kind: ServiceAccount, name: sa, namespace: ns }\n`,
      });
    expect(highestRisk(semanticDiff(new Map(), binding('cluster-admin')))).toBe('high');
    expect(highestRisk(semanticDiff(new Map(), binding('view')))).toBe('medium');
  });

  it('rates a PDB that blocks every eviction high, on the workload and on the PDB', () => {
    const deployment = (replicas: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ns\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels: { app: web }\n  template:\n    metadata:\n      labels: { app: web }\n    spec:\n      containers: [{ name: app, image: "web:1" }]\n`;
    const pdb = (spec: string) =>
      `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: ns\nspec:\n  selector:\n    matchLabels: { app: web }\n  ${spec}\n`;
    const workload = (replicas: number, spec = 'minAvailable: 2') =>
      treeOf({ 's/web/deployment-web.yaml': deployment(replicas), 's/web/poddisruptionbudget-web.yaml': pdb(spec) });
    expect(change(semanticDiff(workload(3), workload(2)), 's', 'Deployment/ns/web').risk).toBe('high');
    expect(change(semanticDiff(workload(4), workload(3)), 's', 'Deployment/ns/web').risk).toBe('medium');
    const tightened = change(
      semanticDiff(workload(3, 'maxUnavailable: 1'), workload(3, 'maxUnavailable: 0')),
      's',
      'PodDisruptionBudget/ns/web',
    );
    expect(tightened.notes[0]!.reason).toBe(
      'maxUnavailable 0 of PodDisruptionBudget web (Deployment web): every voluntary eviction blocks (node drains hang)',
    );
    expect(highestRisk(semanticDiff(new Map(), workload(3)))).toBe('low');
  });

  it('rates a remote kustomization resource as an upstream change', () => {
    const k = (resources: string[]) =>
      treeOf({
        's/argocd/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: ${JSON.stringify(resources)}\n`,
      });
    const url = (v: string) => `https://raw.githubusercontent.com/argoproj/argo-cd/${v}/manifests/install.yaml`;
    const bumped = change(
      semanticDiff(k([url('v3.5.1'), 'a.yaml']), k([url('v3.5.2'), 'a.yaml'])),
      's',
      'Kustomization/kustomization.yaml',
    );
    expect(bumped.notes).toEqual([
      expect.objectContaining({ risk: 'medium', reason: expect.stringContaining(`${url('v3.5.1')} -> ${url('v3.5.2')}`) }),
    ]);
    expect(highestRisk(semanticDiff(k(['a.yaml']), k(['a.yaml', 'b.yaml'])))).toBe('low');
  });
});

describe('the edge routing the diff reads', () => {
  it('reads from the rendered haproxy.cfg which sites receive a host name', () => {
    const routing = edgeRouting(fs.readFileSync(path.join(REPO_ROOT, 'gitops/edge/haproxy.cfg'), 'utf8'))!;
    // Active/backup with cluster1 active: public names go to cluster1; each site's own names to that site.
    expect(sitesFor(routing, 'images.chataik.fr')).toEqual(['cluster1']);
    expect(sitesFor(routing, 'argocd.chataalk-vip.chataik.fr')).toEqual(['cluster2']);
    expect(sitesFor(routing, 'chataalk.chataik.fr')).toEqual(['cluster1']);
  });
});
