import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  highestRisk,
  reaches,
  readTreeAtRef,
  semanticDiff,
  toMarkdown,
  toText,
  type RatedChange,
  type RatedFileChange,
  type RatedObjectChange,
} from '../pipeline/diff';
import { hunkHeader, lineDiff } from '../pipeline/diff/text';
import type { FileTree } from '../pipeline/files';
import { renderTree } from '../pipeline/synth';
import { PLATFORM } from '../sites';
import { addExtras, setExtras, type DemoProps } from './fixtures/extras';
import { tempDir } from './helpers';

afterEach(() => setExtras({}));

const BEFORE: DemoProps = {
  replicas: 3,
  pdb: 2,
  image: 'registry.example/demo:1.2.3',
  storageClass: { name: 'mayastor-3', repl: 3 },
  claim: { sizeGi: 10, storageClass: 'mayastor-3' },
};

function render(demo: DemoProps): FileTree {
  setExtras({ '*': [demo] });
  return renderTree(PLATFORM, { validate: false, extend: addExtras }).tree;
}

function change(changes: readonly RatedChange[], site: string, id: string): RatedObjectChange {
  const objects = changes.filter((c): c is RatedObjectChange => c.scope !== 'file');
  const found = objects.find((c) => c.site === site && c.id === id);
  if (!found) throw new Error(`no change of ${id} on ${site}: ${objects.map((c) => `${c.site} ${c.id}`).join(', ')}`);
  return found;
}

function fileChange(changes: readonly RatedChange[], path: string): RatedFileChange {
  const found = changes.find((c): c is RatedFileChange => c.scope === 'file' && c.path === path);
  if (!found) throw new Error(`no change of file ${path}`);
  return found;
}

/** A one-file tree per object text, at <site>/<component>/<file>. */
const treeOf = (files: Record<string, string>): FileTree => new Map(Object.entries(files));

describe('semantic diff against a git ref', () => {
  let repo: { dir: string; cleanup: () => void };
  let before: FileTree;

  beforeAll(() => {
    repo = tempDir('diff-test-');
    before = render(BEFORE);
    for (const [p, content] of before) {
      fs.mkdirSync(path.dirname(path.join(repo.dir, 'gitops', p)), { recursive: true });
      fs.writeFileSync(path.join(repo.dir, 'gitops', p), content);
    }
    fs.writeFileSync(path.join(repo.dir, 'README.md'), 'not rendered\n');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.dir, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'before');
  });
  afterAll(() => repo.cleanup());

  it('reads the rendered tree at a ref without checking it out', () => {
    fs.writeFileSync(path.join(repo.dir, 'gitops', 'README.md'), 'changed in the worktree\n');
    const tree = readTreeAtRef(repo.dir, 'HEAD');
    expect([...tree.keys()].sort()).toEqual([...before.keys()].sort());
    expect(tree.get('cluster1/demo/deployment-demo.yaml')).toBe(before.get('cluster1/demo/deployment-demo.yaml'));
    expect(semanticDiff(tree, before)).toEqual([]);
  });

  it('rates a replica count below the PDB minimum, an image and a StorageClass parameter', () => {
    const after = render({ ...BEFORE, replicas: 1, image: 'registry.example/demo:1.2.4', storageClass: { name: 'mayastor-3', repl: 2 } });
    const changes = semanticDiff(readTreeAtRef(repo.dir, 'HEAD'), after);

    const deployment = change(changes, 'cluster1', 'Deployment/demo/demo');
    expect(deployment.type).toBe('changed');
    expect(deployment.fields).toEqual([
      { path: 'spec.replicas', before: 3, after: 1 },
      {
        path: 'spec.template.spec.containers[name=app].image',
        before: 'registry.example/demo:1.2.3',
        after: 'registry.example/demo:1.2.4',
      },
    ]);
    expect(deployment.risk).toBe('high');
    expect(deployment.notes.map((n) => [n.risk, n.path])).toEqual([
      ['high', 'spec.replicas'],
      ['medium', 'spec.template.spec.containers[name=app].image'],
    ]);
    expect(deployment.notes[0]!.reason).toMatch(
      /replicas 1 at or below the minAvailable 2 of PodDisruptionBudget demo: every voluntary eviction blocks/,
    );

    const storageClass = change(changes, 'cluster2', 'StorageClass/mayastor-3');
    expect(storageClass.fields).toEqual([{ path: 'parameters.repl', before: '3', after: '2' }]);
    expect(storageClass.risk).toBe('high');
    expect(storageClass.notes[0]!.reason).toMatch(/parameters is immutable/);

    expect(highestRisk(changes)).toBe('high');
    expect(reaches(changes, 'high')).toBe(true);
  });

  it('rates a replica increase low and an image change alone medium', () => {
    const changes = semanticDiff(before, render({ ...BEFORE, replicas: 4 }));
    expect(change(changes, 'cluster1', 'Deployment/demo/demo').risk).toBe('low');
    const image = semanticDiff(before, render({ ...BEFORE, image: 'registry.example/demo:2.0.0' }));
    expect(highestRisk(image)).toBe('medium');
    expect(reaches(image, 'high')).toBe(false);
    expect(reaches(image, 'medium')).toBe(true);
  });

  it('rates a volume shrink and a claim deletion high, an added object low', () => {
    const shrink = semanticDiff(before, render({ ...BEFORE, claim: { sizeGi: 5, storageClass: 'mayastor-3' } }));
    expect(change(shrink, 'cluster1', 'PersistentVolumeClaim/demo/demo-data').notes).toEqual([
      expect.objectContaining({ risk: 'high', path: 'spec.resources.requests.storage', reason: expect.stringMatching(/volume shrink/) }),
    ]);
    const removed = semanticDiff(before, render({ ...BEFORE, claim: undefined }));
    const claim = change(removed, 'cluster1', 'PersistentVolumeClaim/demo/demo-data');
    expect([claim.type, claim.risk]).toEqual(['removed', 'high']);
    const added = semanticDiff(render({ ...BEFORE, claim: undefined }), before);
    expect([change(added, 'cluster1', 'PersistentVolumeClaim/demo/demo-data').type, highestRisk(added)]).toEqual(['added', 'low']);
  });

  it('rates the removal of a component (its Application) high', () => {
    setExtras({});
    const changes = semanticDiff(before, renderTree(PLATFORM, { validate: false, extend: addExtras }).tree);
    expect(change(changes, 'cluster1', 'Application/argocd/demo')).toEqual(expect.objectContaining({ type: 'removed', risk: 'high' }));
  });

  it('rates RBAC widening', () => {
    const role = (verbs: string[], resources = ['configmaps']) =>
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [""]\n    resources: ${JSON.stringify(resources)}\n    verbs: ${JSON.stringify(verbs)}\n`;
    const tree = (text: string): FileTree => new Map([['s/c/clusterrole-r.yaml', text]]);
    expect(highestRisk(semanticDiff(tree(role(['get'])), tree(role(['get', 'list']))))).toBe('medium');
    expect(highestRisk(semanticDiff(tree(role(['get'])), tree(role(['get'], ['*']))))).toBe('high');
    expect(highestRisk(semanticDiff(tree(role(['get', 'list'])), tree(role(['get']))))).toBe('low');
  });

  it('prints Markdown for a merge request and text for a terminal, grouped site > component > object', () => {
    const changes = semanticDiff(before, render({ ...BEFORE, image: 'registry.example/demo:1.2.4' }));
    const md = toMarkdown(changes, 'abc123');
    expect(md).toContain('### Rendered diff against `abc123`');
    expect(md).toMatch(/#### Site `cluster1`[\s\S]*<b>demo<\/b>[\s\S]*- \*\*changed\*\* `Deployment\/demo\/demo`: 🟠 medium/);
    expect(md).toContain('`spec.template.spec.containers[name=app].image`: `registry.example/demo:1.2.3` → `registry.example/demo:1.2.4`');
    const text = toText(changes, 'abc123');
    expect(text).toMatch(
      /^rendered diff against abc123: 2 object\(s\) and 0 other file\(s\) changed: 0 high, 2 medium, 0 low risk\nsite cluster1\n {2}demo\n {4}changed {2}Deployment\/demo\/demo {2}\[medium\]/,
    );
  });
});

describe('files that are not Kubernetes objects', () => {
  let repo: { dir: string; cleanup: () => void };
  let before: FileTree;

  beforeAll(() => {
    repo = tempDir('diff-files-');
    before = render(BEFORE);
    for (const [p, content] of before) {
      fs.mkdirSync(path.dirname(path.join(repo.dir, 'gitops', p)), { recursive: true });
      fs.writeFileSync(path.join(repo.dir, 'gitops', p), content);
    }
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.dir, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'before');
  });
  afterAll(() => repo.cleanup());

  it('reports the edge proxy config and the README line by line, edge changes at least medium', () => {
    const cfg = before.get('edge/haproxy.cfg')!;
    expect(cfg).toMatch(/server cluster1 192\.0\.2\.100:80 /);
    const after = new Map(before);
    after.set('edge/haproxy.cfg', cfg.replace('server cluster1 192.0.2.100:80 ', 'server cluster1 192.0.2.200:80 '));
    after.set('README.md', `${before.get('README.md')!}- a new line\n`);
    after.set('edge/extra.cfg', 'new\n');
    const changes = semanticDiff(readTreeAtRef(repo.dir, 'HEAD'), after);

    const edge = fileChange(changes, 'edge/haproxy.cfg');
    expect([edge.type, edge.risk, edge.added, edge.removed]).toEqual(['changed', 'medium', 1, 1]);
    expect(edge.notes[0]!.reason).toMatch(/edge routing changes/);
    const lines = edge.hunks.flatMap((h) => h.lines).filter((l) => !l.startsWith(' '));
    expect(lines).toEqual([
      expect.stringMatching(/^- +server cluster1 192\.0\.2\.100:80 /),
      expect.stringMatching(/^\+ +server cluster1 192\.0\.2\.200:80 /),
    ]);
    expect([fileChange(changes, 'README.md').risk, fileChange(changes, 'README.md').type]).toEqual(['low', 'changed']);
    expect([fileChange(changes, 'edge/extra.cfg').type, fileChange(changes, 'edge/extra.cfg').risk]).toEqual(['added', 'medium']);
    expect(highestRisk(changes)).toBe('medium');
    expect(reaches(changes, 'medium')).toBe(true);

    const removed = new Map(before);
    removed.delete('edge/haproxy.cfg');
    expect([fileChange(semanticDiff(before, removed), 'edge/haproxy.cfg').type, highestRisk(semanticDiff(before, removed))]).toEqual([
      'removed',
      'high',
    ]);

    const md = toMarkdown(changes, 'abc123');
    expect(md).toMatch(/3 other file\(s\) changed/);
    expect(md).toMatch(
      /#### Other files[\s\S]*<b>edge\/haproxy\.cfg<\/b>: changed, 🟠 medium \(\+1 -1\)[\s\S]*```diff\n@@ -\d+,7 \+\d+,7 @@\n/,
    );
    const text = toText(changes, 'abc123');
    expect(text).toMatch(/file edge\/haproxy\.cfg\n {4}changed {2}\+1 -1 {2}\[medium\]\n {6}! medium: edge routing changes/);
    expect(toText(semanticDiff(before, after), 'x')).toBe(toText(semanticDiff(before, after), 'x'));
  });

  it('writes hunks that git apply accepts and that match diff -u', () => {
    const { dir, cleanup } = tempDir('line-diff-');
    try {
      const a = Array.from({ length: 40 }, (_, i) => `line ${i}`);
      const b = [...a];
      b.splice(2, 1, 'changed 2', 'inserted');
      b.splice(20, 2);
      b.push('tail');
      const oldText = `${a.join('\n')}\n`;
      const newText = `${b.join('\n')}\n`;
      fs.writeFileSync(path.join(dir, 'old'), oldText);
      fs.writeFileSync(path.join(dir, 'new'), newText);
      const hunks = lineDiff(oldText, newText);
      const body = hunks.flatMap((h) => [hunkHeader(h), ...h.lines]).join('\n') + '\n';
      const gnu = spawnSync('diff', ['-u', 'old', 'new'], { cwd: dir, encoding: 'utf8' });
      expect(gnu.status).toBe(1);
      expect(body).toBe(gnu.stdout.split('\n').slice(2).join('\n'));

      fs.writeFileSync(path.join(dir, 'f'), oldText);
      fs.writeFileSync(path.join(dir, 'p.diff'), `--- a/f\n+++ b/f\n${body}`);
      execFileSync('git', ['apply', 'p.diff'], { cwd: dir, stdio: 'pipe' });
      expect(fs.readFileSync(path.join(dir, 'f'), 'utf8')).toBe(newText);

      // A broken hunk (a context line that is not in the file) is refused by git apply.
      fs.writeFileSync(path.join(dir, 'f'), oldText);
      fs.writeFileSync(path.join(dir, 'bad.diff'), `--- a/f\n+++ b/f\n${body.replace(' line 0\n', ' line zero\n')}`);
      expect(spawnSync('git', ['apply', 'bad.diff'], { cwd: dir }).status).not.toBe(0);

      expect(lineDiff(undefined, 'a\nb\n')).toEqual([
        { beforeStart: 0, beforeLines: 0, afterStart: 1, afterLines: 2, lines: ['+a', '+b'] },
      ]);
      expect(lineDiff('a\n', 'a\n')).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('shows kustomization changes: a remote resource is an upstream version change', () => {
    const k = (resources: string[], tag = 'v1') =>
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: ${JSON.stringify(resources)}\nimages:\n  - name: app\n    newTag: ${tag}\n`;
    const url = (v: string) => `https://raw.githubusercontent.com/argoproj/argo-cd/${v}/manifests/install.yaml`;
    const tree = (text: string) => treeOf({ 's/argocd/kustomization.yaml': text });
    const bumped = semanticDiff(tree(k([url('v3.5.1'), 'a.yaml'])), tree(k([url('v3.5.2'), 'a.yaml'])));
    expect(change(bumped, 's', 'Kustomization/kustomization.yaml')).toEqual(
      expect.objectContaining({
        risk: 'medium',
        fields: [{ path: 'resources[0]', before: url('v3.5.1'), after: url('v3.5.2') }],
        notes: [expect.objectContaining({ path: 'resources', reason: expect.stringContaining(`${url('v3.5.1')} -> ${url('v3.5.2')}`) })],
      }),
    );
    // The list changes length: the field is the whole list, still an upstream change.
    const added = semanticDiff(tree(k(['a.yaml'])), tree(k([url('v3.5.2'), 'a.yaml'])));
    expect(change(added, 's', 'Kustomization/kustomization.yaml').risk).toBe('medium');
    expect(highestRisk(semanticDiff(tree(k(['a.yaml'])), tree(k(['a.yaml', 'b.yaml']))))).toBe('low');
    expect(highestRisk(semanticDiff(tree(k(['a.yaml'])), tree(k(['a.yaml'], 'v2'))))).toBe('medium');
  });
});

describe('risk rules', () => {
  const deployment = (replicas: number) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ns\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels: { app: web }\n  template:\n    metadata:\n      labels: { app: web }\n    spec:\n      containers:\n        - name: app\n          image: web:1\n`;
  const pdb = (spec: string) =>
    `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: ns\nspec:\n  selector:\n    matchLabels: { app: web }\n  ${spec}\n`;
  const workload = (replicas: number, spec = 'minAvailable: 2') =>
    treeOf({ 's/web/deployment-web.yaml': deployment(replicas), 's/web/poddisruptionbudget-web.yaml': pdb(spec) });

  it('rates replicas at the minAvailable of a PDB high: every eviction blocks', () => {
    const equal = change(semanticDiff(workload(3), workload(2)), 's', 'Deployment/ns/web');
    expect([equal.risk, equal.notes[0]!.reason]).toEqual([
      'high',
      'replicas 2 at or below the minAvailable 2 of PodDisruptionBudget web: every voluntary eviction blocks (node drains hang)',
    ]);
    expect(change(semanticDiff(workload(4), workload(3)), 's', 'Deployment/ns/web').risk).toBe('medium');
    expect(change(semanticDiff(workload(3), workload(4)), 's', 'Deployment/ns/web').risk).toBe('low');
  });

  it('rates maxUnavailable 0 and minAvailable 100% as blocking, for replicas, new workloads and PDB changes', () => {
    expect(change(semanticDiff(workload(3, 'maxUnavailable: 0'), workload(4, 'maxUnavailable: 0')), 's', 'Deployment/ns/web').risk).toBe(
      'high',
    );
    expect(
      change(semanticDiff(workload(3, 'minAvailable: "100%"'), workload(4, 'minAvailable: "100%"')), 's', 'Deployment/ns/web').risk,
    ).toBe('high');
    expect(
      change(semanticDiff(workload(3, 'minAvailable: "50%"'), workload(4, 'minAvailable: "50%"')), 's', 'Deployment/ns/web').risk,
    ).toBe('low');
    expect(change(semanticDiff(workload(3, 'maxUnavailable: 1'), workload(2, 'maxUnavailable: 1')), 's', 'Deployment/ns/web').risk).toBe(
      'medium',
    );
    const tightened = change(
      semanticDiff(workload(3, 'maxUnavailable: 1'), workload(3, 'maxUnavailable: 0')),
      's',
      'PodDisruptionBudget/ns/web',
    );
    expect([tightened.risk, tightened.notes[0]!.reason]).toEqual([
      'high',
      'maxUnavailable 0 of PodDisruptionBudget web (Deployment web): every voluntary eviction blocks (node drains hang)',
    ]);
    const added = semanticDiff(new Map(), workload(2));
    expect([change(added, 's', 'Deployment/ns/web').risk, change(added, 's', 'PodDisruptionBudget/ns/web').risk]).toEqual(['high', 'high']);
    expect(highestRisk(semanticDiff(new Map(), workload(3)))).toBe('low');
  });

  const namespace = (labels: Record<string, string>) =>
    treeOf({
      's/namespaces/namespace-x.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: ${JSON.stringify(labels)}\n`,
    });

  it('rates Pod Security lowered only on the enforce label itself, and only downwards', () => {
    const at = (level: string, version = 'v1.28') =>
      namespace({ 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/enforce-version': version });
    const version = semanticDiff(at('restricted', 'v1.28'), at('restricted', 'v1.29'));
    expect(change(version, 's', 'Namespace/x').fields).toEqual([
      { path: 'metadata.labels.pod-security.kubernetes.io/enforce-version', before: 'v1.28', after: 'v1.29' },
    ]);
    expect(highestRisk(version)).toBe('low');
    const lowered = change(semanticDiff(at('restricted'), at('baseline')), 's', 'Namespace/x');
    expect([lowered.risk, lowered.notes[0]!.reason]).toEqual(['high', 'Pod Security lowered restricted -> baseline']);
    expect(highestRisk(semanticDiff(at('baseline'), at('restricted')))).toBe('low');
    expect(highestRisk(semanticDiff(at('baseline'), at('privileged')))).toBe('high');
    expect(highestRisk(semanticDiff(at('restricted'), namespace({})))).toBe('high');
  });

  it('rates added objects: a privileged namespace, wildcard and widening roles, bindings', () => {
    const level = (l: string) => namespace({ 'pod-security.kubernetes.io/enforce': l });
    expect(change(semanticDiff(new Map(), level('privileged')), 's', 'Namespace/x').notes).toEqual([
      expect.objectContaining({ risk: 'high', reason: 'new namespace at Pod Security privileged' }),
    ]);
    expect(highestRisk(semanticDiff(new Map(), level('baseline')))).toBe('medium');
    expect(highestRisk(semanticDiff(new Map(), level('restricted')))).toBe('low');

    const role = (kind: string, verbs: string[], resources = ['configmaps']) =>
      treeOf({
        's/c/role-r.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: r\n  namespace: ns\nrules:\n  - apiGroups: [""]\n    resources: ${JSON.stringify(resources)}\n    verbs: ${JSON.stringify(verbs)}\n`,
      });
    expect(highestRisk(semanticDiff(new Map(), role('ClusterRole', ['*'])))).toBe('high');
    expect(highestRisk(semanticDiff(new Map(), role('Role', ['get'], ['*'])))).toBe('high');
    expect(highestRisk(semanticDiff(new Map(), role('Role', ['get'])))).toBe('medium');
    const binding = (roleName: string) =>
      treeOf({
        's/c/rolebinding-b.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n  namespace: ns\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${roleName} }\nsubjects:\n  - { kind: ServiceAccount, name: sa, namespace: ns }\n`,
      });
    expect(highestRisk(semanticDiff(new Map(), binding('cluster-admin')))).toBe('high');
    expect(highestRisk(semanticDiff(new Map(), binding('view')))).toBe('medium');
  });
});

describe('review command line', () => {
  const review = (args: string[]) =>
    spawnSync(process.execPath, [path.join(__dirname, '..', 'dist', 'review.js'), ...args], { encoding: 'utf8' }) as {
      status: number;
      stdout: string;
      stderr: string;
    };

  it('validates the committed platform and lists the exceptions in force with their reasons', () => {
    const r = review(['validate']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/namespace argocd \(argocd\) runs at Pod Security level baseline: the upstream install.yaml/);
    expect(r.stdout).toMatch(/validate: 2 sites, \d+ objects, 0 finding\(s\)/);
  });

  it('prints the capacity of every site, node by node', () => {
    const r = review(['capacity']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/site cluster1\n {2}all nodes up\n {4}chataalk-balzac +cpu +\d+m \/ 3300m/);
    expect(r.stdout).toMatch(/without chataalk-zola/);
  });

  it('exits 2 naming the problem when the base ref does not exist', () => {
    const r = review(['diff', '--base', 'no-such-ref-anywhere']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/git rev-parse .*no-such-ref-anywhere/);
  });
});

describe('multi-line values', () => {
  it('shows a changed configuration file inside an object as a line diff, not a truncated string', () => {
    const conf = (permission: string) =>
      `# header line that is long enough to fill the first hundred and twenty characters of the value, so a truncation hides the change\nlisten: 4222\npermissions: ${permission}\n`;
    const object = (permission: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bus-config\n  namespace: bus\ndata:\n  nats.conf: |\n${conf(permission)
        .split('\n')
        .filter(Boolean)
        .map((l) => `    ${l}`)
        .join('\n')}\n`;
    const before: FileTree = new Map([['cluster1/bus/configmap-bus-config.yaml', object('old')]]);
    const after: FileTree = new Map([['cluster1/bus/configmap-bus-config.yaml', object('new')]]);
    const changes = semanticDiff(before, after);
    const text = toText(changes, 'main');
    expect(text).toContain('-permissions: old');
    expect(text).toContain('+permissions: new');
    const markdown = toMarkdown(changes, 'main');
    expect(markdown).toMatch(/```diff\n(.*\n)*\s*-permissions: old\n\s*\+permissions: new/);
    // No inline code spans a line break (it would break the merge-request comment's list).
    for (const line of markdown.split('\n').filter((l) => !/^\s*```/.test(l))) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
  });
});
