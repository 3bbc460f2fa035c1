/**
 * The registry of platform components: one builder per piece, which receives the components it is
 * wired to as typed objects (`use`); adding a component is one chart file, its name in
 * model/components.ts and one line here. Once every piece is built, the views read what they all
 * declared and render the namespaces, the routes' roots, the NetworkPolicies, the app-of-apps and
 * the bootstrap; the order the pieces were built in changes nothing in the render.
 */
import type { Construct } from 'constructs';
import { COMPONENT, COMPONENT_NAMES, type ComponentName } from '../model/components';
import type { PlatformModel } from '../sites';
import { AppsComponent } from './argocd/apps';
import { ArgoCdComponent } from './argocd/argocd';
import { BootstrapComponent } from './argocd/bootstrap';
import { renderedKinds } from './argocd/project-kinds';
import { BusComponent } from './bus/bus';
import { CertManagerComponent } from './cert-manager/cert-manager';
import { PublicCertificatesComponent } from './cert-manager/public-certificates';
import { type PlatformComponent } from './component';
import { componentsOf } from './registry';
import type { SiteContext } from './context';
import { ContourComponent } from './contour/contour';
import { renderRoutes } from './contour/routes';
import { renderHaproxyConfig } from './edge/haproxy';
import { KedaComponent } from './keda/keda';
import type { DeclaredComponent } from './lib/declared';
import { withImpliedDependencies } from './lib/sync-waves';
import { MetalLbComponent } from './metallb/metallb';
import { MetricsServerComponent, requireResourceMetrics } from './metrics-server/metrics-server';
import { MonitoringComponent } from './monitoring/monitoring';
import { renderMonitoring } from './monitoring/scrapes';
import { NamespacesComponent } from './namespaces';
import { renderNetworkPolicies } from './network-policies/policies';
import { buildObjectStore } from './object-store';
import type { ObjectStoreComponent } from './object-store/common';
import { StolonComponent } from './postgres/stolon';
import { Registry, type Builders } from './registry';
import { ReloaderComponent } from './reloader/reloader';
import { ResizerComponent } from './resizer/resizer';
import { SecretsComponent } from './secrets/secrets';
import { MayastorComponent } from './storage/mayastor';

/** The pieces of the platform by name: what a builder may `use`. */
export interface PlatformPieces {
  readonly [COMPONENT.argocd]: ArgoCdComponent;
  readonly [COMPONENT.externalSecrets]: SecretsComponent;
  readonly [COMPONENT.reloader]: ReloaderComponent;
  readonly [COMPONENT.metallb]: MetalLbComponent;
  readonly [COMPONENT.certManager]: CertManagerComponent;
  readonly [COMPONENT.publicCertificates]: PublicCertificatesComponent;
  readonly [COMPONENT.contour]: ContourComponent;
  readonly [COMPONENT.mayastor]: MayastorComponent;
  readonly [COMPONENT.objectStore]: ObjectStoreComponent;
  readonly [COMPONENT.keda]: KedaComponent;
  readonly [COMPONENT.metricsServer]: MetricsServerComponent;
  readonly [COMPONENT.bus]: BusComponent;
  readonly [COMPONENT.postgres]: StolonComponent;
  readonly [COMPONENT.resizer]: ResizerComponent;
  readonly [COMPONENT.monitoring]: MonitoringComponent;
}

/** The name of a piece (a component that is not a view). */
export type PieceName = keyof PlatformPieces;

const BUILDERS: Builders<PlatformPieces> = {
  [COMPONENT.argocd]: ({ scope, context, use }) => new ArgoCdComponent(scope, context, { secrets: use(COMPONENT.externalSecrets) }),
  // Components receive what they use as typed objects (e.g. `secrets` for their VaultSecrets).
  [COMPONENT.externalSecrets]: ({ scope, context }) => new SecretsComponent(scope, context),
  // Restarts the workloads whose Vault-backed Secret changed (their annotations name them).
  [COMPONENT.reloader]: ({ scope, context }) => new ReloaderComponent(scope, context),
  [COMPONENT.metallb]: ({ scope, context }) => new MetalLbComponent(scope, context),
  [COMPONENT.certManager]: ({ scope, context, use }) =>
    new CertManagerComponent(scope, context, { secrets: use(COMPONENT.externalSecrets) }),
  // The public issuer and Certificates wait on the ACME CA (or Vault PKI): an Application synced last.
  [COMPONENT.publicCertificates]: ({ scope, context, use }) =>
    new PublicCertificatesComponent(scope, context, { secrets: use(COMPONENT.externalSecrets), certManager: use(COMPONENT.certManager) }),
  [COMPONENT.contour]: ({ scope, context, use }) =>
    new ContourComponent(scope, context, { metallb: use(COMPONENT.metallb), edge: context.edge }),
  [COMPONENT.mayastor]: ({ scope, context }) => new MayastorComponent(scope, context),
  // The site's object store (minio, s3 or aws per the site file); clients call `store.grant(...)`.
  [COMPONENT.objectStore]: ({ scope, context, use }) =>
    buildObjectStore(scope, context, { secrets: use(COMPONENT.externalSecrets), storage: use(COMPONENT.mayastor) }),
  [COMPONENT.keda]: ({ scope, context }) => new KedaComponent(scope, context),
  [COMPONENT.metricsServer]: ({ scope, context }) => new MetricsServerComponent(scope, context),
  [COMPONENT.bus]: ({ scope, context, use, useIfPresent }) =>
    new BusComponent(scope, context, {
      secrets: use(COMPONENT.externalSecrets),
      keda: useIfPresent(COMPONENT.keda),
      storage: use(COMPONENT.mayastor),
      metallb: use(COMPONENT.metallb),
      certManager: use(COMPONENT.certManager),
    }),
  [COMPONENT.postgres]: ({ scope, context, use }) =>
    new StolonComponent(scope, context, {
      secrets: use(COMPONENT.externalSecrets),
      storage: use(COMPONENT.mayastor),
      metallb: use(COMPONENT.metallb),
      certManager: use(COMPONENT.certManager),
      backupStore: use(COMPONENT.objectStore),
    }),
  [COMPONENT.resizer]: ({ scope, context, use }) =>
    new ResizerComponent(scope, context, { bus: use(COMPONENT.bus), store: use(COMPONENT.objectStore), autoscaler: use(COMPONENT.keda) }),
  [COMPONENT.monitoring]: ({ scope, context, use }) =>
    new MonitoringComponent(scope, context, { secrets: use(COMPONENT.externalSecrets), storage: use(COMPONENT.mayastor) }),
};

/** The pieces in the registry's order (model/components.ts), the order they are built in by default. */
export const PIECES: readonly PieceName[] = COMPONENT_NAMES.filter((name): name is PieceName => name in BUILDERS);

/** Components every site runs: the platform cannot do without them. */
const REQUIRED: readonly ComponentName[] = [
  COMPONENT.argocd,
  COMPONENT.externalSecrets,
  // Without it a rotated credential reaches no running pod (docs/runbooks/rotate-a-credential.md).
  COMPONENT.reloader,
  COMPONENT.metallb,
  COMPONENT.certManager,
  COMPONENT.publicCertificates,
  COMPONENT.contour,
  COMPONENT.mayastor,
  // The views: they render what the others declare.
  COMPONENT.namespaces,
  COMPONENT.apps,
  COMPONENT.bootstrap,
];

/** Adds components to a site's render once the pieces are built, before the views read them all. */
export type PlatformExtension = (scope: Construct, context: SiteContext, pieces: Partial<PlatformPieces>) => void;

/** How to build a site's platform. */
export interface PlatformOptions {
  /**
   * The order to build the pieces in (each still builds what it uses first); the render is the
   * same whatever it is.
   * @default PIECES
   */
  readonly order?: readonly PieceName[];
  /**
   * Components added next to the pieces (tests render extra components through it).
   * @default none
   */
  readonly extend?: PlatformExtension;
}

/** A component of the built platform, with what it declared (dependencies the views imply included). */
export interface BuiltComponent {
  readonly chart: PlatformComponent;
  readonly declared: DeclaredComponent;
}

/** A site's built platform. */
export interface BuiltPlatform {
  /** The pieces, by name (absent: the site opts out). */
  readonly pieces: Partial<PlatformPieces>;
  /** Every component, in the registry's order. */
  readonly components: readonly BuiltComponent[];
}

/**
 * Builds the site's pieces, in `order` (each first builds what it uses), without the views: what
 * they declare may still grow (buildPlatform seals it before the views read it).
 */
export function buildPieces(scope: Construct, context: SiteContext, order: readonly PieceName[] = PIECES): Partial<PlatformPieces> {
  const registry = new Registry(BUILDERS, scope, context, REQUIRED);
  // Each piece once, whatever the order asked for: build() skips what is built or opted out.
  for (const name of [...order, ...PIECES]) registry.build(name);
  return registry.components;
}

/** Builds the site's pieces, then the views over what they declare. */
export function buildPlatform(scope: Construct, context: SiteContext, options: PlatformOptions = {}): BuiltPlatform {
  const { findings, site } = context;
  const pieces = buildPieces(scope, context, options.order);
  if (options.extend) findings.attribute(undefined, () => options.extend!(scope, context, pieces));

  // Every piece is built: what they declared is final, and the views below only read it.
  const built = componentsOf(scope);
  for (const c of built) c.seal();
  const declared = built.map((c) => c.describe());
  const ingress = pieces[COMPONENT.contour]!;
  findings.attribute(undefined, () => requireResourceMetrics(site, declared, pieces[COMPONENT.metricsServer] !== undefined));
  findings.attribute(COMPONENT.contour, () => renderRoutes(ingress, declared, pieces[COMPONENT.publicCertificates]!));
  const monitoring = pieces[COMPONENT.monitoring];
  if (monitoring) findings.attribute(COMPONENT.monitoring, () => renderMonitoring(monitoring, declared));
  findings.attribute(undefined, () => renderNetworkPolicies(built, { site, ingress: ingress.envoy }));
  const namespaces = findings.attribute(COMPONENT.namespaces, () => new NamespacesComponent(scope, context, declared));
  // What Argo CD syncs: the pieces and the namespaces, with the dependencies their declarations imply.
  const synced = withImpliedDependencies([...declared, namespaces.describe()], {
    namespaces: COMPONENT.namespaces,
    ingress: COMPONENT.contour,
    publicCertificates: COMPONENT.publicCertificates,
  });
  // Every object of the synced components exists now (the routes and policies included): their kinds bound the project.
  const kinds = new Map([...built, namespaces].map((c) => [c.componentName, renderedKinds(c)]));
  const apps = findings.attribute(COMPONENT.apps, () => new AppsComponent(scope, context, synced, kinds));
  // After the app-of-apps, so it is no child Application: applied once by hand.
  const argocd = synced.find((c) => c.name === COMPONENT.argocd)!;
  const bootstrap = findings.attribute(COMPONENT.bootstrap, () => new BootstrapComponent(scope, context, argocd, apps.lastWave));
  for (const c of [namespaces, apps, bootstrap]) c.seal();
  // `synced` lists the pieces and the namespaces in that order; the two views Argo CD does not sync depend on nothing.
  const syncedCharts = [...built, namespaces].map((chart, i) => ({ chart, declared: synced[i]! }));
  return { pieces, components: [...syncedCharts, ...[apps, bootstrap].map((chart) => ({ chart, declared: chart.describe() }))] };
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
