import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { PLATFORM } from '../sites';
import { renderedGitops, tempDir } from './helpers';

// Argo CD and `kubectl apply -k` read each component directory with kustomize: build every one
// with the real kustomize in kubectl (remote upstream manifests replaced by a local stand-in).
const { dir, cleanup } = tempDir('kustomize-');
afterAll(cleanup);

interface Kustomization {
  namespace?: string;
  resources: string[];
  patches?: { path: string }[];
}

/** A namespace-less stand-in for a remote manifest: one object per patch target, as install.yaml has them. */
function standIn(componentDir: string, k: Kustomization): string {
  const targets = (k.patches ?? []).map((p) => parse(fs.readFileSync(path.join(componentDir, p.path), 'utf8')) as Record<string, unknown>);
  return targets
    .map((t) => {
      const meta = t.metadata as { name: string };
      const spec = t.kind === 'ConfigMap' ? {} : { spec: { template: { spec: { containers: [{ name: 'placeholder', image: 'x:1' }] } } } };
      return stringify({ apiVersion: t.apiVersion, kind: t.kind, metadata: { name: meta.name }, ...spec });
    })
    .join('---\n');
}

function kustomize(componentDir: string): Record<string, unknown>[] {
  const out = execFileSync('kubectl', ['kustomize', componentDir], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as Record<string, unknown>);
}

const componentDirs = (): string[] =>
  PLATFORM.sites.flatMap((s) =>
    fs
      .readdirSync(path.join(dir, 'gitops', s.name))
      .map((c) => path.join(dir, 'gitops', s.name, c))
      .filter((d) => fs.existsSync(path.join(d, 'kustomization.yaml'))),
  );

/** Each directory's kustomization as rendered, before remote resources are replaced. */
const rendered = new Map<string, Kustomization>();
beforeAll(() => {
  // A copy of the jest run's render (test/global-setup.js: the synth CLI's gitops/ of PLATFORM).
  fs.cpSync(renderedGitops(), path.join(dir, 'gitops'), { recursive: true });
  for (const d of componentDirs()) {
    const file = path.join(d, 'kustomization.yaml');
    const k = parse(fs.readFileSync(file, 'utf8')) as Kustomization;
    rendered.set(d, k);
    if (k.resources.some((r) => r.includes('://'))) {
      fs.writeFileSync(path.join(d, 'upstream.yaml'), standIn(d, k));
      fs.writeFileSync(file, stringify({ ...k, resources: ['upstream.yaml', ...k.resources.filter((r) => !r.includes('://'))] }));
    }
  }
});

it('builds every component directory with kustomize, one object per listed file', () => {
  expect(rendered.size).toBeGreaterThan(20);
  for (const [d, k] of rendered) {
    const objects = kustomize(d);
    const own = k.resources.filter((r) => !r.includes('://')).length;
    const upstream = k.resources.some((r) => r.includes('://')) ? (k.patches ?? []).length : 0;
    expect([d, objects.length]).toEqual([d, own + upstream]);
  }
});

it('merges our patches into the upstream Argo CD objects, in the argocd namespace', () => {
  for (const site of PLATFORM.sites) {
    const objects = kustomize(path.join(dir, 'gitops', site.name, 'bootstrap'));
    const server = objects.find((o) => o.kind === 'Deployment' && (o.metadata as { name: string }).name === 'argocd-server')!;
    expect((server.metadata as { namespace: string }).namespace).toBe('argocd');
    const containers = (server.spec as Record<string, Record<string, Record<string, unknown>>>).template!.spec!.containers as Record<
      string,
      unknown
    >[];
    expect(containers.find((c) => c.name === 'argocd-server')).toMatchObject({ resources: { requests: { cpu: '50m' } } });
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(Object.keys(cm.data as object)).toContain('resource.customizations.health.argoproj.io_Application');
  }
});
