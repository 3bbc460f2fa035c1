/**
 * The sync-order check (pipeline/validate/sync-order.ts): the committed sites pass, and each way a
 * first sync on an empty cluster would not converge is built on top of a rendered site (the
 * rendered objects changed as the old code, or a careless change, would render them) and refused,
 * with the site, the Application, the object and the wave named.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARGO_ANNOTATIONS } from '../charts/lib/sync-order';
import { formatFinding } from '../model/errors';
import { renderSite, type KubeObject, type RenderedComponent, type RenderedSite } from '../pipeline/render';
import { checkSyncOrder } from '../pipeline/validate/sync-order';
import { PLATFORM, SITES } from '../sites';

const rendered = new Map(SITES.map((s) => [s.name, renderSite(s, PLATFORM)]));
const site = (name: string): RenderedSite => rendered.get(name)!;
const messages = (r: RenderedSite): string[] => checkSyncOrder(r).map(formatFinding);

/** A copy of `r` with the objects of `component` changed by `change` (each object deep-copied first). */
function altered(r: RenderedSite, component: string, change: (objects: KubeObject[]) => KubeObject[]): RenderedSite {
  return {
    ...r,
    components: r.components.map((c) => (c.name === component ? { ...c, objects: change(c.objects.map((o) => structuredClone(o))) } : c)),
  };
}

type Mutable = Record<string, unknown> & { metadata: Record<string, unknown> & { annotations?: Record<string, string> } };
const edit = (o: KubeObject): Mutable => o as unknown as Mutable;
const named = (kind: string, name: string) => (o: KubeObject) => o.kind === kind && o.metadata.name === name;

/** Sets (or, with undefined, removes) an annotation on the matching objects of a component. */
function annotate(r: RenderedSite, component: string, match: (o: KubeObject) => boolean, key: string, value?: string): RenderedSite {
  return altered(r, component, (objects) => {
    for (const o of objects.filter(match)) {
      const others = Object.entries(edit(o).metadata.annotations ?? {}).filter(([k]) => k !== key);
      edit(o).metadata.annotations = Object.fromEntries(value === undefined ? others : [...others, [key, value]]);
    }
    return objects;
  });
}

const setWave = (r: RenderedSite, app: string, wave: number) =>
  annotate(r, 'apps', named('Application', app), ARGO_ANNOTATIONS.wave, String(wave));

describe('sync order of the committed sites', () => {
  it.each(SITES.map((s) => s.name))('%s converges on an empty cluster: no finding', (name) => {
    expect(messages(site(name))).toEqual([]);
  });

  it('puts the standby site database in the last wave, with the root itself', () => {
    const waves = (r: RenderedSite) =>
      new Map(
        r.components
          .find((c) => c.name === 'apps')!
          .objects.filter((o) => o.kind === 'Application')
          .map((o) => [o.metadata.name, Number(o.metadata.annotations![ARGO_ANNOTATIONS.wave as never])]),
      );
    const standby = waves(site('cluster1'));
    const last = Math.max(...standby.values());
    expect(standby.get('postgres')).toBe(last);
    expect(standby.get('root')).toBe(last);
    // The primary's database gates what depends on it as before: it is no last-wave component.
    const primary = waves(site('cluster2'));
    expect(primary.get('postgres')).toBeLessThan(Math.max(...primary.values()));
  });
});

it("README's table of the first sync is what the committed sites render", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### The first sync, proven at synth'));
  const rows = section
    .split('\n')
    .filter((l) => /^\| -?\d+ /.test(l))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  SITES.forEach((s, column) => {
    const byWave = new Map<number, string[]>();
    for (const o of site(s.name).components.find((c) => c.name === 'apps')!.objects) {
      const wave = Number(o.metadata.annotations![ARGO_ANNOTATIONS.wave as never]);
      byWave.set(wave, [...(byWave.get(wave) ?? []), o.metadata.name].sort());
    }
    const rendered = [...byWave].sort(([a], [b]) => a - b).map(([wave, names]) => [String(wave), names]);
    const stated = rows.map((r) => [
      r[0],
      r[column + 1]!.replace(/projects |`/g, '')
        .split(', ')
        .sort(),
    ]);
    expect(stated).toEqual(rendered);
  });
});

describe('the sync-order check refuses', () => {
  it('DiskPools applied with the chart whose operator creates their CRD (no wave, as before)', () => {
    const r = annotate(site('cluster1'), 'mayastor', (o) => o.kind === 'DiskPool', ARGO_ANNOTATIONS.wave);
    expect(messages(r)).toContainEqual(
      expect.stringMatching(
        /^site cluster1 \(sites\/cluster1\.ts\), component mayastor, object DiskPool\/mayastor\/pool-chataalk-balzac: DiskPool is applied in wave 0 of Application mayastor \(itself wave 1 of root\), but its CRD is created at run time by mayastor-operator-diskpool, which runs once wave 0 of Application mayastor .* is healthy/,
      ),
    );
  });

  it('an operator-made CRD in the same Application without SkipDryRunOnMissingResource', () => {
    const r = altered(site('cluster1'), 'apps', (objects) => {
      const app = edit(objects.find(named('Application', 'mayastor'))!);
      const policy = (app.spec as { syncPolicy: { syncOptions: string[] } }).syncPolicy;
      policy.syncOptions = policy.syncOptions.filter((o) => !o.startsWith('SkipDryRun'));
      return objects;
    });
    expect(messages(r)).toContainEqual(
      expect.stringMatching(/DiskPool\/mayastor\/pool-chataalk-zola: .*dry run.*SkipDryRunOnMissingResource=true/),
    );
  });

  it('custom resources of an Application synced in the same wave as the chart bringing their CRD', () => {
    // contour (HTTPProxy CRD) moved into the wave of argocd and resizer, which hold HTTPProxies.
    const found = messages(setWave(site('cluster2'), 'contour', 4));
    expect(found).toContainEqual(
      expect.stringMatching(
        /component resizer, object HTTPProxy\/resizer\/resizer-images-chataik-fr: HTTPProxy is applied in wave 0 of Application resizer \(itself wave 4 of root\), but its CRD comes with wave 0 of Application contour \(itself wave 4 of root\)/,
      ),
    );
  });

  it('a PreSync hook using a kind its own chart brings, before the chart is applied', () => {
    const r = annotate(site('cluster2'), 'cert-manager', named('ClusterIssuer', 'platform-internal'), ARGO_ANNOTATIONS.hook, 'PreSync');
    const found = messages(r);
    expect(found).toContainEqual(
      expect.stringMatching(
        /object ClusterIssuer\/platform-internal: ClusterIssuer is applied in PreSync hook wave 1 of Application cert-manager \(itself wave 2 of root\), but its CRD comes with wave 0 of Application cert-manager/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        /object ClusterIssuer\/platform-internal: .*the webhook cert-manager-webhook of cert-manager \(failurePolicy Fail/,
      ),
    );
  });

  it('a custom resource no component declares the CRD of', () => {
    const r = altered(site('cluster1'), 'bus', (objects) => [
      ...objects,
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'bus', namespace: 'bus' } },
    ]);
    expect(messages(r)).toContainEqual(
      expect.stringMatching(/object Widget\/bus\/bus: no component declares the CRD of Widget \(example\.com\)/),
    );
  });

  it('the ClusterSecretStore beside the ESO webhook that validates it (no wave, as before)', () => {
    const r = annotate(site('cluster2'), 'external-secrets', (o) => o.kind === 'ClusterSecretStore', ARGO_ANNOTATIONS.wave);
    expect(messages(r)).toContainEqual(
      'site cluster2 (sites/cluster2.ts), component external-secrets, object ClusterSecretStore/vault: ClusterSecretStore is applied in wave 0 of Application external-secrets (itself wave 1 of root), but the webhook secretstore-validate of external-secrets (failurePolicy Fail, served by external-secrets-webhook and external-secrets-cert-controller) answers only once wave 0 of Application external-secrets (itself wave 1 of root) is healthy: the API server refuses it until then; apply it in a later wave',
    );
  });

  it('an HPA on CPU synced with metrics-server rather than after it', () => {
    const found = messages(setWave(site('cluster1'), 'resizer', 1));
    expect(found).toContainEqual(
      expect.stringMatching(
        /component resizer, object HorizontalPodAutoscaler\/resizer\/resizer-api: HorizontalPodAutoscaler reads metrics\.k8s\.io, served by metrics-server once wave 0 of Application metrics-server \(itself wave 1 of root\) is healthy, but is applied in wave 0 of Application resizer \(itself wave 1 of root\)/,
      ),
    );
  });

  it('the argocd Application holding the root while the root holds argocd (the old layout)', () => {
    const root = site('cluster1')
      .components.find((c) => c.name === 'apps')!
      .objects.find(named('Application', 'root'))!;
    const r = altered(site('cluster1'), 'argocd', (objects) => [...objects, structuredClone(root)]);
    const cycles = messages(r).filter((m) => m.includes('health cycle'));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatch(
      /^site cluster1 \(sites\/cluster1\.ts\), component (root|argocd), object Application\/argocd\/(root|argocd): health cycle: /,
    );
    expect(cycles[0]).toContain('root holds Application argocd (wave 4)');
    expect(cycles[0]).toContain('argocd holds Application root');
    expect(cycles[0]).toContain('only the root may hold Applications');
  });

  it('a self-managed root whose own object is not in its last wave', () => {
    const found = messages(annotate(site('cluster1'), 'apps', named('Application', 'root'), ARGO_ANNOTATIONS.wave, '0'));
    expect(found).toContainEqual(
      expect.stringMatching(
        /component root, object Application\/argocd\/root: Application root holds its own object in wave 0, before its last wave 4/,
      ),
    );
  });

  it('waves between Applications without the Application health check', () => {
    const strip = (objects: KubeObject[]) => {
      for (const o of objects.filter(named('ConfigMap', 'argocd-cm'))) edit(o).data = {};
      return objects;
    };
    const r = altered(altered(site('cluster2'), 'argocd', strip), 'bootstrap', strip);
    expect(messages(r)).toContainEqual(
      expect.stringMatching(/component root, .*argocd-cm lacks resource\.customizations\.health\.argoproj\.io_Application/),
    );
  });

  it('the cascading-delete finalizer on the argocd Application (as before), and on CRDs not kept', () => {
    const withFinalizer = (app: string) =>
      altered(site('cluster2'), 'apps', (objects) => {
        edit(objects.find(named('Application', app))!).metadata.finalizers = ['resources-finalizer.argocd.argoproj.io'];
        return objects;
      });
    expect(messages(withFinalizer('argocd'))).toContainEqual(
      expect.stringMatching(
        /component argocd, object Application\/argocd\/argocd: Application argocd carries the cascading-delete finalizer: deleting it .* deletes the CRDs of argoproj\.io and with them every object of their kinds: AppProject\/argocd\/platform \(root\), Application\/argocd\/argocd \(root\).* and 16 more/,
      ),
    );
    expect(messages(withFinalizer('contour'))).toContainEqual(
      expect.stringMatching(
        /component contour, .*the CRDs of projectcontour\.io .*HTTPProxy\/argocd\/argocd-argocd-chataalk-vip-chataik-fr/,
      ),
    );
    expect(messages(withFinalizer('namespaces'))).toContainEqual(
      expect.stringMatching(
        /component namespaces, .*deletes the namespaces argocd, .*, bus, postgres, resizer, monitoring, node-exporter and everything in them/,
      ),
    );
  });

  it('the root in a project that does not exist before it, or in default', () => {
    const noProject = altered(site('cluster1'), 'bootstrap', (objects) => objects.filter((o) => o.kind !== 'AppProject'));
    expect(messages(noProject)).toContainEqual(
      expect.stringMatching(
        /component root, object Application\/argocd\/root: Application root .* is in the project platform-root, which does not exist before it syncs/,
      ),
    );
    const inDefault = altered(site('cluster1'), 'apps', (objects) => {
      (edit(objects.find(named('Application', 'root'))!).spec as { project: string }).project = 'default';
      return objects;
    });
    expect(messages(inDefault)).toContainEqual(expect.stringMatching(/Application root .* is in the project default/));
  });

  it("the standby's database in a wave before others (as before): it waits for the other site", () => {
    expect(messages(setWave(site('cluster1'), 'postgres', 3))).toEqual([
      'site cluster1 (sites/cluster1.ts), component postgres, object Application/argocd/postgres: Application postgres is in wave 3 of root, and a standby keeper becomes ready only once pg_basebackup from the primary site cluster2 has completed; while that site is unreachable, root waits for it and never syncs argocd (wave 4), monitoring (wave 4), public-certificates (wave 4), reloader (wave 4), resizer (wave 4): it must be in a step nothing waits for (its component in the last wave, with nothing depending on it)',
    ]);
  });
});

describe('a component nothing needs (Reloader)', () => {
  it('refuses it in a wave before the last: the root would wait for it', () => {
    expect(messages(setWave(site('cluster2'), 'reloader', 1))).toEqual([
      expect.stringMatching(
        /^site cluster2 \(sites\/cluster2\.ts\), component reloader, object Application\/argocd\/reloader: Application reloader is in wave 1 of root, and nothing needs it to start \(.*\); while it is not healthy, root waits for it and never syncs cert-manager \(wave 2\), .*resizer \(wave 4\): it must be in a step nothing waits for \(its component in the last wave/,
      ),
    ]);
  });
});

describe('readiness waiting on a service outside the site', () => {
  const external = (r: RenderedSite, name: string) => r.components.find((c) => c.name === name)!.syncOrder.externalDependencies ?? [];
  const withSyncOrder = (r: RenderedSite, name: string, change: (s: RenderedComponent['syncOrder']) => RenderedComponent['syncOrder']) => ({
    ...r,
    components: r.components.map((c) => (c.name === name ? { ...c, syncOrder: change(c.syncOrder) } : c)),
  });

  it('is declared by the public certificates (ACME) and, unavoidable, by the secret store (Vault)', () => {
    for (const s of SITES) {
      const r = site(s.name);
      expect(external(r, 'public-certificates')).toEqual([
        expect.objectContaining({
          service: expect.stringMatching(/^the ACME CA https:\/\/acme-v02\.api\.letsencrypt\.org\/directory and the DNS server /),
        }),
      ]);
      const unavoidable = r.components.flatMap((c) =>
        external(r, c.name)
          .filter((d) => d.unavoidable)
          .map((d) => `${c.name}: ${d.service}`),
      );
      expect(unavoidable).toEqual(['external-secrets: Vault at https://vault.chataik.fr:8200']);
    }
  });

  it('refuses the old layout: the ACME issuer in cert-manager (wave 2), the public Certificates in contour (wave 3)', () => {
    const now = site('cluster2');
    const moved = now.components.find((c) => c.name === 'public-certificates')!;
    const issuer = (o: KubeObject) => o.kind === 'ClusterIssuer' || o.kind === 'ExternalSecret';
    let old = altered(now, 'cert-manager', (objects) => [...objects, ...moved.objects.filter(issuer).map((o) => structuredClone(o))]);
    old = annotate(old, 'cert-manager', named('ClusterIssuer', 'platform'), ARGO_ANNOTATIONS.wave, '1');
    old = altered(old, 'contour', (objects) => [
      ...objects,
      ...moved.objects.filter((o) => o.kind === 'Certificate').map((o) => structuredClone(o)),
    ]);
    old = altered(old, 'apps', (objects) => objects.filter((o) => !named('Application', 'public-certificates')(o)));
    old = { ...withSyncOrder(old, 'cert-manager', (s) => ({ ...s, externalDependencies: moved.syncOrder.externalDependencies })) };
    old = { ...old, components: old.components.filter((c) => c.name !== 'public-certificates') };
    old = setWave(old, 'contour', 3);
    const found = messages(old);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^site cluster2 \(sites\/cluster2\.ts\), component cert-manager, object Application\/argocd\/cert-manager: Application cert-manager is in wave 2 of root, and its readiness waits on the ACME CA .*: the ClusterIssuer is Ready only once .*; while that service is unreachable or refuses, root waits for it and never syncs bus \(wave 3, depends on it\), contour \(wave 3\), postgres \(wave 3, depends on it\), argocd \(wave 4\), monitoring \(wave 4\), reloader \(wave 4\), resizer \(wave 4, depends on it\): it must be in a step/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        /component contour, object Certificate\/projectcontour\/images-chataik-fr: Certificate is applied in wave 0 of Application contour \(itself wave 3 of root\), and it is issued by platform, and its readiness waits on the ACME CA .*root waits for it and never syncs argocd \(wave 4\), monitoring \(wave 4\), reloader \(wave 4\), resizer \(wave 4\)/,
      ),
    );
  });

  it('refuses the public certificates in an earlier wave, and the secret store waiting on Vault unless unavoidable', () => {
    expect(messages(setWave(site('cluster1'), 'public-certificates', 3))).toEqual([
      expect.stringMatching(
        /^site cluster1 \(sites\/cluster1\.ts\), component public-certificates, object Application\/argocd\/public-certificates: Application public-certificates is in wave 3 of root, and its readiness waits on the ACME CA .* never syncs argocd \(wave 4\), monitoring \(wave 4\), postgres \(wave 4\), reloader \(wave 4\), resizer \(wave 4\)/,
      ),
    ]);
    const avoidable = withSyncOrder(site('cluster2'), 'external-secrets', (s) => ({
      ...s,
      externalDependencies: (s.externalDependencies ?? []).map((d) => ({ service: d.service, reason: d.reason })),
    }));
    expect(messages(avoidable)).toEqual([
      expect.stringMatching(
        /component external-secrets, object Application\/argocd\/external-secrets: Application external-secrets is in wave 1 of root, and its readiness waits on Vault at https:\/\/vault\.chataik\.fr:8200: the ClusterSecretStore is Ready only once Vault accepts/,
      ),
    ]);
  });

  it("refuses, from the render alone, a route's HTTPProxy orphaned until the certificate, or a root without includes, in a waited step", () => {
    // argocd before the last wave, without the declaration its routes imply: the orphaned child proxies are found.
    const early = setWave(
      withSyncOrder(site('cluster2'), 'argocd', (s) => ({ ...s, externalDependencies: [] })),
      'argocd',
      3,
    );
    expect(messages(early)).toEqual([
      expect.stringMatching(
        /component argocd, object HTTPProxy\/argocd\/argocd-argocd-chataalk-vip-chataik-fr-application-grpc: HTTPProxy is applied in wave 0 of Application argocd \(itself wave 3 of root\), and the root HTTPProxy\/projectcontour\/argocd-chataalk-vip-chataik-fr including it is invalid until Certificate Certificate\/projectcontour\/argocd-chataalk-vip-chataik-fr \(wave 0 of Application public-certificates \(itself wave 4 of root\)\) is issued: Contour marks it orphaned, Argo CD Degraded; .*never syncs monitoring \(wave 4\)/,
      ),
      expect.stringMatching(/object HTTPProxy\/argocd\/argocd-argocd-chataalk-vip-chataik-fr: .*orphaned/),
    ]);
    // A root routing by itself (no includes) is Degraded while its Secret is missing: it may not stay in contour.
    const direct = altered(site('cluster2'), 'contour', (objects) => {
      const root = edit(objects.find(named('HTTPProxy', 'images-chataik-fr'))!);
      const spec = root.spec as Record<string, unknown>;
      delete spec.includes;
      spec.routes = [{ conditions: [{ prefix: '/' }], services: [{ name: 'resizer-api', port: 80 }] }];
      return objects;
    });
    expect(messages(direct)).toEqual([
      expect.stringMatching(
        /component contour, object HTTPProxy\/projectcontour\/images-chataik-fr: HTTPProxy is applied in wave 0 of Application contour \(itself wave 2 of root\), and its TLS Secret comes from Certificate Certificate\/projectcontour\/images-chataik-fr .*never syncs bus \(wave 3\), postgres \(wave 3\), argocd \(wave 4\)/,
      ),
    ]);
  });
});
