import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { highestRisk, reaches, readTreeAtRef, semanticDiff, toMarkdown, toText, type RatedChange } from '../pipeline/diff';
import type { FileTree } from '../pipeline/files';
import { renderTree } from '../pipeline/synth';
import { PLATFORM } from '../sites';
import { setExtras, type DemoProps } from './fixtures/extras';
import { tempDir } from './helpers';

jest.mock('../charts/platform', () => jest.requireActual('./fixtures/extras').platformWithExtras());

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
  return renderTree(PLATFORM, { validate: false }).tree;
}

function change(changes: readonly RatedChange[], site: string, id: string): RatedChange {
  const found = changes.find((c) => c.site === site && c.id === id);
  if (!found) throw new Error(`no change of ${id} on ${site}: ${changes.map((c) => `${c.site} ${c.id}`).join(', ')}`);
  return found;
}

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
    expect(deployment.notes[0]!.reason).toMatch(/below the minAvailable 2 of PodDisruptionBudget demo/);

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
    const changes = semanticDiff(before, renderTree(PLATFORM, { validate: false }).tree);
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
      /^rendered diff against abc123: 2 object\(s\) changed: 0 high, 2 medium, 0 low risk\nsite cluster1\n {2}demo\n {4}changed {2}Deployment\/demo\/demo {2}\[medium\]/,
    );
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
