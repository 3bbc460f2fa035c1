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
import { NamespacesComponent } from './namespaces';
import { renderNetworkPolicies } from './network-policies/policies';
import { buildObjectStore } from './object-store';
import { StolonComponent } from './postgres/stolon';
import { ResizerComponent } from './resizer/resizer';
import { SecretsComponent } from './secrets/secrets';
import { MayastorComponent } from './storage/mayastor';
import type { PlatformModel } from '../sites';

/** Components other components are wired to (typed references for the registry's later lines). */
export interface PlatformRefs {
  /** The site's message bus (clients: `grant`, `declareStream`, `lagTrigger`). */
  readonly bus: BusComponent;
  /** KEDA (clients render ScaledObjects, so they sync after it). */
  readonly keda: KedaComponent;
}

export function buildPlatform(app: Construct, context: SiteContext): PlatformRefs {
  const argocd = new ArgoCdComponent(app, context);
  // Components receive what they use as typed objects (e.g. `secrets` for their VaultSecrets).
  const secrets = new SecretsComponent(app, context);
  const metallb = new MetalLbComponent(app, context);
  const certManager = new CertManagerComponent(app, context, { secrets });
  const ingress = new ContourComponent(app, context, { metallb, certManager, edge: context.edge });
  const storage = new MayastorComponent(app, context);
  // The site's object store (minio, s3 or aws per the site file); clients call `store.grant(...)`.
  const store = buildObjectStore(app, context, { secrets, storage });
  const keda = new KedaComponent(app, context);
  const bus = new BusComponent(app, context, { secrets, keda, storage, metallb });
  new StolonComponent(app, context, { secrets, storage, metallb, backupStore: store });
  new ResizerComponent(app, context, { bus, store, autoscaler: keda });

  // Views over every component: built last so they see all of them.
  renderRoutes(ingress, componentsOf(app));
  renderNetworkPolicies(componentsOf(app), { site: context.site, ingress: ingress.envoy });
  new NamespacesComponent(app, context, componentsOf(app));
  new AppsComponent(app, context, componentsOf(app));
  // After the app-of-apps, so it is no child Application: applied once by hand.
  new BootstrapComponent(app, context, argocd);
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
