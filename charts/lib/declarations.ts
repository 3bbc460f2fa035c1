/**
 * What components declare next to their objects, for the cross-cutting views (network policies,
 * ingress routes, monitoring, capacity). Declarations are plain data with typed references to the
 * components involved; the views collect them from every component (lib/declared.ts).
 */

/** A set of pods of a component, reachable on some ports (a typed reference, never a copied string). */
export interface Endpoint {
  /** Name of the component that owns the pods (the endpoint is made by its `endpoint()`). */
  readonly component: string;
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels selecting the pods. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Ports (container ports) the pods accept on. */
  readonly ports: readonly PortSpec[];
  /**
   * Name of the Service in front of the pods (for routes and clients).
   * @default none: the pods have no Service
   */
  readonly serviceName?: string;
}

/** A TCP or UDP port. */
export interface PortSpec {
  /** Port number. */
  readonly port: number;
  /**
   * Protocol.
   * @default 'TCP'
   */
  readonly protocol?: 'TCP' | 'UDP';
  /**
   * Port name, for people and for Service targetPort references.
   * @default none
   */
  readonly name?: string;
}

/** Traffic from some pods of a component to an endpoint (gives egress + ingress NetworkPolicy rules). */
export interface Flow {
  /** Pods the traffic leaves from. */
  readonly from: Endpoint;
  /** Pods the traffic goes to. */
  readonly to: Endpoint;
  /**
   * Ports used (a subset of `to.ports`).
   * @default every port of `to`
   */
  readonly ports?: readonly PortSpec[];
}

/** Traffic that crosses the cluster boundary (the other site, the API server, an external service). */
export interface ExternalFlow {
  /** Pods on our side. */
  readonly pods: Endpoint;
  /** `egress`: our pods connect out; `ingress`: outside addresses connect in. */
  readonly direction: 'egress' | 'ingress';
  /** CIDRs on the other side. */
  readonly cidrs: readonly string[];
  /** Ports on the destination side. */
  readonly ports: readonly PortSpec[];
  /** Why the flow exists (rendered next to the rule). */
  readonly reason: string;
}

/** An HTTP route through the ingress (rendered as a Contour HTTPProxy by the ingress component). */
export interface HttpRoute {
  /** Fully qualified host name. */
  readonly host: string;
  /** Path prefix, `/` for everything. */
  readonly pathPrefix: string;
  /**
   * Only requests whose header `name` contains `contains` (e.g. gRPC: `content-type` contains
   * `application/grpc`); the same host and prefix without it takes the other requests.
   * @default every request
   */
  readonly header?: { readonly name: string; readonly contains: string };
  /** Backend pods and Service (the Service must exist in the component). */
  readonly backend: Endpoint;
  /** Service port the route sends to. */
  readonly port: number;
  /**
   * Pod port behind that Service port, when they differ and the backend has several ports (the
   * NetworkPolicy opens exactly this one to Envoy).
   * @default `port`, or the backend's only port
   */
  readonly targetPort?: number;
  /**
   * Response timeout (Go duration, e.g. `30s`).
   * @default Envoy's 15 s
   */
  readonly responseTimeout?: string;
  /**
   * Idle timeout (Go duration).
   * @default Envoy's
   */
  readonly idleTimeout?: string;
  /**
   * Retries on `5xx,reset,connect-failure`; 0 disables.
   * @default Contour's (one retry on connection failures)
   */
  readonly retries?: number;
  /**
   * Per-try timeout of a retry (Go duration).
   * @default the response timeout
   */
  readonly perTryTimeout?: string;
  /**
   * Largest request body accepted, in MiB (uploads), recorded for the backend to enforce.
   * @default none stated
   */
  readonly maxRequestBodyMiB?: number;
  /**
   * Serve over TLS with a cert-manager certificate.
   * @default true
   */
  readonly tls?: boolean;
  /**
   * How Envoy talks to the backend: `h2`/`tls` over TLS, `h2c` cleartext HTTP/2.
   * @default plain HTTP/1.1
   */
  readonly backendProtocol?: 'h2' | 'h2c' | 'tls';
  /**
   * Accept WebSocket upgrades on this route.
   * @default false
   */
  readonly websockets?: boolean;
}

/** A metrics endpoint the monitoring component scrapes. */
export interface MetricsEndpoint {
  /** Pods exposing metrics. */
  readonly pods: Endpoint;
  /** Port number. */
  readonly port: number;
  /**
   * HTTP path.
   * @default '/metrics'
   */
  readonly path?: string;
  /**
   * Names of the metrics served there that alerts and dashboards read (they may read no other).
   * @default none stated
   */
  readonly metrics?: readonly string[];
}

/**
 * Resources of workloads we do not render ourselves (upstream Helm charts, manifests), with the
 * values we set for them, so the capacity check counts them.
 */
export interface UpstreamWorkload {
  /** Workload name as the chart names it. */
  readonly name: string;
  /** Namespace it runs in. */
  readonly namespace: string;
  /** `perNode` for DaemonSets (on `nodes`, or every node), else a replica count. */
  readonly replicas: number | 'perNode';
  /** CPU request per pod, millicores. */
  readonly cpuMillis: number;
  /** Memory request per pod, MiB. */
  readonly memoryMiB: number;
  /**
   * 2 MiB hugepages per pod, MiB.
   * @default 0
   */
  readonly hugepagesMiB?: number;
  /**
   * Node names it is limited to (DaemonSets with a node selector).
   * @default every node
   */
  readonly nodes?: readonly string[];
  /**
   * Labels of its pods, so that Services we render in front of them are known to select something.
   * @default none
   */
  readonly podLabels?: Readonly<Record<string, string>>;
  /**
   * Whether replicas are spread over nodes (at most one more on any node), as for our own workloads.
   * @default false
   */
  readonly spread?: boolean;
  /**
   * The Service the upstream manifests put in front of the pods, so routes to it can be checked.
   * @default none
   */
  readonly service?: { readonly name: string; readonly ports: readonly number[] };
  /**
   * The volume each pod claims (an operator's StatefulSet, whose claims we do not render), for the
   * storage capacity check.
   * @default none
   */
  readonly claim?: WorkloadClaim;
}

/** A volume each pod of a workload claims. */
export interface WorkloadClaim {
  /** StorageClass of the claim. */
  readonly storageClass: string;
  /** Size, GiB. */
  readonly sizeGiB: number;
}

/** A validation rule an object may be exempted from (see pipeline/validate/policy.ts). */
export type PolicyRule =
  | 'resources'
  | 'probes'
  | 'image'
  | 'disruption-budget'
  | 'spreading'
  | 'service-selector'
  | 'route'
  | 'storage-class'
  // A Secret with values in git (pipeline/validate/plaintext.ts): only for what is not secret.
  | 'plaintext-secret';

/**
 * An object allowed to break one rule, declared once in the component's code with the reason
 * (`npm run validate` lists every exception). Pod Security exceptions are made per namespace
 * with `ownNamespace`, not here.
 */
export interface PolicyException {
  /** The object, as findings name it: `Kind/name` or `Kind/namespace/name`. */
  readonly object: string;
  /** The rule it may break. */
  readonly rule: PolicyRule;
  /** Why (shown in the validation report). */
  readonly reason: string;
}

/**
 * A fact one site states about something that spans sites, compared with the other sites' by the
 * cross-site check (pipeline/validate/cross-site.ts). Facts with the same `key` must agree on
 * every field of `agree` they both state, and the roles must occur as `expect` says.
 * Examples: the database pair (`key: 'database'`, the primary states `role: 'primary'` and its
 * replication address, each standby `role: 'standby'` and the address it replicates from), each
 * end of a bus link (`key: 'bus-link:cluster1/cluster2'`, roles `listener` and `remote`, with
 * address, account, domain and the Vault path of the credentials).
 */
export interface CrossSiteFact {
  /** What the fact is about; the same on every site that states it. */
  readonly key: string;
  /** This site's part (`primary`, `standby`, `listener`, `remote`, ...). */
  readonly role: string;
  /** Fields that must be equal on every site stating this key. */
  readonly agree: Readonly<Record<string, string | number | boolean>>;
  /**
   * How many sites must state each role (e.g. `{ primary: 1 }`); roles not listed are free.
   * @default every role free
   */
  readonly expect?: Readonly<Record<string, number>>;
}
