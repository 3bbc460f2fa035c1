import { apiServerCidrs, MONITORING_NAMESPACE, renderNetworkPolicies } from '../charts/network-policies/policies';
import { renderSite } from '../pipeline/render';
import { SITES, PLATFORM } from '../sites';
import { objectsOf, TestComponent, testPlatform } from './platform-fixtures';

interface Policy {
  kind: string;
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress?: { from: Record<string, unknown>[]; ports: { port: number; protocol: string }[] }[];
    egress?: { to: Record<string, unknown>[]; ports: { port: number; protocol: string }[] }[];
  };
}

const policiesOf = (c: TestComponent) => (objectsOf(c) as unknown as Policy[]).filter((o) => o.kind === 'NetworkPolicy');
const peer = (namespace: string, labels: Record<string, string>) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
  podSelector: { matchLabels: labels },
});
const tcp = (...ports: number[]) => ports.map((port) => ({ port, protocol: 'TCP' }));

describe('network policies from declarations', () => {
  const site = SITES[0]!;
  let api!: TestComponent;
  let db!: TestComponent;
  let vendor!: TestComponent;
  const p = testPlatform(site, (app, ctx) => {
    api = new TestComponent(app, ctx, 'api');
    db = new TestComponent(app, ctx, 'db');
    vendor = new TestComponent(app, ctx, 'vendor', { upstreamChart: true, networkPolicyReason: 'test: an upstream chart' });
  });
  const web = api.pods('web', [8080, 9090]);
  const pg = db.pods('postgres', [5432, 9187]);
  const operator = vendor.pods('operator', [443]);
  api.talksTo(web, pg, [{ port: 5432 }]);
  api.talksTo(web, operator);
  db.talksOutside({
    pods: pg,
    direction: 'egress',
    cidrs: ['198.51.100.101/32'],
    ports: [{ port: 5432 }],
    reason: 'replication from the primary',
  });
  db.usesApiServer(pg);
  db.exposeMetrics({ pods: pg, port: 9187 });
  api.exposeHttp({ host: 'www.chataik.fr', pathPrefix: '/', backend: web, port: 8080 });
  renderNetworkPolicies(p.components(), { site, ingress: p.ingress.envoy });

  it('gives every namespace we own default-deny in both directions and DNS', () => {
    for (const c of [api, db]) {
      const byName = new Map(policiesOf(c).map((x) => [x.metadata.name, x]));
      expect(byName.get('default-deny')!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      expect(byName.get('allow-dns')!.spec.egress).toEqual([
        {
          // kube-dns pods, the DNS Service address and the node-local cache (a host-network listener).
          to: [
            peer('kube-system', { 'k8s-app': 'kube-dns' }),
            { ipBlock: { cidr: `${site.network.dns.clusterAddress}/32` } },
            { ipBlock: { cidr: `${site.network.dns.nodeLocalAddress}/32` } },
          ],
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ]);
    }
  });

  it("leaves an upstream chart's namespace alone, while its clients still get their egress", () => {
    expect(policiesOf(vendor)).toEqual([]);
    const webPolicy = policiesOf(api).find((x) => x.metadata.name === 'allow-api-web')!;
    expect(webPolicy.spec.egress).toContainEqual({ to: [peer('vendor', { app: 'vendor-operator' })], ports: tcp(443) });
  });

  it('turns a flow into egress on the client and ingress on the server, on the declared port only', () => {
    const webPolicy = policiesOf(api).find((x) => x.metadata.name === 'allow-api-web')!;
    expect(webPolicy.spec.podSelector).toEqual({ matchLabels: { app: 'api-web' } });
    expect(webPolicy.spec.egress).toEqual([
      { to: [peer('db', { app: 'db-postgres' })], ports: tcp(5432) },
      { to: [peer('vendor', { app: 'vendor-operator' })], ports: tcp(443) },
    ]);
    // Its only ingress is from Envoy, for its route.
    expect(webPolicy.spec.ingress).toEqual([{ from: [peer('projectcontour', p.ingress.envoy.podLabels)], ports: tcp(8080) }]);

    const pgPolicy = policiesOf(db).find((x) => x.metadata.name === 'allow-db-postgres')!;
    expect(pgPolicy.spec.ingress).toEqual([
      { from: [peer('api', { app: 'api-web' })], ports: tcp(5432) },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } } }], ports: tcp(9187) },
    ]);
    expect(pgPolicy.spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '198.51.100.101/32' } }], ports: tcp(5432) },
      { to: apiServerCidrs(site).map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(site.network.apiServer.port) },
    ]);
    // Nothing else was opened in these namespaces.
    expect(
      policiesOf(api)
        .map((x) => x.metadata.name)
        .sort(),
    ).toEqual(['allow-api-web', 'allow-dns', 'default-deny']);
    expect(
      policiesOf(db)
        .map((x) => x.metadata.name)
        .sort(),
    ).toEqual(['allow-db-postgres', 'allow-dns', 'default-deny']);
  });

  it('reaches the API server at its real endpoints: the VIP and every control-plane node', () => {
    expect(apiServerCidrs(site)).toEqual(['192.0.2.10/32', '192.0.2.11/32', '192.0.2.12/32', '192.0.2.13/32']);
  });

  it("opens Envoy's egress to exposed backends", () => {
    const envoy = (objectsOf(p.ingress) as unknown as Policy[]).find(
      (x) => x.kind === 'NetworkPolicy' && x.metadata.name === 'allow-contour-envoy',
    )!;
    expect(envoy.spec.egress).toContainEqual({ to: [peer('api', { app: 'api-web' })], ports: tcp(8080) });
  });
});

describe.each(SITES.map((s) => [s.name, s] as const))('site %s ingress namespace', (_n, site) => {
  const contour = renderSite(site, PLATFORM).components.find((c) => c.name === 'contour')!;
  const policies = contour.objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[];

  it('accepts the edge proxy on the Envoy listeners, and the probes of the other site on the HTTPS one only', () => {
    const envoy = policies.find((x) => x.metadata.name === 'allow-contour-envoy')!;
    // With two sites, the other one watches this one (SiteUnreachable): its nodes' addresses, kept
    // by the Local Service, reach the port behind 443 and nothing else.
    const otherNodes = SITES.filter((s) => s !== site).flatMap((s) => s.nodes.map((n) => ({ ipBlock: { cidr: `${n.address}/32` } })));
    const fromOutside = envoy.spec.ingress!.filter((r) => r.from.some((f) => 'ipBlock' in f));
    expect(fromOutside).toEqual([
      { from: [{ ipBlock: { cidr: '203.0.113.10/32' } }], ports: tcp(8080, 8443) },
      { from: otherNodes, ports: tcp(8443) },
    ]);
  });

  it('has default-deny', () => {
    expect(policies.map((x) => x.metadata.name)).toEqual(expect.arrayContaining(['default-deny', 'allow-dns']));
  });
});

describe('NetworkPolicy names', () => {
  it('name each policy after its pods (name label, with the component when the name does not say it), never cut', () => {
    const rendered = renderSite(SITES[0]!, PLATFORM).components.flatMap((c) => c.objects);
    const names = (namespace: string) =>
      rendered
        .filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === namespace)
        .map((o) => o.metadata.name)
        .sort();
    expect(names('postgres')).toEqual([
      'allow-dns',
      'allow-postgres-backup',
      'allow-postgres-keeper',
      'allow-postgres-proxy',
      'allow-postgres-sentinel',
      'allow-postgres-update',
      'default-deny',
    ]);
    // Contour's pods share app.kubernetes.io/name=contour: the component tells them apart.
    expect(names('projectcontour')).toEqual(['allow-contour', 'allow-contour-certgen', 'allow-contour-envoy', 'allow-dns', 'default-deny']);
    for (const o of rendered.filter((x) => x.kind === 'NetworkPolicy'))
      expect(o.metadata.name).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  });

  it('refuse a name longer than 63 characters instead of cutting it', () => {
    const long = 'a-very-long-application-name-that-no-network-policy-name-can-hold';
    let c!: TestComponent;
    const p = testPlatform(SITES[0]!, (app, ctx) => (c = new TestComponent(app, ctx, 'api')));
    c.talksTo(c.pods(long, [80]), c.pods('web', [8080]));
    expect(() => renderNetworkPolicies(p.components(), { site: SITES[0]! })).toThrow(
      /NetworkPolicy name of pod selector .* is longer than 63 characters; give the pods a shorter app.kubernetes.io\/name/,
    );
  });
});

describe('network policies for routes', () => {
  const site = SITES[0]!;
  const build = (route: { port: number; targetPort?: number }) => {
    let shop!: TestComponent;
    const p = testPlatform(site, (app, ctx) => {
      shop = new TestComponent(app, ctx, 'shop');
    });
    const web = shop.pods('web', [8080, 9090]);
    shop.exposeHttp({ host: 'shop.chataik.fr', pathPrefix: '/', backend: web, ...route });
    return () => {
      renderNetworkPolicies(p.components(), { site, ingress: p.ingress.envoy });
      return policiesOf(shop);
    };
  };

  it('opens to Envoy only the pod port the route reaches', () => {
    const policies = build({ port: 80, targetPort: 8080 })();
    const web = policies.find((x) => x.metadata.name.includes('web'))!;
    expect(web.spec.ingress!.flatMap((r) => r.ports)).toEqual(tcp(8080));
  });

  it('refuses a route whose pod port is ambiguous, instead of opening every port', () => {
    expect(build({ port: 80 })).toThrow(
      /site cluster1 .*component shop, object route shop\.chataik\.fr\/, field targetPort: pod port 80 is not one of the backend's \(8080, 9090\); set targetPort/,
    );
  });
});
