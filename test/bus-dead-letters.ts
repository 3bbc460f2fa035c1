/**
 * The resizer's dead letters on a live site (test/bus-sites.ts): its rendered RESIZE stream,
 * consumer and dead-letter stream applied as the streams job applies them, a job that fails on
 * every delivery, and the runbook's requests (docs/runbooks/dead-letters.md) made as the users the
 * site renders: the API publishes, the worker pulls and naks, the `dead-letters` user reads,
 * replays and deletes.
 */
import { DEAD_LETTER_INBOX_PREFIX, DEAD_LETTER_USER, maxDeliveriesSubject } from '../charts/bus/dead-letters';
import { streamFiles } from '../charts/bus/streams-job';
import { RESIZER_CONTRACT as C, RESIZER_WORKLOADS } from '../charts/resizer/config';
import type { LiveSite, Server } from './bus-sites';
import { jsRequest } from './bus-sites';
import { dummyPassword, eventually, NatsConnection } from './nats-helpers';

type Json = Record<string, unknown>;

/** Runs `use` connected as a user the site renders (its dummy password). */
export async function asUser<T>(server: Server, user: string, use: (conn: NatsConnection) => Promise<T>): Promise<T> {
  // The runbook's user works with its own inbox prefix, as the runbook's `nats --inbox-prefix` does.
  const inboxRoot = user === DEAD_LETTER_USER ? DEAD_LETTER_INBOX_PREFIX : undefined;
  const conn = await NatsConnection.connect(server.client, user, dummyPassword(`bus-user-${user}`), inboxRoot);
  try {
    return await use(conn);
  } finally {
    conn.close();
  }
}

/** A JetStream API request as `user`; the answer parsed. */
export async function apiAs(server: Server, user: string, subject: string, payload: unknown = ''): Promise<Json> {
  return asUser(
    server,
    user,
    async (conn) => JSON.parse(await conn.request(subject, typeof payload === 'string' ? payload : JSON.stringify(payload))) as Json,
  );
}

/**
 * Creates what the rendered streams job creates for `stream` and its dead letters, in the job's
 * order (its apply.sh), from the JSON files it reads.
 */
export async function applyRenderedStreams(live: LiveSite, streams: readonly string[]): Promise<string[]> {
  const files = streamFiles(live.bus.declaredStreams());
  const applied: string[] = [];
  for (const line of files['apply.sh']!.split('\n')) {
    const step = /^apply_(stream|consumer) (\S+) (?:(\S+) )?\S+\/(\S+)$/.exec(line);
    if (!step || !streams.includes(step[2]!)) continue;
    const [, kind, stream, durable, file] = step;
    const config = JSON.parse(files[file!]!) as Json;
    const [subject, payload] =
      kind === 'stream'
        ? [`$JS.API.STREAM.CREATE.${stream}`, config]
        : [`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${durable}`, { stream_name: stream, config }];
    // A stream just created may not be known yet to the server asked.
    await eventually(`${kind} ${durable ?? stream} at ${live.site.name}`, async () => {
      const answer = await jsRequest(live.servers[0]!, subject, payload);
      return answer.error ? undefined : answer;
    });
    applied.push(durable ? `${stream}/${durable}` : stream!);
  }
  return applied;
}

/** One delivery a worker got: its payload and what its ack subject says (`$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>...`). */
export interface Delivery {
  readonly payload: string;
  readonly ack: string;
  readonly deliveries: number;
  readonly streamSeq: number;
}

/**
 * Pulls from the resizer's consumer as the worker user, `count` times, answering each delivery
 * with `answer` (`-NAK`: the job failed, deliver it again; `+ACK`: done). Returns the deliveries.
 */
export async function workerPulls(server: Server, count: number, answer: '-NAK' | '+ACK'): Promise<Delivery[]> {
  return asUser(server, RESIZER_WORKLOADS.worker, async (conn) => {
    const inbox = `_INBOX.worker${Date.now()}`;
    const got = await conn.subscribe(inbox);
    const deliveries: Delivery[] = [];
    for (let i = 0; i < count; i++) {
      await conn.publish(
        `$JS.API.CONSUMER.MSG.NEXT.${C.stream}.${C.consumer}`,
        JSON.stringify({ batch: 1, expires: 5_000_000_000 }),
        inbox,
      );
      const payload = await eventually(`delivery ${i + 1} from ${C.consumer}`, async () => got[i]);
      const ack = conn.repliesOf(inbox)[i]!;
      const tokens = ack.split('.');
      deliveries.push({ payload, ack, deliveries: Number(tokens[4]), streamSeq: Number(tokens[5]) });
      await conn.publish(ack, answer);
    }
    return deliveries;
  });
}

/**
 * What a worker pulling for `windowMs` receives (nothing, for a job given up). The pull expires with
 * the window, so no request is left waiting to take a later job; the server's empty status message
 * at expiry (a client without headers gets no status line) is not a job.
 */
export async function workerReceivesWithin(server: Server, windowMs: number): Promise<string[]> {
  return asUser(server, RESIZER_WORKLOADS.worker, async (conn) => {
    const inbox = `_INBOX.idle${Date.now()}`;
    const got = await conn.subscribe(inbox);
    const expires = windowMs * 1_000_000;
    await conn.publish(`$JS.API.CONSUMER.MSG.NEXT.${C.stream}.${C.consumer}`, JSON.stringify({ batch: 1, expires }), inbox);
    await new Promise((r) => setTimeout(r, windowMs));
    return got.filter((payload) => payload !== '');
  });
}

/** A stream's message count, asked as the dead-letter user (within a bound: a new stream elects its leader first). */
export async function messagesIn(server: Server, stream: string): Promise<number> {
  return eventually(`the state of stream ${stream}`, async () => {
    const info = await apiAs(server, DEAD_LETTER_USER, `$JS.API.STREAM.INFO.${stream}`);
    return info.error ? undefined : (info.state as { messages: number }).messages;
  });
}

/** A stored message, by sequence (and the first on `nextBySubject` from there, as the runbook walks dead letters). */
export async function storedMessage(
  server: Server,
  stream: string,
  seq: number,
  nextBySubject?: string,
): Promise<{ subject: string; seq: number; data: string } | { error: Json }> {
  const answer = await apiAs(server, DEAD_LETTER_USER, `$JS.API.STREAM.MSG.GET.${stream}`, {
    seq,
    ...(nextBySubject ? { next_by_subj: nextBySubject } : {}),
  });
  if (answer.error) return { error: answer.error as Json };
  const message = answer.message as { subject: string; seq: number; data: string };
  return { subject: message.subject, seq: message.seq, data: Buffer.from(message.data, 'base64').toString('utf8') };
}

/** The advisory subject of the resizer's consumer (what the dead-letter stream captures). */
export const RESIZER_MAX_DELIVERIES = maxDeliveriesSubject(C.stream, C.consumer);
