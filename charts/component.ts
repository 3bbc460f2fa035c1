/**
 * The base of every platform piece. A component is one cdk8s Chart rendered into
 * gitops/<site>/<component>/ and reconciled by one Argo CD Application. Next to its objects it
 * declares what the cross-cutting views need (dependencies, namespace, upstream Helm chart, ...);
 * once every component is built, the views read those declarations as plain data (`describe`)
 * and never list components by hand.
 */
import { Chart, type ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Finding } from '../model/errors';
import type { Site } from '../sites';
import type { SiteContext } from './context';
import type { RenderFindings } from './lib/findings';
import { autoscaledWorkloads } from './lib/autoscaling';
import {
  emptyDeclarations,
  type DeclaredComponent,
  type Declarations,
  type HelmChartSource,
  type KustomizeExtras,
  type NamespaceDeclaration,
} from './lib/declared';
import type {
  CrossSiteFact,
  Endpoint,
  ExternalFlow,
  HttpRoute,
  MetricsEndpoint,
  PolicyException,
  PortSpec,
  UpstreamWorkload,
} from './lib/declarations';
import type { AlertRule } from './lib/alerts';
import type { FailureBehaviour, HealthSignal, StatefulWorkloadResilience } from './lib/resilience';
import { SyncOrderDeclarations, type CrdDeclaration } from './lib/sync-order';
import { isPublicHost, publicRouteFact, renderChildProxy, routeKey } from './contour/route-proxy';
import { rawUrl, type UpstreamManifests, type UpstreamRelease } from './lib/upstream';

/** Options of the base class. */
export interface PlatformComponentProps {
  /** The component's name (model/components.ts): its directory, its Argo CD Application, the prefix of its objects. */
  readonly name: string;
  /** Site context. */
  readonly context: SiteContext;
  /**
   * Namespace the component's namespaced objects go to by default.
   * @default none: each object names its namespace
   */
  readonly namespace?: string;
  /**
   * CRDs the component installs, and how (lib/sync-order.ts); Argo CD then applies it server-side
   * unless an operator creates them.
   * @default none
   */
  readonly installsCrds?: readonly CrdDeclaration[];
  /**
   * Removing the component (or its Application) must leave its objects in the cluster: its
   * Application gets no cascading-delete finalizer (namespaces, Argo CD itself, CRDs every other
   * component uses).
   * @default false
   */
  readonly keepObjectsOnRemoval?: boolean;
}

/** The lists a component declares into, in declaration order. */
type DeclarationLists = { -readonly [K in keyof Declarations]: Declarations[K][number][] };

export abstract class PlatformComponent extends Chart {
  static isPlatformComponent(x: unknown): x is PlatformComponent {
    return x instanceof PlatformComponent;
  }

  /** The component's name (directory under gitops/<site>/). */
  readonly componentName: string;
  /** Site being rendered. */
  readonly site: Site;
  /** All sites. */
  readonly sites: readonly Site[];
  /** CRDs, webhooks, aggregated APIs and cross-site readiness, for the sync order (charts/lib/sync-order.ts). */
  readonly syncOrder = new SyncOrderDeclarations();
  /** Whether removing the component must leave its objects in the cluster (see the prop). */
  readonly keepObjectsOnRemoval: boolean;

  private readonly dependencyList: PlatformComponent[] = [];
  private readonly namespaceList: NamespaceDeclaration[] = [];
  private helm?: HelmChartSource;
  private kustomize: KustomizeExtras = {};
  private readonly releases: UpstreamRelease[] = [];
  private readonly patchObjects = new Set<ApiObject>();
  private readonly findings: RenderFindings;
  private readonly declared = emptyDeclarations() as DeclarationLists;
  private sealed = false;

  constructor(scope: Construct, props: PlatformComponentProps) {
    super(scope, props.name, { namespace: props.namespace, disableResourceNameHashes: true });
    this.componentName = props.name;
    this.site = props.context.site;
    this.sites = props.context.sites;
    this.findings = props.context.findings;
    this.keepObjectsOnRemoval = props.keepObjectsOnRemoval ?? false;
    this.syncOrder.installsCrds(...(props.installsCrds ?? []));
  }

  /**
   * Reports what is wrong with this component's model (an object, a field): the render goes on,
   * then fails with every finding, each naming the site and this component.
   */
  report(finding: Omit<Finding, 'site' | 'component'>): void {
    this.findings.report({ ...finding, site: this.site.name, component: this.componentName });
  }

  /**
   * Ends this component's declarations. The registry seals every component once all are built:
   * the views read what they declared, and none may change it after the fact.
   */
  seal(): void {
    this.sealed = true;
    this.syncOrder.seal();
  }

  /** Refuses `what` once the component is sealed (a view, or a late caller, changing its declarations). */
  protected assertOpen(what: string): void {
    if (this.sealed)
      throw new Error(`component ${this.componentName}: ${what} after every component was built; views only read declarations`);
  }

  private add<K extends keyof DeclarationLists>(list: K, item: DeclarationLists[K][number], what: string): void {
    this.assertOpen(what);
    (this.declared[list] as unknown[]).push(item);
  }

  /** Declares that this component must be synced after `others` (gives the Argo CD sync waves). */
  dependOn(...others: PlatformComponent[]): void {
    this.assertOpen('dependOn');
    for (const other of others) if (other !== this && !this.dependencyList.includes(other)) this.dependencyList.push(other);
  }

  /** Components this one declared it is synced after (the views add those its declarations imply). */
  get dependencies(): readonly PlatformComponent[] {
    return this.dependencyList;
  }

  /** Declares a namespace this component owns; the namespaces component renders it. */
  ownNamespace(declaration: NamespaceDeclaration): void {
    this.assertOpen('ownNamespace');
    if (declaration.podSecurity !== 'restricted' && !declaration.podSecurityReason) {
      throw new Error(
        `component ${this.componentName}: namespace ${declaration.name} is '${declaration.podSecurity}' without a podSecurityReason`,
      );
    }
    if (declaration.upstreamChart && !declaration.networkPolicyReason) {
      throw new Error(
        `component ${this.componentName}: namespace ${declaration.name} is an upstream chart's without a networkPolicyReason`,
      );
    }
    this.namespaceList.push(declaration);
  }

  /** Namespaces this component owns. */
  get namespaces(): readonly NamespaceDeclaration[] {
    return this.namespaceList;
  }

  /** Declares the upstream Helm chart this component's Application installs. */
  useHelmChart(source: HelmChartSource): void {
    this.assertOpen('useHelmChart');
    this.helm = source;
    this.releases.push(source.upstream);
  }

  /**
   * Installs the manifests an upstream release publishes, as kustomize remote resources at the
   * release's tag; `namespace` is set on every namespaced object of the directory (upstream
   * manifests that leave it to `kubectl -n` need it, and patches match by namespace).
   */
  useUpstreamManifests(release: UpstreamManifests, options: { readonly namespace?: string } = {}): void {
    this.assertOpen('useUpstreamManifests');
    this.releases.push(release);
    this.kustomize = {
      remoteResources: [...(this.kustomize.remoteResources ?? []), ...release.manifests.map((p) => rawUrl(release.release, p))],
      namespace: options.namespace ?? this.kustomize.namespace,
    };
  }

  /**
   * Marks an object as a kustomize patch of an upstream object (listed under `patches:`, merged
   * into the released object) instead of a resource of its own.
   */
  kustomizePatch(object: ApiObject): void {
    this.patchObjects.add(object);
  }

  /** Whether a rendered object is one of this component's kustomize patches. */
  isKustomizePatch(kind: string, name: string, namespace?: string): boolean {
    return [...this.patchObjects].some((o) => o.kind === kind && o.name === name && o.metadata.namespace === namespace);
  }

  /** Declares an endpoint of this component: pods selected by labels, with their ports. */
  endpoint(props: { namespace?: string; podLabels: Record<string, string>; ports: readonly PortSpec[]; serviceName?: string }): Endpoint {
    const namespace = props.namespace ?? this.namespace;
    if (!namespace) throw new Error(`component ${this.componentName}: an endpoint needs a namespace`);
    return { component: this.componentName, namespace, podLabels: props.podLabels, ports: props.ports, serviceName: props.serviceName };
  }

  /** Declares that `from` (pods of this component) talks to `to` (typed reference to another endpoint). */
  talksTo(from: Endpoint, to: Endpoint, ports?: readonly PortSpec[]): void {
    this.add('flows', { from, to, ports }, 'talksTo');
  }

  /** Declares traffic across the cluster boundary (the other site, an external service). */
  talksOutside(flow: ExternalFlow): void {
    this.add('externalFlows', flow, 'talksOutside');
  }

  /** Declares that pods of this component use the Kubernetes API server. */
  usesApiServer(pods: Endpoint): void {
    this.add('apiServerClients', pods, 'usesApiServer');
  }

  /**
   * Exposes an HTTP route through the ingress: its own HTTPProxy, next to its Service in this
   * component (contour/route-proxy.ts), which the ingress's root proxy for the host includes
   * (contour/routes.ts). A route under the public domain is stated for the cross-site check.
   */
  exposeHttp(route: HttpRoute): void {
    const claimed = this.declared.routes.some((r) => routeKey(r) === routeKey(route));
    this.add('routes', route, 'exposeHttp');
    // A second claim of the same route is the routes view's finding, not a second proxy.
    if (!claimed) renderChildProxy(this, route);
    if (isPublicHost(this.site, this.sites, route.host)) this.stateCrossSiteFact(publicRouteFact(route));
  }

  /** Declares a metrics endpoint for the monitoring component. */
  exposeMetrics(metrics: MetricsEndpoint): void {
    this.add('metrics', metrics, 'exposeMetrics');
  }

  /** Declares resources of a workload an upstream chart runs with the values we give it. */
  declareUpstreamWorkload(workload: UpstreamWorkload): void {
    this.add('upstreamWorkloads', workload, 'declareUpstreamWorkload');
  }

  /** Declares that one of this component's objects may break a validation rule, and why. */
  acceptPolicyException(exception: PolicyException): void {
    if (!exception.reason) throw new Error(`component ${this.componentName}: policy exception for ${exception.object} without a reason`);
    this.add('policyExceptions', exception, 'acceptPolicyException');
  }

  /** States a fact the cross-site check compares with the other sites' (database pair, bus link ends). */
  stateCrossSiteFact(fact: CrossSiteFact): void {
    this.add('crossSiteFacts', fact, 'stateCrossSiteFact');
  }

  /** States what a node loss does to one of this component's stateful workloads (lib/resilience.ts). */
  declareResilience(workload: StatefulWorkloadResilience): void {
    this.add('resilience', workload, 'declareResilience');
  }

  /** Declares a health signal a monitoring component turns into an alert. */
  declareHealthSignal(signal: HealthSignal): void {
    this.add('healthSignals', signal, 'declareHealthSignal');
  }

  /** Declares an alert rule on this component's metrics; the monitoring component renders it. */
  declareAlert(rule: AlertRule): void {
    this.add('alerts', rule, 'declareAlert');
  }

  /** States how this component fails (lib/resilience.ts): once; a component that states nothing fails validation. */
  declareFailureBehaviour(behaviour: FailureBehaviour): void {
    if (this.declared.failure.length > 0) throw new Error(`component ${this.componentName}: declareFailureBehaviour called twice`);
    this.add('failure', behaviour, 'declareFailureBehaviour');
  }

  /** Everything this component declared, for the views. */
  get declarations(): Declarations {
    return this.declared;
  }

  /** Whether Argo CD applies CRDs of this component (from its chart or manifests): it then applies server-side. */
  get ownsCrds(): boolean {
    return this.syncOrder.crds.some((c) => c.source !== 'operator');
  }

  /** What this component declared, as plain data (a copy: the views and the validation read it). */
  describe(): DeclaredComponent {
    const { syncOrder } = this;
    const lists = Object.fromEntries(Object.entries(this.declared).map(([key, list]) => [key, [...(list as unknown[])]]));
    return {
      name: this.componentName,
      namespace: this.namespace,
      dependencies: this.dependencyList.map((c) => c.componentName),
      namespaces: [...this.namespaceList],
      helmChart: this.helm,
      kustomize: this.kustomize,
      upstreamReleases: [...this.releases],
      keepObjectsOnRemoval: this.keepObjectsOnRemoval,
      ownsCrds: this.ownsCrds,
      syncOrder: {
        crds: [...syncOrder.crds],
        webhooks: [...syncOrder.webhooks],
        apis: [...syncOrder.apis],
        ...(syncOrder.waitsOnOtherSite !== undefined ? { waitsOnOtherSite: syncOrder.waitsOnOtherSite } : {}),
        ...(syncOrder.syncsLastReason !== undefined ? { syncsLast: syncOrder.syncsLastReason } : {}),
        ...(syncOrder.externalDependencies.length > 0 ? { externalDependencies: [...syncOrder.externalDependencies] } : {}),
      },
      declarations: lists as unknown as Declarations,
      autoscaled: autoscaledWorkloads(this),
    };
  }
}
