/**
 * The base of every platform piece. A component is one cdk8s Chart rendered into
 * gitops/<site>/<component>/ and reconciled by one Argo CD Application. Next to its objects it
 * declares what the cross-cutting views need (dependencies, namespace, upstream Helm chart, ...);
 * those views walk the construct tree and never list components by hand.
 */
import { Chart, type ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Finding } from '../model/errors';
import type { EdgeProxy, PlatformModel, Site } from '../sites';
import { RenderFindings } from './lib/findings';
import type { StackOutputs } from './lib/object-store';
import { autoscaledWorkloads } from './lib/autoscaling';
import type { DeclaredComponent, Declarations, HelmChartSource, KustomizeExtras, NamespaceDeclaration } from './lib/declared';
import type {
  CrossSiteFact,
  Endpoint,
  ExternalFlow,
  Flow,
  HttpRoute,
  MetricsEndpoint,
  PolicyException,
  PortSpec,
  UpstreamWorkload,
} from './lib/declarations';
import type { HealthSignal, StatefulWorkloadResilience } from './lib/resilience';
import { SyncOrderDeclarations } from './lib/sync-order';
import { rawUrl, type UpstreamManifests, type UpstreamRelease } from './lib/upstream';

/** What every component receives: its own site and, read-only, all the others. */
export interface SiteContext {
  /** The site being rendered. */
  readonly site: Site;
  /** Every registered site, for cross-site facts (peer addresses, the database primary). */
  readonly sites: readonly Site[];
  /** The edge proxy in front of every site (its addresses reach Envoy). */
  readonly edge: EdgeProxy;
  /** CloudFormation outputs fetched before rendering, for sites whose object store is `aws`. */
  readonly stackOutputs?: StackOutputs;
  /** Where the site's components report what is wrong with the model (the render throws them). */
  readonly findings: RenderFindings;
}

/** The context of `site` in `model`, with a fresh list of findings. */
export function siteContext(site: Site, model: PlatformModel, stackOutputs?: StackOutputs): SiteContext {
  return { site, sites: model.sites, edge: model.edge, stackOutputs, findings: new RenderFindings(site.name) };
}

/** Options of the base class. */
export interface PlatformComponentProps {
  /** The component's name: its directory, its Argo CD Application, the prefix of its objects. */
  readonly name: string;
  /** Site context. */
  readonly context: SiteContext;
  /** Namespace the component's namespaced objects go to by default. */
  readonly namespace?: string;
}

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

  private readonly dependencyList: PlatformComponent[] = [];
  private readonly namespaceList: NamespaceDeclaration[] = [];
  private helm?: HelmChartSource;
  private kustomize: KustomizeExtras = {};
  private readonly releases: UpstreamRelease[] = [];
  private readonly patchObjects = new Set<ApiObject>();
  private readonly findings: RenderFindings;

  constructor(scope: Construct, props: PlatformComponentProps) {
    super(scope, props.name, { namespace: props.namespace, disableResourceNameHashes: true });
    this.componentName = props.name;
    this.site = props.context.site;
    this.sites = props.context.sites;
    this.findings = props.context.findings;
  }

  /**
   * Reports what is wrong with this component's model (an object, a field): the render goes on,
   * then fails with every finding, each naming the site and this component.
   */
  report(finding: Omit<Finding, 'site' | 'component'>): void {
    this.findings.report({ ...finding, site: this.site.name, component: this.componentName });
  }

  /** Declares that this component must be synced after `others` (gives the Argo CD sync waves). */
  dependOn(...others: PlatformComponent[]): void {
    for (const other of others) if (other !== this && !this.dependencyList.includes(other)) this.dependencyList.push(other);
  }

  /** Components this one is synced after. */
  get dependencies(): readonly PlatformComponent[] {
    return this.dependencyList;
  }

  /** Declares a namespace this component owns; the namespaces component renders it. */
  ownNamespace(declaration: NamespaceDeclaration): void {
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
    this.helm = source;
    this.releases.push(source.upstream);
  }

  /** The upstream Helm chart, if any. */
  get helmChart(): HelmChartSource | undefined {
    return this.helm;
  }

  /**
   * Installs the manifests an upstream release publishes, as kustomize remote resources at the
   * release's tag; `namespace` is set on every namespaced object of the directory (upstream
   * manifests that leave it to `kubectl -n` need it, and patches match by namespace).
   */
  useUpstreamManifests(release: UpstreamManifests, options: { readonly namespace?: string } = {}): void {
    this.releases.push(release);
    this.kustomize = {
      remoteResources: [...(this.kustomize.remoteResources ?? []), ...release.manifests.map((p) => rawUrl(release.release, p))],
      namespace: options.namespace ?? this.kustomize.namespace,
    };
  }

  /** Upstream manifests listed in the component's kustomization. */
  get kustomizeExtras(): KustomizeExtras {
    return this.kustomize;
  }

  /** Every upstream release this component installs (its chart, released manifests), for the compatibility check. */
  get upstreamReleases(): readonly UpstreamRelease[] {
    return this.releases;
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

  private readonly declared = {
    flows: [] as Flow[],
    externalFlows: [] as ExternalFlow[],
    routes: [] as HttpRoute[],
    metrics: [] as MetricsEndpoint[],
    upstreamWorkloads: [] as UpstreamWorkload[],
    apiServerClients: [] as Endpoint[],
    policyExceptions: [] as PolicyException[],
    crossSiteFacts: [] as CrossSiteFact[],
    resilience: [] as StatefulWorkloadResilience[],
    healthSignals: [] as HealthSignal[],
  };

  /** Declares an endpoint of this component: pods selected by labels, with their ports. */
  endpoint(props: { namespace?: string; podLabels: Record<string, string>; ports: readonly PortSpec[]; serviceName?: string }): Endpoint {
    const namespace = props.namespace ?? this.namespace;
    if (!namespace) throw new Error(`component ${this.componentName}: an endpoint needs a namespace`);
    return { component: this.componentName, namespace, podLabels: props.podLabels, ports: props.ports, serviceName: props.serviceName };
  }

  /** Declares that `from` (pods of this component) talks to `to` (typed reference to another endpoint). */
  talksTo(from: Endpoint, to: Endpoint, ports?: readonly PortSpec[]): void {
    this.declared.flows.push({ from, to, ports });
  }

  /** Declares traffic across the cluster boundary (the other site, an external service). */
  talksOutside(flow: ExternalFlow): void {
    this.declared.externalFlows.push(flow);
  }

  /** Declares that pods of this component use the Kubernetes API server. */
  usesApiServer(pods: Endpoint): void {
    this.declared.apiServerClients.push(pods);
  }

  /** Exposes an HTTP route through the ingress. */
  exposeHttp(route: HttpRoute): void {
    this.declared.routes.push(route);
  }

  /** Declares a metrics endpoint for the monitoring component. */
  exposeMetrics(metrics: MetricsEndpoint): void {
    this.declared.metrics.push(metrics);
  }

  /** Declares resources of a workload an upstream chart runs with the values we give it. */
  declareUpstreamWorkload(workload: UpstreamWorkload): void {
    this.declared.upstreamWorkloads.push(workload);
  }

  /** Declares that one of this component's objects may break a validation rule, and why. */
  acceptPolicyException(exception: PolicyException): void {
    if (!exception.reason) throw new Error(`component ${this.componentName}: policy exception for ${exception.object} without a reason`);
    this.declared.policyExceptions.push(exception);
  }

  /** States a fact the cross-site check compares with the other sites' (database pair, bus link ends). */
  stateCrossSiteFact(fact: CrossSiteFact): void {
    this.declared.crossSiteFacts.push(fact);
  }

  /** States what a node loss does to one of this component's stateful workloads (lib/resilience.ts). */
  declareResilience(workload: StatefulWorkloadResilience): void {
    this.declared.resilience.push(workload);
  }

  /** Declares a health signal a monitoring component turns into an alert. */
  declareHealthSignal(signal: HealthSignal): void {
    this.declared.healthSignals.push(signal);
  }

  /** Everything this component declared, for the views. */
  get declarations(): Declarations {
    return this.declared;
  }

  /**
   * Whether removing the component (or its Application) must leave its objects in the cluster:
   * its Application gets no cascading-delete finalizer. Namespaces are such objects: deleting one
   * deletes everything in it.
   */
  keepObjectsOnRemoval = false;

  /** CRDs, webhooks, aggregated APIs and cross-site readiness, for the sync order (charts/lib/sync-order.ts). */
  readonly syncOrder = new SyncOrderDeclarations();

  /** Whether Argo CD applies CRDs of this component (from its chart or manifests): it then applies server-side. */
  get ownsCrds(): boolean {
    return this.syncOrder.crds.some((c) => c.source !== 'operator');
  }

  /** What this component declared, as plain data (a copy: the views and the validation read it). */
  describe(): DeclaredComponent {
    const d = this.declared;
    const { syncOrder } = this;
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
      },
      declarations: {
        flows: [...d.flows],
        externalFlows: [...d.externalFlows],
        routes: [...d.routes],
        metrics: [...d.metrics],
        upstreamWorkloads: [...d.upstreamWorkloads],
        apiServerClients: [...d.apiServerClients],
        policyExceptions: [...d.policyExceptions],
        crossSiteFacts: [...d.crossSiteFacts],
        resilience: [...d.resilience],
        healthSignals: [...d.healthSignals],
      },
      autoscaled: autoscaledWorkloads(this),
    };
  }
}

/** Every component under a construct (an App), in construction order. */
export function componentsOf(scope: Construct): PlatformComponent[] {
  return scope.node.children.filter(PlatformComponent.isPlatformComponent);
}
