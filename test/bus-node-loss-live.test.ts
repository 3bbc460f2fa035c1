/**
 * What a site's bus keeps when a node is lost, for real: the hub site's three nats-servers on
 * 127.0.0.1 as the pods start them (test/bus-sites.ts), the resizer's stream and consumer created
 * from their rendered JSON as the streams job creates them, and the resizer's own users.
 *
 * A node loss is a crash: the server leading the stream gets SIGKILL (its process group), so it
 * hands over nothing (SIGTERM would: Shutdown steps down every raft group it leads first,
 * stepdownRaftNodes, nats-server server.go, 2.9.10 and 2.14.5), and the two others elect a leader
 * once their raft election timeout runs out (4 to 9 s after the last heartbeat, server/raft.go; a
 * split vote starts another). The waits below allow for that without asserting how long it took.
 */
import { streamFiles } from '../charts/bus/streams-job';
import { RESIZER_CONTRACT as C, RESIZER_WORKLOADS } from '../charts/resizer/config';
import { SITES } from '../sites';
import { tempDir } from './helpers';
import {
  consumerLeader,
  ELECTION_ATTEMPTS,
  jsRequest,
  killServer,
  probeModel,
  startSites,
  streamLeader,
  testCa,
  type LiveSite,
  type PubAck,
  type Server,
  type StreamState,
} from './bus-sites';
import { applyRenderedStreams, messagesIn, storedMessage, workerPulls } from './bus-dead-letters';
import { dummyPassword, eventually, liveTimeout, NatsConnection } from './nats-helpers';

const { dir, cleanup } = tempDir('bus-node-loss-');
let site: LiveSite;

beforeAll(async () => {
  const hub = SITES.find((s) => s.bus.role === 'hub')!;
  [site] = await startSites(dir, [{ site: hub, bus: probeModel(hub, dir, []) }], testCa(dir));
  expect(await applyRenderedStreams(site, [C.stream])).toEqual([C.stream, `${C.stream}/${C.consumer}`]);
}, liveTimeout(5));

afterAll(async () => {
  // Killed, not stopped: nothing after needs an orderly stop.
  await Promise.all((site?.processes ?? []).map(killServer));
  cleanup();
});

/** One upload's job, identified as the API identifies it to JetStream: its `Nats-Msg-Id`. */
const job = (id: string) => ({ id, body: JSON.stringify({ id, key: `originals/${id}.png`, contentType: 'image/png' }) });

/** Publishes a job as the resizer's API user, with its id in `Nats-Msg-Id`; the PubAck parsed. */
async function publish(server: Server, { id, body }: ReturnType<typeof job>, answerWithinMs?: number): Promise<PubAck> {
  const user = RESIZER_WORKLOADS.api;
  const conn = await NatsConnection.connect(server.client, user, dummyPassword(`bus-user-${user}`), undefined, true);
  try {
    return JSON.parse(await conn.request(C.subject, body, answerWithinMs, { 'Nats-Msg-Id': id })) as PubAck;
  } finally {
    conn.close();
  }
}

/** The stream's state, asked of `server` (answered by its leader). */
async function streamState(server: Server): Promise<StreamState> {
  return eventually(`the state of ${C.stream}`, async () => {
    const info = await jsRequest(server, `$JS.API.STREAM.INFO.${C.stream}`, {});
    return info.error ? undefined : (info.state as StreamState);
  });
}

it(
  'stores a job published again with the same Nats-Msg-Id once, within the rendered duplicate window',
  async () => {
    const rendered = JSON.parse(streamFiles(site.bus.declaredStreams())[`stream-${C.stream}.json`]!) as { duplicate_window: number };
    expect(rendered.duplicate_window).toBe(120e9);
    const [a, b, c] = site.servers as [Server, Server, Server];
    const before = await messagesIn(a, C.stream);
    const upload = job('retried-upload');
    const first = await publish(a, upload);
    expect(first).toMatchObject({ stream: C.stream, domain: site.site.name });
    expect(first.duplicate).toBeUndefined();
    // The publisher's retry, through another server on a new connection (as after a reconnect).
    expect(await publish(b, upload)).toEqual({ ...first, duplicate: true });
    expect(await messagesIn(c, C.stream)).toBe(before + 1);
    // The same body under another id is another job.
    const other = await publish(c, { ...upload, id: 'another-upload' });
    expect(other).toMatchObject({ stream: C.stream, seq: first.seq + 1 });
    expect(other.duplicate).toBeUndefined();
    expect(await messagesIn(a, C.stream)).toBe(before + 2);
  },
  liveTimeout(3),
);

it(
  'keeps every acknowledged job when the server leading the stream is killed, and the two others store and deliver',
  async () => {
    const before = await streamState(site.servers[0]!);
    const jobs = Array.from({ length: 10 }, (_, i) => job(`before-loss-${i}`));
    const acks: PubAck[] = [];
    for (const [i, j] of jobs.entries()) acks.push(await publish(site.servers[i % 3]!, j));
    expect(acks.map((a) => [a.stream, a.seq, a.duplicate])).toEqual(jobs.map((_, i) => [C.stream, before.last_seq + i + 1, undefined]));

    // The stream leader's server is the one lost.
    const lost = await streamLeader(site.servers[0]!, C.stream);
    await killServer(site.processes[lost]!);
    const survivors = site.servers.filter((_, i) => i !== lost) as [Server, Server];

    // A publisher retries, with the same Nats-Msg-Id, until the two others have a leader: a publish
    // sent meanwhile gets no answer (and, were it stored after all, its retry is a duplicate).
    const after = job('after-loss');
    const ack = await eventually(
      'a PubAck from the two servers left',
      async () => {
        const answer = await publish(survivors[0], after, 2000);
        return answer.error ? undefined : answer;
      },
      ELECTION_ATTEMPTS,
    );
    expect(ack).toMatchObject({ stream: C.stream, domain: site.site.name, seq: before.last_seq + jobs.length + 1 });
    // Another server leads the stream now.
    expect(await streamLeader(survivors[1], C.stream)).not.toBe(lost);

    // Nothing acknowledged before the loss is missing: the count, and each job by its acknowledged sequence.
    expect(await messagesIn(survivors[1], C.stream)).toBe(before.messages + jobs.length + 1);
    for (const [i, j] of [...jobs, after].entries()) {
      const seq = [...acks, ack][i]!.seq;
      expect(await storedMessage(survivors[i % 2]!, C.stream, seq)).toEqual({ subject: C.subject, seq, data: j.body });
    }
    // The new leader knows the ids stored before the loss: a retry of an acknowledged job stores nothing.
    expect(await publish(survivors[1], jobs[0]!)).toEqual({ ...acks[0], duplicate: true });
    expect(await messagesIn(survivors[0], C.stream)).toBe(before.messages + jobs.length + 1);

    // The workers get every job, in order, from the consumer's leader among the two (elected too,
    // if it was the lost server), and their acks empty the stream.
    await consumerLeader(survivors[0], C.stream, C.consumer);
    const deliveries = await workerPulls(survivors[1], before.messages + jobs.length + 1, '+ACK');
    expect(deliveries.slice(before.messages).map((d) => [d.streamSeq, d.payload])).toEqual(
      [...jobs, after].map((j, i) => [[...acks, ack][i]!.seq, j.body]),
    );
    await eventually(`${C.stream} emptied by the acks`, async () => ((await messagesIn(survivors[0], C.stream)) === 0 ? true : undefined));
  },
  // Two waits for an election (about 70 s each at most), and the others'.
  liveTimeout(5, 2 * 70_000 + 15_000),
);
