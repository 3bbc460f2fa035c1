/**
 * Least-privilege AppProjects: the platform project of each site lists exactly the kinds its
 * components render and their upstream releases create, never a wildcard; synth refuses a
 * component whose objects its project would not let Argo CD sync.
 */
import { ApiObject, type ApiObjectProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../charts/component';
import type { SiteContext } from '../charts/context';
import { renderSite, type RenderedSite } from '../pipeline/render';
import { PLATFORM, SITES } from '../sites';
import { refusedSynthMessage } from './synth-refusal';

const rendered: RenderedSite[] = SITES.map((s) => renderSite(s, PLATFORM));
type GroupKind = { group: string; kind: string };

function project(site: RenderedSite, name: string): Record<string, GroupKind[] | { namespace: string }[]> {
  const o = site.components.find((c) => c.name === 'apps')!.objects.find((x) => x.kind === 'AppProject' && x.metadata.name === name)!;
  return o.spec as Record<string, GroupKind[]>;
}
const keys = (l: readonly GroupKind[] | undefined) => (l ?? []).map((k) => `${k.group}/${k.kind}`);

describe.each(rendered.map((r) => [r.site.name, r] as const))('the platform AppProject of %s', (_name, site) => {
  const spec = project(site, 'platform');
  const cluster = keys(spec.clusterResourceWhitelist as GroupKind[]);
  const namespaced = keys(spec.namespaceResourceWhitelist as GroupKind[]);

  it('names every kind (no wildcard) and lets no child create Applications or projects', () => {
    expect([...cluster, ...namespaced].filter((k) => k.includes('*'))).toEqual([]);
    expect(namespaced).not.toContain('argoproj.io/Application');
    expect(keys(spec.namespaceResourceBlacklist as GroupKind[])).toEqual(['argoproj.io/Application', 'argoproj.io/AppProject']);
  });

  it("allows what the components render and what their charts' release tables say they create, and nothing else", () => {
    const expected = new Set<string>();
    for (const c of site.components.filter((x) => !['apps', 'bootstrap'].includes(x.name))) {
      for (const o of c.objects) expected.add(`${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`);
      for (const r of c.upstreamReleases)
        for (const byGroup of [r.creates.cluster, r.creates.namespaced])
          for (const [group, kinds] of Object.entries(byGroup)) for (const kind of kinds) expected.add(`${group}/${kind}`);
    }
    expect([...cluster, ...namespaced].sort()).toEqual([...expected].sort());
    // Examples each way: a chart's own cluster kind, one we render, one only a chart creates.
    expect(cluster).toEqual(
      expect.arrayContaining(['storage.k8s.io/StorageClass', 'cert-manager.io/ClusterIssuer', 'apiregistration.k8s.io/APIService']),
    );
    expect(namespaced).toEqual(expect.arrayContaining(['external-secrets.io/ExternalSecret', 'batch/Job']));
    expect(cluster).not.toContain('admissionregistration.k8s.io/ValidatingAdmissionPolicy');
  });

  it('sends Applications only to the namespaces the components declare', () => {
    const destinations = (spec.destinations as { namespace: string }[]).map((d) => d.namespace);
    expect(destinations).toEqual(expect.arrayContaining(['argocd', 'external-secrets', 'postgres']));
    expect(destinations).not.toContain('*');
    expect(destinations).not.toContain('default');
  });
});

/** A component rendering the objects the test chooses. */
class Stray extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext, objects: readonly ApiObjectProps[]) {
    super(scope, { name: 'stray', context, namespace: 'stray' });
    this.ownNamespace({ name: 'stray', podSecurity: 'restricted' });
    objects.forEach((object, i) => new ApiObject(this, `object-${i}`, object));
  }
}

const OUTSIDE = [
  [
    'a child Application (only the root creates them)',
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'sneaky', namespace: 'stray' }, spec: {} },
    /component stray, object Application\/stray\/sneaky, field kind: argoproj.io\/Application is outside AppProject platform's namespaceResourceWhitelist/,
  ],
  [
    'an object in a namespace no component declares',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere', namespace: 'default' }, data: {} },
    /component stray, object ConfigMap\/default\/elsewhere, field metadata.namespace: namespace default is not a destination of AppProject platform/,
  ],
] as const;

describe('synth refuses an object outside its project', () => {
  // One refused synth (both sites rendered, checked, then refused) holding every case: each case
  // is its own finding, named in the one error.
  let message: string;
  beforeAll(() => {
    message = refusedSynthMessage(
      (scope, context) =>
        new Stray(
          scope,
          context,
          OUTSIDE.map(([, object]) => object),
        ),
    );
  });

  it.each(OUTSIDE)('%s, leaving gitops/ untouched', (_what, _object, finding) => {
    expect(message).toMatch(finding);
  });
});
