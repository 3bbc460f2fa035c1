/**
 * What components state about their own failure behaviour, as plain data for the views: what a
 * node loss does to each stateful workload (members, quorum, where the copies of the data are,
 * what it needs from other components and sites and what it does without them), and the health
 * signals that tell when a promise silently stopped holding. A failure-impact report combines
 * the first, a monitoring component turns the second into alerts.
 */
import type { Endpoint } from './declarations';

/** Where the copies of a stateful workload's data live on its site. */
export interface DataCopies {
  /** Complete copies of the data on the site (JetStream R3: 3; two stolon keepers: 2). */
  readonly count: number;
  /**
   * `member-node-local`: each member keeps its copy on a volume of the node it runs on, and the
   * member is pinned there; `replicated-volume`: the storage layer keeps `volumeReplicas` copies
   * on distinct nodes and the member may move.
   */
  readonly placement: 'member-node-local' | 'replicated-volume';
  /** StorageClass of the members' volumes. */
  readonly storageClass: string;
  /** Synchronous copies the storage layer keeps of each volume. */
  readonly volumeReplicas: number;
  /** Size of each member's volume, GiB. */
  readonly volumeGiB: number;
}

/** What losing one member (its node) does to the workload. */
export interface MemberLoss {
  /** `continues`: no interruption; `fails-over`: serves again after `recoverySeconds`; `stops`. */
  readonly service: 'continues' | 'fails-over' | 'stops';
  /** Usual interruption, seconds (0 when it continues): what a failover takes when nothing else goes wrong, not a bound. */
  readonly recoverySeconds: number;
  /** Acknowledged writes that can be lost: `none`, or those not yet copied to another member. */
  readonly writesAtRisk: 'none' | 'not-yet-replicated';
  /** The lost member's pod: `waits-for-its-node` (its copy is there) or `rescheduled` elsewhere. */
  readonly lostMember: 'waits-for-its-node' | 'rescheduled';
  /** For people: what happens, and how to replace a member whose node does not come back. */
  readonly description: string;
}

/** Something a workload needs from another component or site. */
export interface ResilienceDependency {
  /** A component of the same site (by name) or another site (`site:<name>`), or the Kubernetes API. */
  readonly on: string;
  /** What the workload needs from it. */
  readonly needs: string;
  /** What the workload does while it is gone. */
  readonly whenLost: string;
}

/** A stateful workload's failure behaviour, declared by its component next to its objects. */
export interface StatefulWorkloadResilience {
  /** The workload, as findings name objects: `Kind/namespace/name`. */
  readonly workload: string;
  /** Members (pods) it runs. */
  readonly members: number;
  /** Members that must be up for it to accept writes (a majority for Raft; 1 for a primary/standby pair). */
  readonly quorum: number;
  /** Whether members are spread one per node (required, not preferred): a node loss removes at most one. */
  readonly onePerNode: boolean;
  /** Where the data is. */
  readonly copies: DataCopies;
  /** What a node loss does. */
  readonly memberLoss: MemberLoss;
  /** What it needs from other components and sites. */
  readonly dependencies: readonly ResilienceDependency[];
}

/**
 * A health signal: a value read from a component's pods that tells whether a promise holds, for
 * a monitoring component to turn into an alert. The query returns one row with one number.
 */
export interface HealthSignal {
  /** Alert-style name, e.g. `PostgresStandbyNotStreaming`. */
  readonly name: string;
  /** What is wrong when it fires. */
  readonly summary: string;
  /** The runbook to follow (path in this repository). */
  readonly runbook: string;
  /** `critical`: a promise is broken now; `warning`: it will be. */
  readonly severity: 'critical' | 'warning';
  /** Where the value is read: SQL on every pod of the endpoint (the monitoring component picks the exporter). */
  readonly source: { readonly kind: 'sql'; readonly pods: Endpoint; readonly database: string; readonly query: string };
  /** The value is unhealthy when below / above the threshold... */
  readonly unhealthyWhen: { readonly comparison: 'below' | 'above'; readonly threshold: number };
  /** ...for at least this long (Go duration). */
  readonly for: string;
}

/**
 * A component's state during a failure, as the failure report shows it: `up` (serves as before),
 * `degraded` (serves, with less redundancy or a short interruption), `read-only` (answers reads,
 * refuses writes), `down` (does not serve).
 */
export type ServiceState = 'up' | 'degraded' | 'read-only' | 'down';

/** Worst first: the report keeps the worst of what applies. */
export const SERVICE_STATES: readonly ServiceState[] = ['down', 'read-only', 'degraded', 'up'];

/** What one failure does to a component: its state and why, in one line. */
export interface FailureImpact {
  readonly state: ServiceState;
  /** Why, in one line (`JetStream quorum 2 of 3 kept`). */
  readonly reason: string;
  /**
   * What is lost for good, if anything (acknowledged data, messages in flight).
   * @default nothing
   */
  readonly loses?: string;
}

/** Another component of the same site this one needs while it runs, and what it does when that one is down. */
export interface RuntimeNeed {
  /** The component needed (model/components.ts name). */
  readonly component: string;
  /** This component's impact while the needed one is down. */
  readonly whenDown: FailureImpact;
}

/**
 * How a component fails, stated next to its code (every component states it; one that does not
 * is `unknown` and fails validation). The report combines these with the site model and the
 * capacity check's placement: node losses that take a member of a declared stateful workload
 * (StatefulWorkloadResilience) or leave pods unplaced are derived, not stated.
 */
export interface FailureBehaviour {
  /** What the component does for the platform, in a few words (`JetStream bus of the site`). */
  readonly serves: string;
  /** One node of its site lost (its pods spread over the others). */
  readonly nodeLoss: FailureImpact;
  /**
   * Another site lost, as seen from this one.
   * @default up: needs nothing from another site
   */
  readonly otherSiteLoss?: FailureImpact;
  /**
   * The other sites whose loss `otherSiteLoss` describes (those this component talks to or
   * watches); the loss of any other site leaves it up, needing nothing from that site. Bounding
   * it keeps the failure report linear in the number of sites.
   * @default every other site
   */
  readonly otherSites?: readonly string[];
  /**
   * The link between the sites cut, every site up.
   * @default otherSiteLoss
   */
  readonly linkLoss?: FailureImpact;
  /**
   * The edge proxy lost.
   * @default up: takes no traffic through the edge
   */
  readonly edgeLoss?: FailureImpact;
  /**
   * The primary site's database stopped (its PostgreSQL down, the rest of that site up).
   * @default up: does not use the database
   */
  readonly databasePrimaryLoss?: FailureImpact;
  /**
   * Components of its own site it needs while it runs (not only at sync time).
   * @default none
   */
  readonly needs?: readonly RuntimeNeed[];
}

/** The worse of two impacts (the first when equal). */
export function worseImpact(a: FailureImpact, b: FailureImpact): FailureImpact {
  return SERVICE_STATES.indexOf(b.state) < SERVICE_STATES.indexOf(a.state) ? b : a;
}

/** An impact that changes nothing, with its reason. */
export const unaffected = (reason: string): FailureImpact => ({ state: 'up', reason });

/**
 * How long the pods of a lost node keep their place before they are evicted and rescheduled: the
 * `node.kubernetes.io/unreachable` toleration Kubernetes adds to every pod (DefaultTolerationSeconds).
 */
export const RESCHEDULE_SECONDS = 300;

/** A node loss to a workload of one replica: it stops until rescheduled, if it was on that node. */
export function singleReplicaNodeLoss(what: string, meanwhile: string): FailureImpact {
  return {
    state: 'degraded',
    reason: `${what} runs 1 replica: if it was on the lost node it is rescheduled after ${RESCHEDULE_SECONDS} s; meanwhile ${meanwhile}`,
  };
}

/** A node loss to replicas spread one per node: the others keep serving. */
export function spreadNodeLoss(what: string, replicas: number): FailureImpact {
  return { state: 'up', reason: `${what}: ${replicas} replicas spread over nodes, the others keep serving` };
}

/**
 * How long kube-controller-manager lets a node miss its heartbeats before it is NotReady and its
 * pods' NoExecute tolerations start counting (`--node-monitor-grace-period`, 50 s since Kubernetes
 * 1.32, kubernetes/kubernetes#126287).
 */
export const NODE_NOT_READY_SECONDS = 50;

/**
 * How long the attach-detach controller waits, after a pod's deletion, for its volume to be
 * unmounted before it detaches the volume from an unhealthy node by force (maxWaitForUnmountDuration,
 * not configurable: kubernetes/kubernetes#110721, #129805; kubernetes.io "Forced storage detach on
 * timeout"). The out-of-service taint detaches at once (docs/runbooks/node-down.md).
 */
export const FORCE_DETACH_SECONDS = 360;

/** The runbook that moves such a workload off a dead node sooner. */
export const NODE_DOWN_RUNBOOK = 'docs/runbooks/node-down.md';

/**
 * A node loss to a workload of one replica on a ReadWriteOnce volume its CSI driver attaches (a
 * VolumeAttachment per node): if the pod was on the lost node, its replacement is scheduled once
 * the toleration ends, but waits (Multi-Attach) until the volume is detached from the dead node.
 */
export function attachedVolumeNodeLoss(what: string, tolerationSeconds: number): FailureImpact {
  const seconds = NODE_NOT_READY_SECONDS + tolerationSeconds + FORCE_DETACH_SECONDS;
  return {
    state: 'down',
    reason:
      `${what} runs 1 replica on a ReadWriteOnce volume attached to its node: if it was on the lost node, its replacement ` +
      `(after ${NODE_NOT_READY_SECONDS} s to NotReady and its ${tolerationSeconds} s toleration) waits for the volume until the ` +
      `attach-detach controller detaches it by force ${FORCE_DETACH_SECONDS} s after the pod's deletion: down ${seconds} s and ` +
      `the time to attach and start (${NODE_DOWN_RUNBOOK}: sooner with the out-of-service taint)`,
  };
}
