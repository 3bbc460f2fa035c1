/**
 * Dead letters: a record of every message a consumer gives up after its `max_deliver` deliveries.
 *
 * What nats-server does then (nats-io/nats-server, server/consumer.go, server/jetstream_events.go,
 * server/jetstream_api.go, read at v2.9.10 and v2.14.5; the advisory is the same in both): it
 * stops delivering the message and publishes, once, a `JSConsumerDeliveryExceededAdvisory` (type
 * `io.nats.jetstream.advisory.v1.max_deliver`; JSON `stream`, `consumer`, `stream_seq`,
 * `deliveries`, `domain`) on `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`,
 * from the consumer's leader, in the consumer's own account (the stream's, `APP`), not the system
 * account. Nothing keeps it unless something subscribes (2.14 does not even publish it then), so
 * without a dead-letter stream the message sits in its work queue, delivered to nobody and
 * counted as no backlog, until the stream's max age drops it. The message itself stays in the
 * stream (2.14.5 keeps a message that reached its max deliveries on purpose, `needAck`; 2.9.10
 * removes only what was acknowledged), so the advisory's `stream_seq` reads it back.
 */
import type { StreamSpec } from '../lib/bus';
import { goDurationNanos } from '../lib/duration';

/** Suffix of a dead-letter stream's name (the alert selects the streams by it); reserved for them. */
export const DEAD_LETTER_SUFFIX = '_DEAD';

/** The bus user operators read, replay and discard dead letters as (docs/runbooks/dead-letters.md). */
export const DEAD_LETTER_USER = 'dead-letters';
/**
 * The inbox prefix that user's client must use (`nats --inbox-prefix`): its replies come there, and it
 * may subscribe nowhere else, so it cannot read the jobs delivered to workers on their `_INBOX.` subjects.
 */
export const DEAD_LETTER_INBOX_PREFIX = '_INBOX_dead_letters';

/** The subject of the MAX_DELIVERIES advisories of `stream`'s consumers (all of them by default). */
export function maxDeliveriesSubject(stream: string, consumer = '*'): string {
  return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`;
}

/**
 * The dead-letter stream of `stream`, if it asks for one: a limits stream (its messages are read by
 * people, never consumed away) with as many copies as the stream it reports on.
 */
export function deadLetterStream(stream: StreamSpec): StreamSpec | undefined {
  if (!stream.deadLetters) return undefined;
  return {
    name: `${stream.name}${DEAD_LETTER_SUFFIX}`,
    subjects: [maxDeliveriesSubject(stream.name)],
    retention: 'limits',
    replicas: stream.replicas,
    maxAge: stream.deadLetters.maxAge,
    maxBytesMiB: stream.deadLetters.maxBytesMiB,
  };
}

/** What is wrong with a client's stream declaration as far as dead letters go (empty when fine). */
export function deadLetterProblems(stream: StreamSpec): string[] {
  const problems: string[] = [];
  if (stream.name.endsWith(DEAD_LETTER_SUFFIX)) {
    problems.push(`stream ${stream.name}: names ending in ${DEAD_LETTER_SUFFIX} are kept for dead-letter streams`);
  }
  const deadLetters = stream.deadLetters;
  if (!deadLetters) return problems;
  const keep = goDurationNanos(deadLetters.maxAge);
  const original = goDurationNanos(stream.maxAge);
  if (keep === undefined || keep <= 0) {
    problems.push(`stream ${stream.name}: deadLetters.maxAge '${deadLetters.maxAge}' is not a positive Go duration`);
  } else if (original !== undefined && keep < original) {
    // Shorter, and the alert would clear by itself while the original is still there to replay.
    problems.push(`stream ${stream.name}: dead letters must be kept at least as long as the stream keeps its messages (${stream.maxAge})`);
  }
  if (!Number.isInteger(deadLetters.maxBytesMiB) || deadLetters.maxBytesMiB <= 0) {
    problems.push(`stream ${stream.name}: deadLetters.maxBytesMiB must be a positive integer`);
  }
  return problems;
}

/**
 * What the dead-letter user may publish for one stream and its dead letters: read and delete in
 * both (JetStream API `STREAM.INFO`, `STREAM.MSG.GET`, `STREAM.MSG.DELETE`), read its consumers'
 * state, and publish on the stream's subjects to replay a job. Nothing else: it cannot create,
 * change or purge a stream, nor pull from or acknowledge on a consumer.
 */
export function deadLetterUserPublish(stream: StreamSpec, deadLetters: StreamSpec): string[] {
  return [
    ...[stream.name, deadLetters.name].flatMap((name) => ['INFO', 'MSG.GET', 'MSG.DELETE'].map((op) => `$JS.API.STREAM.${op}.${name}`)),
    `$JS.API.CONSUMER.INFO.${stream.name}.*`,
    ...stream.subjects,
  ];
}
