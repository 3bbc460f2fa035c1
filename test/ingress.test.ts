import { renderRoutes } from '../charts/contour/routes';
import { withImpliedDependencies } from '../charts/lib/sync-waves';
import { fixedLoadBalancer } from '../charts/metallb/metallb';
import { PlatformError } from '../model/errors';
import { renderSite } from '../pipeline/render';
import { validateSites } from '../pipeline/validate-sites';
import { SITES, PLATFORM } from '../sites';
import { withChange } from './helpers';
import { objectsOf, TestComponent, testPlatform } from './platform-fixtures';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
};

function errorOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlatformError) return err.message;
    throw err;
  }
  throw new Error('expected a PlatformError');
}

describe('ingress routes', () => {
  it('refuses the same host and path on one site, naming both components', () => {
    let chat!: TestComponent;
    let blog!: TestComponent;
    const p = testPlatform(SITES[0], (app, ctx) => {
      chat = new TestComponent(app, ctx, 'chat');
      blog = new TestComponent(app, ctx, 'blog');
    });
    chat.exposeHttp({ host: 'www.chataik.fr', pathPrefix: '/news/', backend: chat.pods('web', [8080]), port: 80 });
    blog.exposeHttp({ host: 'www.chataik.fr', pathPrefix: '/news', backend: blog.pods('web', [8080]), port: 80 });
    const message = errorOf(() => renderRoutes(p.ingress, p.declared(), p.certificates));
    expect(message).toMatch(
      /site cluster1 .*component blog, field exposeHttp\[0\]: host www\.chataik\.fr path \/news is already claimed by component chat/,
    );
    expect(message).toMatch(/components chat and blog cannot both serve it/);
  });

  it('lets two components share a host under different prefixes: one root with includes, children next to their services', () => {
    let chat!: TestComponent;
    let blog!: TestComponent;
    const p = testPlatform(SITES[1], (app, ctx) => {
      chat = new TestComponent(app, ctx, 'chat');
      blog = new TestComponent(app, ctx, 'blog');
    });
    chat.exposeHttp({
      host: 'www.chataik.fr',
      pathPrefix: '/',
      backend: chat.pods('web', [8080]),
      port: 80,
      responseTimeout: '30s',
      retries: 2,
      perTryTimeout: '5s',
      websockets: true,
      maxRequestBodyMiB: 10,
    });
    blog.exposeHttp({ host: 'www.chataik.fr', pathPrefix: '/blog', backend: blog.pods('web', [2368]), port: 80, retries: 0 });
    renderRoutes(p.ingress, p.declared(), p.certificates);

    const roots = (objectsOf(p.ingress) as Obj[]).filter((o) => o.kind === 'HTTPProxy');
    expect(roots).toHaveLength(1);
    expect(roots[0]!.metadata).toMatchObject({ name: 'www-chataik-fr', namespace: 'projectcontour' });
    expect(roots[0]!.spec).toEqual({
      virtualhost: { fqdn: 'www.chataik.fr', tls: { secretName: 'www-chataik-fr-tls', minimumProtocolVersion: '1.2' } },
      includes: [
        { name: 'chat-www-chataik-fr', namespace: 'chat', conditions: [{ prefix: '/' }] },
        { name: 'blog-www-chataik-fr-blog', namespace: 'blog', conditions: [{ prefix: '/blog' }] },
      ],
    });
    // Its Certificate is the public certificates component's (an Application synced last).
    expect((objectsOf(p.ingress) as Obj[]).filter((o) => o.kind === 'Certificate')).toEqual([]);
    const cert = (objectsOf(p.certificates) as Obj[]).find((o) => o.kind === 'Certificate')!;
    expect(cert.spec).toMatchObject({
      secretName: 'www-chataik-fr-tls',
      dnsNames: ['www.chataik.fr'],
      issuerRef: { kind: 'ClusterIssuer', name: 'platform' },
    });

    const chatProxy = (objectsOf(chat) as Obj[]).find((o) => o.kind === 'HTTPProxy')!;
    expect(chatProxy.metadata.namespace).toBe('chat');
    expect(chatProxy.metadata.annotations).toEqual({ 'platform.chataik.fr/max-request-body-mib': '10' });
    expect(chatProxy.spec).toEqual({
      routes: [
        {
          conditions: [{ prefix: '/' }],
          services: [{ name: 'chat-web', port: 80 }],
          timeoutPolicy: { response: '30s' },
          retryPolicy: { count: 2, perTryTimeout: '5s', retryOn: ['5xx', 'reset', 'connect-failure'] },
          enableWebsockets: true,
        },
      ],
    });
    const blogProxy = (objectsOf(blog) as Obj[]).find((o) => o.kind === 'HTTPProxy')!;
    expect((blogProxy.spec.routes as Record<string, unknown>[])[0]!.retryPolicy).toEqual({ count: -1 });
    // The HTTPProxy kind comes with Contour: the declaring components sync after it.
    const synced = withImpliedDependencies(p.declared(), { namespaces: 'namespaces', ingress: 'contour' });
    expect(synced.find((c) => c.name === 'chat')!.dependencies).toContain('contour');
  });

  it('reports a route without a Service and a bad timeout', () => {
    let chat!: TestComponent;
    const p = testPlatform(SITES[0], (app, ctx) => (chat = new TestComponent(app, ctx, 'chat')));
    const headless = chat.endpoint({ podLabels: { app: 'x' }, ports: [{ port: 80 }] });
    chat.exposeHttp({ host: 'chat.chataik.fr', pathPrefix: '/', backend: headless, port: 80, responseTimeout: '30 seconds' });
    const message = errorOf(() => renderRoutes(p.ingress, p.declared(), p.certificates));
    expect(message).toMatch(/component chat, field exposeHttp\[0\]\.backend: the backend endpoint names no Service/);
    expect(message).toMatch(/field exposeHttp\[0\]\.responseTimeout: expected a Go duration like 30s, got "30 seconds"/);
  });
});

describe('Argo CD routes', () => {
  // argocd-server over TLS serves HTTP/1.1 to the UI and REST API and HTTP/2 only to gRPC
  // (argo-cd v3.5.1 server/server.go): two routes, as upstream's Contour example has.
  it.each(SITES.map((s) => s.name))(
    '%s: gRPC (content-type application/grpc) over HTTP/2, the rest over HTTP/1.1, both over TLS',
    (name) => {
      const site = SITES.find((s) => s.name === name)!;
      const rendered = renderSite(site, PLATFORM);
      const objects = (component: string) => rendered.components.find((c) => c.name === component)!.objects as unknown as Obj[];
      const host = `argocd.${site.dns.siteHostname}`;
      const slug = host.replace(/\./g, '-');
      const root = objects('contour').find((o) => o.kind === 'HTTPProxy' && o.metadata.name === slug)!;
      expect(root.spec).toEqual({
        virtualhost: { fqdn: host, tls: { secretName: `${slug}-tls`, minimumProtocolVersion: '1.2' } },
        includes: [
          {
            name: `argocd-${slug}-application-grpc`,
            namespace: 'argocd',
            conditions: [{ prefix: '/' }, { header: { name: 'content-type', contains: 'application/grpc' } }],
          },
          { name: `argocd-${slug}`, namespace: 'argocd', conditions: [{ prefix: '/' }] },
        ],
      });
      const child = (childName: string) => objects('argocd').find((o) => o.kind === 'HTTPProxy' && o.metadata.name === childName)!;
      const backend = (childName: string) => (child(childName).spec.routes as { services: unknown[] }[])[0]!.services;
      expect(backend(`argocd-${slug}-application-grpc`)).toEqual([{ name: 'argocd-server', port: 443, protocol: 'h2' }]);
      expect(backend(`argocd-${slug}`)).toEqual([{ name: 'argocd-server', port: 443, protocol: 'tls' }]);
      // Argo CD keeps its TLS: nothing sets server.insecure.
      expect(JSON.stringify(objects('argocd'))).not.toContain('server.insecure');
    },
  );

  it('refuses the same host, path and header claimed twice', () => {
    let chat!: TestComponent;
    const p = testPlatform(SITES[0], (app, ctx) => (chat = new TestComponent(app, ctx, 'chat')));
    const grpc = { host: 'chat.chataik.fr', pathPrefix: '/', header: { name: 'content-type', contains: 'application/grpc' }, port: 80 };
    chat.exposeHttp({ ...grpc, backend: chat.pods('grpc', [9090]) });
    chat.exposeHttp({ ...grpc, backend: chat.pods('web', [8080]) });
    expect(errorOf(() => renderRoutes(p.ingress, p.declared(), p.certificates))).toMatch(
      /component chat, field exposeHttp\[1\]: host chat\.chataik\.fr path \/ with content-type containing application\/grpc is already claimed by another route of the same component/,
    );
  });
});

describe('PROXY protocol, Envoy side', () => {
  // No Envoy package in Debian: the proof on this side is the rendered Contour values, which must
  // agree with the edge's `send-proxy-v2` lines (checked with the real HAProxy in edge-haproxy.test.ts).
  it.each(SITES.map((s) => [s.name, s] as const))(
    'site %s: Contour requires the PROXY header on the floating address the edge targets',
    (_n, site) => {
      const rendered = renderSite(site, PLATFORM);
      const apps = rendered.components.find((c) => c.name === 'apps')!;
      const contourApp = apps.objects.find((o) => o.kind === 'Application' && o.metadata.name === 'contour') as unknown as {
        spec: { sources: { chart?: string; targetRevision: string; helm?: { valuesObject: Record<string, Record<string, unknown>> } }[] };
      };
      const chart = contourApp.spec.sources.find((s) => s.chart === 'contour')!;
      expect(chart.targetRevision).toBe('0.7.0');
      const values = chart.helm!.valuesObject;
      expect(values.contour!.extraArgs).toContain('--use-proxy-protocol');
      expect(values.envoy!.kind).toBe('daemonset');
      expect(values.envoy!.service).toEqual({
        name: 'envoy',
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        annotations: { 'metallb.io/loadBalancerIPs': site.loadBalancer.fixed.ingress, 'metallb.io/address-pool': 'floating' },
      });
    },
  );
});

describe('MetalLB', () => {
  it('gives a role its fixed address from the floating pool', () => {
    expect(fixedLoadBalancer(SITES[1]!.loadBalancer, 'database')).toEqual({
      address: SITES[1]!.loadBalancer.fixed.database,
      annotations: { 'metallb.io/loadBalancerIPs': SITES[1]!.loadBalancer.fixed.database, 'metallb.io/address-pool': 'floating' },
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
    });
  });

  it.each(SITES.map((s) => [s.name, s] as const))(
    'site %s: one non-auto-assigning pool with the IPv4 and IPv6 addresses, announced in L2',
    (_n, site) => {
      const metallb = renderSite(site, PLATFORM).components.find((c) => c.name === 'metallb')!;
      const pool = metallb.objects.find((o) => o.kind === 'IPAddressPool') as unknown as Obj;
      expect(pool.spec).toEqual({
        addresses: [...site.loadBalancer.ipv4, ...(site.loadBalancer.ipv6 ?? [])],
        autoAssign: false,
        avoidBuggyIPs: false,
      });
      const l2 = metallb.objects.find((o) => o.kind === 'L2Advertisement') as unknown as Obj;
      expect(l2.spec).toEqual({ ipAddressPools: ['floating'] });
    },
  );
});

describe('certificate issuers', () => {
  const errors = (change: (s: Record<string, unknown>) => void): string => {
    const site = withChange(SITES[0]!, change);
    try {
      validateSites([site, SITES[1]!]);
      return '';
    } catch (err) {
      if (err instanceof PlatformError) return err.message;
      throw err;
    }
  };

  it('validates the issuer fields', () => {
    expect(errors(() => undefined)).toBe('');
    expect(errors((s) => ((s.certificates as Record<string, unknown>).nameserver = 'ns1.chataik.fr'))).toMatch(
      /site cluster1 \(sites\/cluster1\.ts\), field certificates\.nameserver: expected the DNS server as host:port/,
    );
    expect(errors((s) => (s.certificates = { kind: 'http01' }))).toMatch(
      /field certificates\.kind: expected 'acme-rfc2136' or 'vault-pki'/,
    );
  });

  it('renders an ACME DNS-01 issuer whose TSIG secret comes from Vault', () => {
    const cm = renderSite(SITES[0]!, PLATFORM).components.find((c) => c.name === 'public-certificates')!;
    const issuer = cm.objects.find((o) => o.kind === 'ClusterIssuer') as unknown as Obj;
    expect(issuer.spec).toMatchObject({
      acme: {
        solvers: [
          { dns01: { rfc2136: { nameserver: '203.0.113.53:53', tsigSecretSecretRef: { name: 'cert-manager-tsig', key: 'secret' } } } },
        ],
      },
    });
    const secret = cm.objects.find((o) => o.kind === 'ExternalSecret') as unknown as Obj;
    expect(secret.metadata).toMatchObject({ name: 'cert-manager-tsig', namespace: 'cert-manager' });
    expect(JSON.stringify(cm.objects)).not.toMatch(/BEGIN|PRIVATE KEY/);
  });

  it('renders a Vault PKI issuer logging in with the site Kubernetes auth', () => {
    const site = withChange(
      SITES[0]!,
      (s) => (s.certificates = { kind: 'vault-pki', path: 'pki_int/sign/platform', role: 'cert-manager' }),
    );
    const cm = renderSite(site, { ...PLATFORM, sites: [site, SITES[1]!] }).components.find((c) => c.name === 'public-certificates')!;
    const issuer = cm.objects.find((o) => o.kind === 'ClusterIssuer') as unknown as Obj;
    expect(issuer.spec).toEqual({
      vault: {
        server: site.vault.address,
        path: 'pki_int/sign/platform',
        auth: {
          kubernetes: {
            mountPath: '/v1/auth/kubernetes-cluster1',
            role: 'cert-manager',
            serviceAccountRef: { name: 'cert-manager-vault-issuer' },
          },
        },
      },
    });
  });
});
