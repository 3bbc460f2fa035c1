import { App } from 'cdk8s';
import { siteContext } from '../charts/context';
import { buildPlatform } from '../charts/platform';
import { PlatformError } from '../model/errors';
import { renderSite } from '../pipeline/render';
import { renderTree } from '../pipeline/synth';
import { PLATFORM, SITES } from '../sites';
import { withChange } from './helpers';

const optingOut = (site: string, optOut: Record<string, string>) =>
  SITES.map((s) => (s.name === site ? withChange(s, (d) => (d.components = { optOut })) : s));

/** cluster1 taking no public traffic (the edge's split then on cluster2 alone), opting out of `optOut`. */
const privateCluster1 = (optOut: Record<string, string>) =>
  optingOut('cluster1', optOut).map((s) =>
    s.name === 'cluster1' ? withChange(s, (d) => ((d.dns as Record<string, unknown>).servesPublicDomain = false)) : s,
  );
const edgeOnCluster2 = { ...PLATFORM.edge, split: { mode: 'active-backup' as const, active: 'cluster2' } };

function findings(
  sites: ReturnType<typeof optingOut>,
  edge = sites.some((s) => s.dns.servesPublicDomain === false) ? edgeOnCluster2 : PLATFORM.edge,
): string[] {
  try {
    renderTree({ sites, edge });
  } catch (err) {
    if (err instanceof PlatformError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('the component registry', () => {
  it('leaves out what a site opts out of, and the cross-site check accepts it', () => {
    const sites = privateCluster1({ resizer: 'no uploads served from Illkirch yet' });
    const { tree } = renderTree({ sites, edge: edgeOnCluster2 });
    expect([...tree.keys()].some((p) => p.startsWith('cluster1/resizer/'))).toBe(false);
    expect([...tree.keys()].some((p) => p.startsWith('cluster2/resizer/'))).toBe(true);
    expect(tree.get('cluster1/apps/application-resizer.yaml')).toBeUndefined();
  });

  it('refuses to leave out a component another one needs, naming both', () => {
    expect(findings(optingOut('cluster1', { bus: 'test' }))).toContainEqual(
      'site cluster1 (sites/cluster1.ts), component resizer, field components.optOut.bus: resizer needs bus: keep bus, or opt out of resizer too',
    );
    // Leaving out both is fine (on a site the edge sends no public name to, see below).
    expect(findings(privateCluster1({ bus: 'test', resizer: 'test' }))).toEqual([]);
  });

  it('refuses to leave a component with a public route out of a site serving the public domain', () => {
    expect(findings(optingOut('cluster1', { resizer: 'test' }))).toEqual([
      'site cluster1 (sites/cluster1.ts), component resizer, field components.optOut.resizer: the edge sends images.chataik.fr to this site (it serves the public domain chataik.fr), but it does not run resizer, which serves it on cluster2: run resizer here, or set dns.servesPublicDomain: false',
    ]);
    expect(findings(privateCluster1({ resizer: 'test' }))).toEqual([]);
    // The edge then never sends public names to cluster1.
    const { tree } = renderTree({ sites: privateCluster1({ resizer: 'test' }), edge: edgeOnCluster2 });
    const split = tree
      .get('edge/haproxy.cfg')!
      .split('\n\n')
      .find((b) => b.startsWith('backend sites-https'))!;
    expect(split).not.toContain('server cluster1');
  });

  it('leaves PostgreSQL out of a standby site: the primary then declares no slot for it', () => {
    const sites = optingOut('cluster1', { postgres: 'reads served from Esplanade only' });
    const { tree } = renderTree({ ...PLATFORM, sites });
    expect([...tree.keys()].some((p) => p.startsWith('cluster1/postgres/'))).toBe(false);
    const spec = tree.get('cluster2/postgres/configmap-stolon-cluster-spec.yaml')!;
    expect(spec).not.toContain('cluster1');
  });

  it('refuses to leave PostgreSQL out of the primary site', () => {
    expect(findings(optingOut('cluster2', { postgres: 'test' }))).toContainEqual(
      expect.stringMatching(/site cluster2 .*field components\.optOut\.postgres: the database primary site cannot leave PostgreSQL out/),
    );
  });

  it('accepts a component left out of every site', () => {
    const sites = SITES.map((s) => withChange(s, (d) => (d.components = { optOut: { resizer: 'not yet' } })));
    expect(findings(sites)).toEqual([]);
  });

  it('refuses an HPA on resource metrics on a site without metrics-server, naming the component and the object', () => {
    expect(findings(optingOut('cluster1', { 'metrics-server': 'test' }))).toContainEqual(
      'site cluster1 (sites/cluster1.ts), component resizer, object HorizontalPodAutoscaler/resizer/resizer-api, field components.optOut.metrics-server: HorizontalPodAutoscaler/resizer/resizer-api scales on resource metrics (metrics.k8s.io), which only metrics-server serves: keep metrics-server, or opt out of resizer too',
    );
    expect(findings(privateCluster1({ 'metrics-server': 'test', resizer: 'test' }))).toEqual([]);
  });

  it('syncs what autoscales on resource metrics after metrics-server', () => {
    const { tree } = renderTree(PLATFORM);
    const wave = (site: string, app: string) => Number(/sync-wave: "(-?\d+)"/.exec(tree.get(`${site}/apps/application-${app}.yaml`)!)![1]);
    for (const site of SITES) expect(wave(site.name, 'resizer')).toBeGreaterThan(wave(site.name, 'metrics-server'));
  });

  it('refuses to leave out a component every site needs', () => {
    expect(findings(optingOut('cluster2', { metallb: 'test' }))).toContainEqual(
      'site cluster2 (sites/cluster2.ts), field components.optOut.metallb: metallb cannot be left out: the platform needs it on every site',
    );
    // The views render what the others declare: always there.
    expect(findings(optingOut('cluster2', { namespaces: 'test' }))).toContainEqual(
      'site cluster2 (sites/cluster2.ts), field components.optOut.namespaces: namespaces cannot be left out: the platform needs it on every site',
    );
  });
});

describe('views only read', () => {
  it('refuses a declaration made after every component was built', () => {
    const site = SITES[0]!;
    const { pieces } = buildPlatform(new App({ outdir: 'dist/test-cdk8s' }), siteContext(site, PLATFORM));
    const resizer = pieces.resizer!;
    expect(() => resizer.exposeHttp({ host: 'late.chataik.fr', pathPrefix: '/', backend: resizer.api, port: 80 })).toThrow(
      /component resizer: exposeHttp after every component was built; views only read declarations/,
    );
    expect(() => pieces.bus!.dependOn(resizer)).toThrow(/component bus: dependOn after every component was built/);
    expect(() => resizer.syncOrder.servesApi({ group: 'x.k8s.io', servedBy: 'x', reference: 'x' })).toThrow(/views only read declarations/);
  });

  it('derives what every component syncs after from what it declares: the namespaces, the ingress for routes, the metrics API its autoscalers read', () => {
    const rendered = renderSite(SITES[0]!, PLATFORM);
    const dependencies = (name: string) => rendered.components.find((c) => c.name === name)!.dependencies;
    for (const c of rendered.components.filter((x) => !['namespaces', 'apps', 'bootstrap'].includes(x.name))) {
      expect(c.dependencies).toContain('namespaces');
    }
    // Routes: the HTTPProxy kind is Contour's.
    expect(dependencies('argocd')).toContain('contour');
    expect(dependencies('resizer')).toEqual(expect.arrayContaining(['contour', 'metrics-server', 'keda', 'bus', 'object-store']));
    expect(dependencies('namespaces')).toEqual([]);
  });
});
