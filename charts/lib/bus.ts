/**
 * The contract the site's message bus (NATS JetStream) offers its clients (the resizer, anything
 * later). Clients hold a typed `Bus` and never copy URLs, subjects or account names by hand.
 */
import type { PlatformComponent } from '../component';
import type { Endpoint } from './declarations';
import type { RotatingSecret } from './workload';

/** A JetStream stream a client needs; the bus component creates it on its site. */
export interface StreamSpec {
  /** Stream name, e.g. `RESIZE`. */
  readonly name: string;
  /** Subjects captured by the stream. */
  readonly subjects: readonly string[];
  /** `workqueue` (each message consumed once), `limits` or `interest`. */
  readonly retention: 'workqueue' | 'limits' | 'interest';
  /** Replicas inside the site's cluster (1..3). */
  readonly replicas: number;
  /** Messages older than this are dropped (Go duration, e.g. `72h`). */
  readonly maxAge: string;
  /** Upper bound of the stream's size on disk, MiB. */
  readonly maxBytesMiB: number;
  /**
   * Keeps a record of every message a consumer of this stream gives up after its `maxDeliver`
   * deliveries, in a dead-letter stream beside it (docs/runbooks/dead-letters.md), and alerts on it.
   * @default none: a message given up stays in the stream unseen until `maxAge` drops it
   */
  readonly deadLetters?: DeadLetterSpec;
}

/**
 * A stream's dead letters: nats-server's MAX_DELIVERIES advisories for its consumers, which name the
 * message given up by its stream sequence (the message itself stays in the stream, see docs/bus.md).
 */
export interface DeadLetterSpec {
  /** How long a dead letter is kept (Go duration); at least the stream's own `maxAge`. */
  readonly maxAge: string;
  /** Upper bound of the dead-letter stream's size on disk, MiB. */
  readonly maxBytesMiB: number;
}

/** A durable pull consumer of a stream. */
export interface ConsumerSpec {
  /** Stream it reads. */
  readonly stream: string;
  /** Durable name. */
  readonly durable: string;
  /** How long a message may stay unacknowledged before redelivery (Go duration). */
  readonly ackWait: string;
  /** Deliveries before a message is given up. */
  readonly maxDeliver: number;
}

/**
 * Subjects a component needs on the other sites too. Only declared subjects cross the link between
 * sites (both ways); everything else, the work in the site's streams included, stays on its site.
 */
export interface CrossSiteSubjects {
  /** Subjects (wildcards allowed); none may be captured by a stream, start with `$` or be an inbox. */
  readonly subjects: readonly string[];
  /** Why the other sites need them. */
  readonly reason: string;
}

/** What a client receives to connect. */
export interface BusAccess {
  /** Client URL, e.g. `nats://bus-nats.bus.svc:4222`. */
  readonly url: string;
  /** Secret, in the client's namespace, with keys `NATS_USER` and `NATS_PASSWORD`. */
  readonly credentialsSecret: RotatingSecret;
  /** JetStream domain of the site (clients address JetStream API through it). */
  readonly domain: string;
  /** NATS account the client's user belongs to. */
  readonly account: string;
}

export interface Bus {
  /** The component that runs the bus (clients sync after it). */
  readonly component: PlatformComponent;
  /** JetStream domain of this site. */
  readonly domain: string;
  /** `host:port` of the monitoring endpoint (KEDA's nats-jetstream scaler reads lag from it). */
  readonly monitoringEndpoint: string;
  /** Pods of the bus, for network policies of components that read its monitoring port. */
  readonly pods: Endpoint;
  /** Declares a stream and its consumers. */
  declareStream(stream: StreamSpec, consumers?: readonly ConsumerSpec[]): void;
  /**
   * Gives `client` (its pods `pods`) a user allowed to publish and subscribe on the given subjects:
   * credentials Secret in the client's namespace, network flow, sync dependency.
   */
  grant(
    client: PlatformComponent,
    pods: Endpoint,
    user: string,
    permissions: { publish: readonly string[]; subscribe: readonly string[] },
  ): BusAccess;
  /**
   * Metadata of a KEDA `nats-jetstream` trigger scaling on the lag of a declared consumer (KEDA's
   * operator is allowed to read the monitoring port).
   */
  lagTrigger(consumer: ConsumerSpec): JetStreamLagTrigger;
  /** Declares subjects `client` publishes or subscribes to across sites (the link carries nothing else). */
  declareCrossSite(client: PlatformComponent, subjects: CrossSiteSubjects): void;
}

/**
 * Metadata of a KEDA `nats-jetstream` trigger reading a consumer's lag from the bus's monitoring
 * port (the client adds `lagThreshold` and, if it wants, `activationLagThreshold`).
 */
export interface JetStreamLagTrigger {
  /** `host:port` of the monitoring endpoint; KEDA finds the consumer's leader server from it. */
  readonly natsServerMonitoringEndpoint: string;
  /** NATS account of the stream. */
  readonly account: string;
  /** Stream name. */
  readonly stream: string;
  /** Durable consumer name. */
  readonly consumer: string;
}

/**
 * Subjects a client publishes to in order to pull from and acknowledge on a durable pull consumer,
 * with or without the site's JetStream domain prefix, and both forms of the ack subject (the newer
 * one carries the domain and the account hash).
 */
export function pullConsumerPublishSubjects(consumer: ConsumerSpec, domain: string): string[] {
  const { stream, durable } = consumer;
  return [
    ...[`$JS.API`, `$JS.${domain}.API`].flatMap((api) => [
      `${api}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `${api}.CONSUMER.INFO.${stream}.${durable}`,
    ]),
    `$JS.ACK.${stream}.${durable}.>`,
    `$JS.ACK.*.*.${stream}.${durable}.>`,
  ];
}
