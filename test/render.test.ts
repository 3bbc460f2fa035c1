import { ApiObject, App } from 'cdk8s';
import { parse } from 'yaml';
import { generateModel } from '../bench/generate-sites';
import { siteContext } from '../charts/context';
import { isPublicHost } from '../charts/contour/route-proxy';
import { watchedSites, watchersOf } from '../charts/lib/watchers';
import { buildPlatform, PIECES, type PieceName, type PlatformExtension } from '../charts/platform';
import { isClusterScoped } from '../model/cluster-scoped';
import { siteFiles } from '../pipeline/files';
import { renderSite, type KubeObject } from '../pipeline/render';
import { renderTree } from '../pipeline/synth';
import { SITES, PLATFORM } from '../sites';
import { TestComponent } from './platform-fixtures';

// The rendered objects themselves are reviewed in gitops/, which `synth --check` holds to the
// code; these are what must hold of any render.
describe.each(SITES.map((s) => [s.name, s] as const))('site %s', (_name, site) => {
  const rendered = renderSite(site, PLATFORM);

  it('gives every component directory a kustomization listing each of its files once', () => {
    const files = siteFiles(rendered);
    for (const component of rendered.components) {
      const prefix = `${site.name}/${component.name}/`;
      const own = [...files.keys()].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
      const kustomization = parse(files.get(`${prefix}kustomization.yaml`) ?? '') as { resources: string[]; patches?: { path: string }[] };
      const listed = [...kustomization.resources.filter((r) => !r.includes('://')), ...(kustomization.patches ?? []).map((p) => p.path)];
      expect(listed.sort()).toEqual(own.filter((f) => f !== 'kustomization.yaml').sort());
    }
  });

  it("gives each component the objects its chart's own toJson gives, in the same order", () => {
    // The render resolves the App's dependencies once, through the first chart's toJson.
    const { components } = buildPlatform(new App({ outdir: 'dist/cdk8s' }), siteContext(site, PLATFORM));
    const own = (o: KubeObject): KubeObject =>
      isClusterScoped(o.kind) ? { ...o, metadata: { ...o.metadata, namespace: undefined } as KubeObject['metadata'] } : o;
    const byToJson = components.map(({ chart }) => [chart.componentName, (chart.toJson() as KubeObject[]).map(own)]);
    expect(rendered.components.map((c) => [c.name, c.objects])).toEqual(byToJson);
  });

  it('has one child Application per component directory, with a sync wave after its dependencies', () => {
    const apps = rendered.components.find((c) => c.name === 'apps')!;
    const children = apps.objects.filter((o) => o.kind === 'Application' && o.metadata.name !== 'root');
    // apps (synced by the root, which manages itself) and bootstrap (applied by hand) are no child Applications.
    const dirs = rendered.components.map((c) => c.name).filter((n) => n !== 'apps' && n !== 'bootstrap');
    expect(children.map((o) => o.metadata.name).sort()).toEqual([...dirs].sort());
    const wave = (name: string): number => {
      const app = children.find((o) => o.metadata.name === name)!;
      return Number((app.metadata.annotations as Record<string, string>)['argocd.argoproj.io/sync-wave']);
    };
    for (const component of rendered.components.filter((c) => c.name !== 'apps')) {
      for (const dep of component.dependencies) expect(wave(component.name)).toBeGreaterThan(wave(dep));
    }
    expect(wave('namespaces')).toBe(0);
  });
});

it("takes the objects of a chart whose objects depend on each other in its toJson's order, not the order they were made in", () => {
  // Every chart of the platform has no dependency between its own objects, so the render takes
  // them in construct order; one object depending on a later one puts that one first.
  const extend: PlatformExtension = (scope, context) => {
    const chart = new TestComponent(scope, context, 'ordered');
    const config = (name: string) => new ApiObject(chart, name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
    const [first, second] = [config('first'), config('second'), config('third')];
    first!.addDependency(second!);
  };
  const site = SITES[0]!;
  const names = (objects: readonly KubeObject[]) => objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name);
  const rendered = renderSite(site, PLATFORM, { extend }).components.find((c) => c.name === 'ordered')!;
  const { components } = buildPlatform(new App({ outdir: 'dist/cdk8s' }), siteContext(site, PLATFORM), { extend });
  const chart = components.find((c) => c.chart.componentName === 'ordered')!.chart;
  expect(names(rendered.objects)).toEqual(names(chart.toJson() as KubeObject[]));
  expect(names(rendered.objects)).toEqual(['second', 'first', 'third']);
});

it("tells a public host from one under a site's own name as comparing it with every site's name does", () => {
  const { sites } = generateModel(30);
  const site = sites[3]!;
  const domain = site.dns.publicDomain;
  const under = (host: string, name: string) => host === name || host.endsWith(`.${name}`);
  const byEverySite = (host: string) =>
    under(host, domain) && !sites.some((s) => s.dns.siteHostname !== undefined && under(host, s.dns.siteHostname));
  const hosts = [domain, `images.${domain}`, `b.a.${domain}`, `site7.${domain}`, `a.site7.${domain}`, `xsite7.${domain}`];
  hosts.push(`site29.${domain}`, `site30.${domain}`, `site7.${domain}.example`, 'example.org', `.${domain}`, `${domain}.`);
  const verdicts = hosts.map((h) => isPublicHost(site, sites, h));
  expect(verdicts).toEqual(hosts.map(byEverySite));
  expect(verdicts).toEqual([true, true, true, false, false, true, false, true, false, false, true, false]);
});

it("gives each site's watchers as a filter of every site's watch list does", () => {
  const generated = generateModel(12).sites;
  // A watch list of its own naming a site twice and itself, and a site without monitoring.
  const sites = generated.map((s, i) =>
    i === 4
      ? { ...s, monitoring: { watches: ['site9', 'site9', 'site4', 'site0'] } }
      : i === 5
        ? { ...s, components: { optOut: { monitoring: 'not here' } } }
        : s,
  );
  const runsMonitoring = (s: (typeof sites)[number]) => !s.components?.optOut || !('monitoring' in s.components.optOut);
  for (const site of sites) {
    const byFilter = sites.filter((w) => w !== site && runsMonitoring(w) && watchedSites(w, sites).includes(site.name));
    expect(watchersOf(site, sites).map((w) => w.name)).toEqual(byFilter.map((w) => w.name));
  }
  expect(watchersOf(sites[9]!, sites).map((w) => w.name)).toEqual(['site4', 'site7', 'site8']);
  expect(watchersOf(sites[0]!, sites).map((w) => w.name)).toEqual(['site4', 'site8', 'site9']);
  expect(watchersOf(sites[4]!, sites).map((w) => w.name)).not.toContain('site4');
});

it('renders the same bytes twice in one process', () => {
  const a = renderTree(PLATFORM).tree;
  const b = renderTree(PLATFORM).tree;
  expect([...b]).toEqual([...a]);
});

describe('the order the registry builds the pieces in', () => {
  // Reversed, each piece first builds what it uses: resizer builds the bus, which builds the
  // secrets, KEDA, storage, MetalLB and cert-manager, then the store; Argo CD comes last.
  it.each(SITES.map((s) => [s.name, s] as const))('changes no byte of site %s', (_name, site) => {
    const files = (order?: readonly PieceName[]) =>
      [...siteFiles(renderSite(site, PLATFORM, { order }))].sort(([a], [b]) => (a < b ? -1 : 1));
    const reversed = [...PIECES].reverse();
    expect(files(reversed)).toEqual(files());
    const interleaved = PIECES.filter((_, i) => i % 2 === 1).concat(PIECES.filter((_, i) => i % 2 === 0));
    expect(files(interleaved)).toEqual(files());
  });
});
