/**
 * What a component declares about itself, as plain data: the record the views over all components
 * (namespaces, routes, sync waves) and the pipeline's validation read. A component fills it while it
 * is built (charts/component.ts); once every component is built the record is final, and nothing
 * reads the construct tree to learn it again.
 */
import type { AlertRule } from './alerts';
import type { AutoscaledWorkload } from './autoscaling';
import type {
  CrossSiteFact,
  Endpoint,
  ExternalFlow,
  Flow,
  HttpRoute,
  MetricsEndpoint,
  PolicyException,
  UpstreamWorkload,
} from './declarations';
import type { FailureBehaviour, HealthSignal, StatefulWorkloadResilience } from './resilience';
import type { ApiServiceDeclaration, CrdDeclaration, ExternalDependency, WebhookDeclaration } from './sync-order';
import type { UpstreamChart, UpstreamRelease } from './upstream';

/** Pod Security Standard level enforced on a namespace. */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

/** A namespace a component owns. */
export interface NamespaceDeclaration {
  /** Namespace name. */
  readonly name: string;
  /** Enforced Pod Security level; anything below `restricted` needs a reason. */
  readonly podSecurity: PodSecurityLevel;
  /**
   * Why the namespace cannot be `restricted` (required unless it is).
   * @default none
   */
  readonly podSecurityReason?: string;
  /**
   * The namespace holds an upstream chart's workloads (operators, webhooks) whose traffic we do not
   * model: it gets no default-deny NetworkPolicy. Give the reason in `networkPolicyReason`.
   * @default false
   */
  readonly upstreamChart?: boolean;
  /**
   * Why the namespace is left without default-deny (required with `upstreamChart`).
   * @default none
   */
  readonly networkPolicyReason?: string;
}

/** How a component's Argo CD Application installs an upstream chart next to its own objects. */
export interface HelmChartSource {
  /** The pinned release: chart coordinates, version and Kubernetes range (charts/<piece>/release.ts). */
  readonly upstream: UpstreamChart;
  /** Helm release name. */
  readonly releaseName: string;
  /** Values given to the chart (typed by the component that builds them). */
  readonly values: Record<string, unknown>;
  /**
   * Namespaces other than the component's own that the chart writes to (the site's AppProject
   * must allow them), each with the reason.
   * @default none
   */
  readonly alsoDeploysTo?: readonly { readonly namespace: string; readonly reason: string }[];
}

/** Extra kustomize input for a component directory (upstream manifests we do not render). */
export interface KustomizeExtras {
  /**
   * Remote resources (pinned URLs of an upstream release's manifests) listed before our own files.
   * @default none
   */
  readonly remoteResources?: readonly string[];
  /**
   * Namespace kustomize sets on every namespaced object of the directory: upstream manifests that
   * leave it to `kubectl -n` (Argo CD's install.yaml) need it, and patches match by namespace.
   * @default none
   */
  readonly namespace?: string;
}

/** What a component declares for the cross-cutting views, each list in declaration order. */
export interface Declarations {
  readonly flows: readonly Flow[];
  readonly externalFlows: readonly ExternalFlow[];
  readonly routes: readonly HttpRoute[];
  readonly metrics: readonly MetricsEndpoint[];
  readonly upstreamWorkloads: readonly UpstreamWorkload[];
  readonly apiServerClients: readonly Endpoint[];
  readonly policyExceptions: readonly PolicyException[];
  readonly crossSiteFacts: readonly CrossSiteFact[];
  readonly resilience: readonly StatefulWorkloadResilience[];
  readonly healthSignals: readonly HealthSignal[];
  readonly alerts: readonly AlertRule[];
  /** How the component fails (at most one; none: `unknown`, a validation finding). */
  readonly failure: readonly FailureBehaviour[];
}

/** Empty lists of every kind of declaration. */
export function emptyDeclarations(): Declarations {
  return {
    flows: [],
    externalFlows: [],
    routes: [],
    metrics: [],
    upstreamWorkloads: [],
    apiServerClients: [],
    policyExceptions: [],
    crossSiteFacts: [],
    resilience: [],
    healthSignals: [],
    alerts: [],
    failure: [],
  };
}

/** The sync-order facts of a component (lib/sync-order.ts). */
export interface SyncOrder {
  readonly crds: readonly CrdDeclaration[];
  readonly webhooks: readonly WebhookDeclaration[];
  readonly apis: readonly ApiServiceDeclaration[];
  /** Why the component's readiness may wait on another site, if it may. */
  readonly waitsOnOtherSite?: string;
  /**
   * Why nothing needs it to start, so it syncs in the last wave (`syncsLast`).
   * @default none
   */
  readonly syncsLast?: string;
  /**
   * Services outside the site its readiness waits on.
   * @default none
   */
  readonly externalDependencies?: readonly ExternalDependency[];
}

/** One component as the views and the validation see it. */
export interface DeclaredComponent {
  /** The component's name: its directory under gitops/<site>/ and its Argo CD Application. */
  readonly name: string;
  /** Namespace its namespaced objects go to by default. */
  readonly namespace?: string;
  /** Components it is synced after, by name: those it declared and those the views derive (lib/sync-waves.ts). */
  readonly dependencies: readonly string[];
  /** Namespaces it owns. */
  readonly namespaces: readonly NamespaceDeclaration[];
  /** The upstream Helm chart its Application installs, if any. */
  readonly helmChart?: HelmChartSource;
  /** Upstream manifests its kustomization lists. */
  readonly kustomize: KustomizeExtras;
  /** Every upstream release it installs (its chart, released manifests), for the compatibility check. */
  readonly upstreamReleases: readonly UpstreamRelease[];
  /** Whether removing it must leave its objects in the cluster (its Application gets no cascading delete). */
  readonly keepObjectsOnRemoval: boolean;
  /** Whether Argo CD applies CRDs of it (from its chart or manifests): it then applies server-side. */
  readonly ownsCrds: boolean;
  /** CRDs, webhooks, aggregated APIs and cross-site readiness. */
  readonly syncOrder: SyncOrder;
  /** Flows, routes, metrics, upstream workloads, exceptions, cross-site facts, resilience, health signals. */
  readonly declarations: Declarations;
  /** The workloads its autoscalers (HPAs, KEDA ScaledObjects) scale, read from those objects. */
  readonly autoscaled: readonly AutoscaledWorkload[];
}
