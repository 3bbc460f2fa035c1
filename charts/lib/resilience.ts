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
  /** Longest interruption, seconds (0 when it continues). */
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
