/**
 * What components declare next to their objects, for the cross-cutting views (network policies,
 * ingress routes, monitoring, capacity). Declarations are plain data with typed references to the
 * components involved; the views walk the construct tree to collect them.
 */
import type { PlatformComponent } from '../component';

/** A set of pods of a component, reachable on some ports (a typed reference, never a copied string). */
export interface Endpoint {
  /** Component that owns the pods. */
  readonly component: PlatformComponent;
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels selecting the pods. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Ports (container ports) the pods accept on. */
  readonly ports: readonly PortSpec[];
  /** Name of the Service in front of the pods, if any (for routes and clients). */
  readonly serviceName?: string;
}

/** A TCP or UDP port. */
export interface PortSpec {
  /** Port number. */
  readonly port: number;
  /** Protocol, TCP unless said. */
  readonly protocol?: 'TCP' | 'UDP';
  /** Port name, for people and for Service targetPort references. */
  readonly name?: string;
}

/** Traffic from some pods of a component to an endpoint (gives egress + ingress NetworkPolicy rules). */
export interface Flow {
  /** Pods the traffic leaves from. */
  readonly from: Endpoint;
  /** Pods the traffic goes to. */
  readonly to: Endpoint;
  /** Ports used (a subset of `to.ports`; all of them when omitted). */
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
  /** Backend pods and Service (the Service must exist in the component). */
  readonly backend: Endpoint;
  /** Service port the route sends to. */
  readonly port: number;
  /** Response timeout (Go duration, e.g. `30s`), Envoy's 15 s when omitted. */
  readonly responseTimeout?: string;
  /** Idle timeout (Go duration). */
  readonly idleTimeout?: string;
  /** Retries on `5xx,reset,connect-failure`; 0 disables. */
  readonly retries?: number;
  /** Per-try timeout of a retry (Go duration). */
  readonly perTryTimeout?: string;
  /** Largest request body accepted, in MiB (uploads). */
  readonly maxRequestBodyMiB?: number;
  /** Serve over TLS with a cert-manager certificate (default true). */
  readonly tls?: boolean;
  /** How Envoy talks to the backend: plain HTTP/1.1 when omitted, `h2`/`tls` over TLS, `h2c` cleartext HTTP/2. */
  readonly backendProtocol?: 'h2' | 'h2c' | 'tls';
  /** Accept WebSocket upgrades on this route. */
  readonly websockets?: boolean;
}

/** A metrics endpoint the monitoring component scrapes. */
export interface MetricsEndpoint {
  /** Pods exposing metrics. */
  readonly pods: Endpoint;
  /** Port number. */
  readonly port: number;
  /** HTTP path, `/metrics` when omitted. */
  readonly path?: string;
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
  /** 2 MiB hugepages per pod, MiB. */
  readonly hugepagesMiB?: number;
  /** Node names it is limited to (DaemonSets with a node selector); every node when omitted. */
  readonly nodes?: readonly string[];
}
