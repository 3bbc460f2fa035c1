/**
 * Streams and consumers as the JetStream API (and `nats stream add --config`) reads them, rendered
 * from the declarations of the bus's clients.
 */
import type { ConsumerSpec, StreamSpec } from '../lib/bus';
import { goDurationNanos } from '../lib/duration';
import { MAX_FILE_STORE_MIB } from './constants';
import { crossSiteProblems } from './link-subjects';

export { goDurationNanos };

function nanos(text: string, what: string): number {
  const n = goDurationNanos(text);
  if (n === undefined || n <= 0) throw new Error(`${what}: '${text}' is not a positive Go duration (e.g. 72h, 30s)`);
  return n;
}

/** Window in which JetStream drops a republished message with the same Nats-Msg-Id. */
const DUPLICATE_WINDOW = '2m';

/** The stream configuration JSON (JetStream API `StreamConfig`). */
export function streamConfigJson(stream: StreamSpec): Record<string, unknown> {
  return {
    name: stream.name,
    subjects: [...stream.subjects],
    retention: stream.retention,
    storage: 'file',
    num_replicas: stream.replicas,
    max_age: nanos(stream.maxAge, `stream ${stream.name} maxAge`),
    max_bytes: stream.maxBytesMiB * 1024 * 1024,
    max_msgs: -1,
    max_msg_size: -1,
    max_consumers: -1,
    // When the stream is full, refuse new messages rather than silently drop unprocessed work.
    discard: 'new',
    duplicate_window: nanos(DUPLICATE_WINDOW, 'duplicate window'),
  };
}

/** The consumer configuration JSON (JetStream API `ConsumerConfig`): a durable pull consumer. */
export function consumerConfigJson(consumer: ConsumerSpec): Record<string, unknown> {
  return {
    durable_name: consumer.durable,
    deliver_policy: 'all',
    ack_policy: 'explicit',
    ack_wait: nanos(consumer.ackWait, `consumer ${consumer.durable} ackWait`),
    max_deliver: consumer.maxDeliver,
    replay_policy: 'instant',
  };
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SUBJECT = /^([^\s.*>]+|\*)(\.([^\s.*>]+|\*))*(\.>)?$|^>$/;

/** Checks one declaration; returns the problems found (empty when fine). */
export function streamProblems(stream: StreamSpec, consumers: readonly ConsumerSpec[], clusterSize: number): string[] {
  const problems: string[] = [];
  if (!NAME.test(stream.name)) problems.push(`stream name '${stream.name}' must be 1-64 letters, digits, '-' or '_'`);
  if (stream.subjects.length === 0) problems.push(`stream ${stream.name} captures no subject`);
  for (const s of stream.subjects) if (!SUBJECT.test(s)) problems.push(`stream ${stream.name}: '${s}' is not a valid subject`);
  if (!Number.isInteger(stream.replicas) || stream.replicas < 1 || stream.replicas > clusterSize) {
    problems.push(`stream ${stream.name}: replicas must be 1..${clusterSize} (the site's bus servers), got ${stream.replicas}`);
  }
  if (!Number.isInteger(stream.maxBytesMiB) || stream.maxBytesMiB <= 0)
    problems.push(`stream ${stream.name}: maxBytesMiB must be a positive integer`);
  if (goDurationNanos(stream.maxAge) === undefined) problems.push(`stream ${stream.name}: maxAge '${stream.maxAge}' is not a Go duration`);
  for (const c of consumers) {
    if (c.stream !== stream.name) problems.push(`consumer ${c.durable} reads stream ${c.stream}, declared with stream ${stream.name}`);
    if (!NAME.test(c.durable)) problems.push(`consumer name '${c.durable}' must be 1-64 letters, digits, '-' or '_'`);
    if (goDurationNanos(c.ackWait) === undefined) problems.push(`consumer ${c.durable}: ackWait '${c.ackWait}' is not a Go duration`);
    if (!Number.isInteger(c.maxDeliver) || c.maxDeliver < 1) problems.push(`consumer ${c.durable}: maxDeliver must be >= 1`);
  }
  return problems;
}

/**
 * What a new stream may not do next to the streams `declared` before it on the site: take a name
 * or a subject they have, capture a subject declared cross-site, or outgrow the JetStream store
 * (every replica lives on a different server: each server stores at most one copy of a stream).
 */
export function declarationProblems(stream: StreamSpec, declared: readonly StreamSpec[], crossSite: readonly string[]): string[] {
  const problems: string[] = [];
  if (declared.some((s) => s.name === stream.name)) problems.push(`stream ${stream.name} is declared twice`);
  const overlap = stream.subjects.filter((s) => declared.some((o) => o.subjects.includes(s)));
  if (overlap.length > 0) problems.push(`stream ${stream.name}: subjects ${overlap.join(', ')} are already captured by another stream`);
  const crossing = crossSite.flatMap((s) => crossSiteProblems(s, stream.subjects));
  if (crossing.length > 0) problems.push(`stream ${stream.name} would capture cross-site subjects: ${crossing.join('; ')}`);
  const perServer = [...declared, stream].reduce((sum, s) => sum + s.maxBytesMiB, 0);
  if (perServer > MAX_FILE_STORE_MIB) {
    problems.push(`streams would need up to ${perServer} MiB per server, more than the ${MAX_FILE_STORE_MIB} MiB JetStream store`);
  }
  return problems;
}
