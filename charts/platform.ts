/**
 * The registry of platform components. Each component is built here once per site and receives the
 * components it talks to as typed objects; adding a component is one chart file and one line here.
 */
import type { Construct } from 'constructs';
import { AppsComponent } from './argocd/apps';
import { ArgoCdComponent } from './argocd/argocd';
import { BootstrapComponent } from './argocd/bootstrap';
import { BusComponent } from './bus/bus';
import { CertManagerComponent } from './cert-manager/cert-manager';
import { componentsOf, type SiteContext } from './component';
import { ContourComponent } from './contour/contour';
import { renderRoutes } from './contour/routes';
import { renderHaproxyConfig } from './edge/haproxy';
import { KedaComponent } from './keda/keda';
import { MetalLbComponent } from './metallb/metallb';
import { MetricsServerComponent, requireResourceMetrics } from './metrics-server/metrics-server';
import { NamespacesComponent } from './namespaces';
import { renderNetworkPolicies } from './network-policies/policies';
import { buildObjectStore } from './object-store';
import { StolonComponent } from './postgres/stolon';
import { ResizerComponent } from './resizer/resizer';
import { SecretsComponent } from './secrets/secrets';
import { MayastorComponent } from './storage/mayastor';
import { COMPONENT, type ComponentName } from '../model/components';
import type { PlatformModel } from '../sites';
import { PlatformError } from '../model/errors';

/** Components other components are wired to (typed references for the registry's later lines). */
export interface PlatformRefs {
  /** The site's message bus (clients: `grant`, `declareStream`, `lagTrigger`), unless the site opts out. */
  readonly bus?: BusComponent;
  /** KEDA (clients render ScaledObjects, so they sync after it), unless the site opts out. */
  readonly keda?: KedaComponent;
}

/** Components every site runs: the platform cannot do without them. */
const REQUIRED: readonly ComponentName[] = [
  COMPONENT.argocd,
  COMPONENT.externalSecrets,
  COMPONENT.metallb,
  COMPONENT.certManager,
  COMPONENT.contour,
  COMPONENT.mayastor,
  // The views: they render what the others declare.
  COMPONENT.namespaces,
  COMPONENT.apps,
  COMPONENT.bootstrap,
];

/**
 * Builds one component, unless the site opts out of it (`components.optOut`), recording anything
 * its construction throws as a finding of that component (lib/findings.ts).
 */
function registry(context: SiteContext) {
  const { site, findings } = context;
  const optOut = site.components?.optOut ?? {};
  for (const name of Object.keys(optOut).sort() as ComponentName[]) {
    if (REQUIRED.includes(name)) {
      findings.report({ field: `components.optOut.${name}`, message: `${name} cannot be left out: the platform needs it on every site` });
    }
  }
  findings.throwIfAny();
  const attributed = <T>(name: string | undefined, make: () => T): T => findings.attribute(name, make);
  return {
    attributed,
    /** A component the site may opt out of. */
    optional: <T>(name: ComponentName, make: () => T): T | undefined => (optOut[name] ? undefined : attributed(name, make)),
    /** `dependency` of `user`, which the site must then not opt out of. */
    needs: <T>(dependency: T | undefined, dependencyName: ComponentName, user: ComponentName): T => {
      if (dependency !== undefined) return dependency;
      throw new PlatformError([
        {
          site: site.name,
          component: user,
          field: `components.optOut.${dependencyName}`,
          message: `${user} needs ${dependencyName}: keep ${dependencyName}, or opt out of ${user} too`,
        },
      ]);
    },
  };
}

export function buildPlatform(app: Construct, context: SiteContext): PlatformRefs {
  const { attributed, optional, needs } = registry(context);
  const argocd = attributed(COMPONENT.argocd, () => new ArgoCdComponent(app, context));
  // Components receive what they use as typed objects (e.g. `secrets` for their VaultSecrets).
  const secrets = attributed(COMPONENT.externalSecrets, () => new SecretsComponent(app, context));
  const metallb = attributed(COMPONENT.metallb, () => new MetalLbComponent(app, context));
  const certManager = attributed(COMPONENT.certManager, () => new CertManagerComponent(app, context, { secrets }));
  const ingress = attributed(COMPONENT.contour, () => new ContourComponent(app, context, { metallb, certManager, edge: context.edge }));
  const storage = attributed(COMPONENT.mayastor, () => new MayastorComponent(app, context));
  // The site's object store (minio, s3 or aws per the site file); clients call `store.grant(...)`.
  const store = optional(COMPONENT.objectStore, () => buildObjectStore(app, context, { secrets, storage }));
  const keda = optional(COMPONENT.keda, () => new KedaComponent(app, context));
  const metricsServer = optional(COMPONENT.metricsServer, () => new MetricsServerComponent(app, context));
  const bus = optional(COMPONENT.bus, () => new BusComponent(app, context, { secrets, keda, storage, metallb, certManager }));
  optional(
    COMPONENT.postgres,
    () =>
      new StolonComponent(app, context, {
        secrets,
        storage,
        metallb,
        certManager,
        backupStore: needs(store, COMPONENT.objectStore, COMPONENT.postgres),
      }),
  );
  optional(
    COMPONENT.resizer,
    () =>
      new ResizerComponent(app, context, {
        bus: needs(bus, COMPONENT.bus, COMPONENT.resizer),
        store: needs(store, COMPONENT.objectStore, COMPONENT.resizer),
        autoscaler: needs(keda, COMPONENT.keda, COMPONENT.resizer),
      }),
  );

  // Views over every component: built last so they see all of them.
  attributed(undefined, () => requireResourceMetrics(context.site, componentsOf(app), metricsServer));
  attributed(COMPONENT.contour, () => renderRoutes(ingress, componentsOf(app)));
  attributed(undefined, () => renderNetworkPolicies(componentsOf(app), { site: context.site, ingress: ingress.envoy }));
  attributed(COMPONENT.namespaces, () => new NamespacesComponent(app, context, componentsOf(app)));
  const apps = attributed(
    COMPONENT.apps,
    () =>
      new AppsComponent(
        app,
        context,
        componentsOf(app).map((c) => c.describe()),
      ),
  );
  // After the app-of-apps, so it is no child Application: applied once by hand.
  attributed(COMPONENT.bootstrap, () => new BootstrapComponent(app, context, argocd, apps));
  return { bus, keda };
}

/**
 * Files rendered once for all sites (rendered only when every site is rendered). Paths are
 * relative to gitops/.
 */
export function globalFiles({ sites, edge }: PlatformModel): Map<string, string> {
  const lines = [
    '# gitops/',
    '',
    'Rendered by `npm run synth` from the TypeScript model in this repository: do not edit by hand.',
    '',
    ...sites.map(
      (s) =>
        `- \`${s.name}/\`: site ${s.name} (${s.location}); bootstrap with \`kubectl apply --server-side -k gitops/${s.name}/bootstrap\`, see the README.`,
    ),
    `- \`edge/haproxy.cfg\`: the edge proxy ${edge.name} in front of every site (a VM, not Kubernetes), see the README.`,
    '',
  ];
  return new Map([
    ['README.md', lines.join('\n')],
    ['edge/haproxy.cfg', renderHaproxyConfig(edge, sites)],
  ]);
}
