/**
 * The link between the sites cut while both sites run: the six nats-servers from the rendered
 * configurations (test/bus-sites.ts), the leaf servers reaching the hub only through a relay that
 * stands in for its floating address (test/link-relay.ts), which the hub advertises as
 * rendered. The link is cut cleanly (connections closed), stalled briefly, then stalled until
 * both ends find it (nothing forwarded, nothing closed), and restored after each. The rendered ping settings run with their interval divided by SCALE;
 * their count is the rendered one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServerConfigInput } from '../charts/bus/config';
import { tempDir } from './helpers';
import { LinkRelay } from './link-relay';
import { asProbe, createJobsStream, publishJob, jsRequest, killServer, pullAndAck, storedJobs, type LiveSite } from './bus-sites';
import {
  crossSiteReceivers,
  durationSeconds,
  leafConnections,
  linkedThrough,
  publishCrossSite,
  startLinkedSites,
  staysCut,
  unlinked,
} from './bus-link';
import { eventually, liveTimeout } from './nats-helpers';

/** The rendered ping interval is divided by this (20 s: 5 s here). */
const SCALE = 4;

const { dir, cleanup } = tempDir('bus-link-cut-');
let relay: LinkRelay;
let sites: LiveSite[] = [];
let rendered: ServerConfigInput;
const live = (role: 'hub' | 'leaf'): LiveSite => sites.find((s) => s.site.bus.role === role)!;
const linked = () => linkedThrough(relay, live('leaf'), live('hub'));
const pingSeconds = () => durationSeconds(rendered.pingInterval) / SCALE;

/** The payload stored at `seq` in the site's JOBS. */
async function storedAt(s: LiveSite, seq: number): Promise<string> {
  const answer = await jsRequest(s.servers[2]!, '$JS.API.STREAM.MSG.GET.JOBS', { seq });
  const message = answer.message as { data: string } | undefined;
  if (!message) throw new Error(`no message ${seq} in JOBS at ${s.site.name}: ${JSON.stringify(answer)}`);
  return Buffer.from(message.data, 'base64').toString('utf8');
}

/** What each site holds and has not consumed: job id -> stream sequence. */
type Held = Map<LiveSite, Map<string, number>>;

/**
 * While the link is down: each site stores `count` jobs of its own (PubAck from its own domain,
 * none other) and its worker consumes one job (the oldest it holds). `held` is kept up to date.
 */
async function workDuringCut(held: Held, tag: string, count: number): Promise<void> {
  await Promise.all(
    sites.map(async (s) => {
      const acks = held.get(s) ?? new Map<string, number>();
      held.set(s, acks);
      expect(await storedJobs(s.servers[0]!)).toBe(acks.size);
      for (let i = 0; i < count; i++) {
        const id = `${tag}-${s.site.name}-${i}`;
        const ack = await publishJob(s.servers[1]!, id);
        expect([ack.stream, ack.domain, ack.duplicate]).toEqual(['JOBS', s.site.name, undefined]);
        acks.set(id, ack.seq);
      }
      const ackSubject = await pullAndAck(s.servers[0]!);
      // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>...: the oldest job held.
      const consumed = Number(ackSubject.split('.')[5]);
      expect(consumed).toBe(Math.min(...acks.values()));
      for (const [id, seq] of acks) if (seq === consumed) acks.delete(id);
      await eventually(`the ack applied at ${s.site.name}`, async () =>
        (await storedJobs(s.servers[0]!)) === acks.size ? true : undefined,
      );
    }),
  );
}

/**
 * Once the link is back: each site holds exactly what it acknowledged and did not consume, nothing
 * from the other site; a retry of each job (same `Nats-Msg-Id`) is a duplicate of the first
 * PubAck; the worker then consumes them all.
 */
async function nothingLostNorDoubled(held: Held, ids: readonly string[]): Promise<void> {
  for (const [s, acks] of held) {
    expect(await storedJobs(s.servers[0]!)).toBe(acks.size);
    for (const [id, seq] of acks) expect(await storedAt(s, seq)).toBe(`{"id":"${id}"}`);
    for (const id of ids.filter((i) => i.includes(`-${s.site.name}-`))) {
      const retry = await publishJob(s.servers[1]!, id);
      expect(retry.duplicate).toBe(true);
      if (acks.has(id)) expect(retry.seq).toBe(acks.get(id));
    }
    expect(await storedJobs(s.servers[0]!)).toBe(acks.size);
    for (let i = 0; i < acks.size; i++) await pullAndAck(s.servers[i % 3]!);
    acks.clear();
    await eventually(`JOBS empty at ${s.site.name}`, async () => ((await storedJobs(s.servers[0]!)) === 0 ? true : undefined));
  }
}

/** Lines a server logged after `offset` bytes of its stderr.log. */
function logSince(s: LiveSite, i: number, offset = 0): string[] {
  return fs.readFileSync(path.join(s.scripts[i]!.home, 'stderr.log')).subarray(offset).toString('utf8').split('\n');
}
const logSize = (s: LiveSite, i: number) => fs.statSync(path.join(s.scripts[i]!.home, 'stderr.log')).size;

/** Milliseconds of a log line's time stamp, on the server's clock (only differences are used). */
function logTime(line: string): number {
  const m = /(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(line);
  if (!m) throw new Error(`no time stamp in ${line}`);
  const [y, mo, d, h, mi, sec, us] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, sec) + us / 1000;
}

const PING_TIMER = / - Leafnode Ping Timer$/;
const STALE = /Leafnode connection closed: Stale Connection/;

/** Waits until every leaf server has logged a ping timer after its log's `offsets`. */
async function pingedSince(leaf: LiveSite, offsets: readonly number[]): Promise<void> {
  await eventually('a ping from every leaf server', async () =>
    leaf.servers.every((_, i) => logSince(leaf, i, offsets[i]).some((l) => PING_TIMER.test(l))) ? true : undefined,
  );
}

/**
 * What the leaf server `i` did about its stalled connection, read in its debug log from the line
 * `marker` (a client connecting just after the stall): the pings it sent after the marker (its
 * ping timers, a spoke never delays one, but the last, which closed the connection), and how long
 * before the marker its last ping went (a ping sent just before the stall may not have been
 * answered; one between the stall and the marker was not).
 */
function pingsAfterStall(leaf: LiveSite, i: number, offset: number): { sent: number; lastBeforeMs: number } {
  const since = logSince(leaf, i, offset);
  const closed = since.find((l) => STALE.test(l));
  if (!closed) throw new Error(`leaf server ${i} did not close its connection as stale:\n${since.join('\n')}`);
  const lid = /lid:\d+/.exec(closed)![0];
  const mine = logSince(leaf, i).filter((l) => l.includes(` - ${lid} - `) && PING_TIMER.test(l));
  const markerAt = logTime(since.find((l) => l.includes('Client connection created'))!);
  const before = mine.filter((l) => logTime(l) < markerAt);
  const after = mine.filter((l) => logTime(l) >= markerAt);
  return { sent: after.length - 1, lastBeforeMs: markerAt - logTime(before[before.length - 1] ?? '0000/01/01 00:00:00.000000') };
}

beforeAll(async () => {
  relay = await LinkRelay.start();
  sites = await startLinkedSites(dir, relay, SCALE, { debug: true });
  rendered = live('leaf').bus.serverConfig();
  for (const site of sites) await createJobsStream(site);
  await linked();
}, liveTimeout(10));

afterAll(async () => {
  await Promise.all(sites.flatMap((s) => s.processes).map(killServer));
  await relay?.close();
  cleanup();
});

it(
  'keeps each site working through a clean cut, goes only through the floating address, and carries again once back',
  async () => {
    const receivers = await crossSiteReceivers(sites);
    try {
      relay.cut();
      await unlinked(live('leaf'), live('hub'));
      // Each leaf server retries every second (the default reconnect), each time through the relay
      // only: the hub advertises the address the leaf dials, nothing else.
      expect(await staysCut(live('leaf'), () => relay.refused)).toBe(true);
      expect(await leafConnections(live('hub'))).toBe(0);
      const held: Held = new Map();
      await workDuringCut(held, 'cut', 3);
      await publishCrossSite(sites, 'during-cut');
      relay.restore();
      await linked();
      expect(await receivers.carriedAgain('during-cut')).toBe(true);
      await nothingLostNorDoubled(
        held,
        [0, 1, 2].flatMap((i) => sites.map((s) => `cut-${s.site.name}-${i}`)),
      );
    } finally {
      receivers.close();
      relay.restore();
    }
  },
  liveTimeout(20),
);

it(
  'rides out a stall its pings do not find: the same connections go on, and what was sent meanwhile arrives',
  async () => {
    const receivers = await crossSiteReceivers(sites);
    const leaf = live('leaf');
    const relayed = relay.relayedInAll;
    try {
      // Each site's interest known on the other before the stall.
      expect(await receivers.carriedAgain('during-short-stall')).toBe(true);
      const offsets = leaf.servers.map((_, i) => logSize(leaf, i));
      relay.stall();
      await publishCrossSite(sites, 'during-short-stall');
      // One ping of each leaf connection unanswered, fewer than ping_max: still linked.
      await pingedSince(leaf, offsets);
      // Nothing crossed while stalled: what arrives after restore() was held, not forwarded.
      expect(receivers.received('during-short-stall')).toBe(false);
      relay.restore();
      await receivers.arrived('during-short-stall');
      await linked();
      expect(relay.endsWhileStalled).toEqual([]);
      expect(relay.relayedInAll).toBe(relayed);
    } finally {
      receivers.close();
      relay.restore();
    }
  },
  liveTimeout(3),
);

it(
  'finds a stalled link by the rendered pings on both ends, keeps each site working, and carries again once back',
  async () => {
    const receivers = await crossSiteReceivers(sites);
    const leaf = live('leaf');
    const hub = live('hub');
    const interval = pingSeconds() * 1000;
    try {
      // Every leaf connection has just pinged; a fifth of an interval later, their pings have been
      // answered (loopback) and the next are most of an interval away.
      await pingedSince(
        leaf,
        leaf.servers.map((_, i) => logSize(leaf, i)),
      );
      await new Promise((r) => setTimeout(r, interval / 5));
      const offsets = leaf.servers.map((_, i) => logSize(leaf, i));
      const hubOffsets = hub.servers.map((_, i) => logSize(hub, i));
      // A client connecting marks the stall's moment in each leaf server's log, all at once just
      // after it: a ping between the stall and a marker went unanswered (counted before it).
      const stalledAt = Date.now();
      relay.stall();
      await Promise.all(leaf.servers.map((server) => asProbe(server, async () => undefined)));
      const markedMs = Date.now() - stalledAt;
      // While the stall is not yet found, as after: each site stores and consumes its own work.
      const held: Held = new Map();
      await workDuringCut(held, 'stall', 2);
      const ends = 2 * leaf.servers.length;
      // Each end of each connection closes it as stale: the leaf up to max + 1 intervals after the
      // stall, the hub (which skips a ping when it heard from the leaf within one) max + 2.
      await eventually(
        'both ends of every stalled connection closed',
        async () => (relay.endsWhileStalled.length === ends ? true : undefined),
        Math.ceil((3 * (rendered.pingMax + 1) * interval) / 250),
      );
      // No end before max intervals after its first unanswered ping, sent at the earliest a round
      // trip before the stall (processPingTimer, server/client.go).
      for (const end of relay.endsWhileStalled) expect(end.afterMs).toBeGreaterThanOrEqual(rendered.pingMax * interval - interval / 5);
      expect(new Set(relay.endsWhileStalled.map((e) => e.end))).toEqual(new Set(['leaf', 'hub']));
      leaf.servers.forEach((_, i) => {
        const { sent, lastBeforeMs } = pingsAfterStall(leaf, i, offsets[i]!);
        // Its last ping answered before the stall: exactly ping_max unanswered; else one may have
        // been on its way (its answer held by the relay) or sent before its marker, and one fewer
        // was sent after.
        if (lastBeforeMs >= interval / 10 + markedMs) expect(sent).toBe(rendered.pingMax);
        else expect([rendered.pingMax - 1, rendered.pingMax]).toContain(sent);
      });
      // The hub's ends closed as stale too, each by its own pings.
      const hubStale = hub.servers.flatMap((_, i) => logSince(hub, i, hubOffsets[i]).filter((l) => STALE.test(l)));
      expect(hubStale).toHaveLength(leaf.servers.length);
      await unlinked(leaf, hub);
      // New connections go unanswered (the leaf gives up waiting for the hub's INFO): none goes around.
      expect(await staysCut(leaf, () => relay.heldUnanswered)).toBe(true);
      await workDuringCut(held, 'stalled', 1);
      await publishCrossSite(sites, 'during-stall');
      relay.restore();
      await linked();
      expect(await receivers.carriedAgain('during-stall')).toBe(true);
      const ids = sites.flatMap((s) => [`stall-${s.site.name}-0`, `stall-${s.site.name}-1`, `stalled-${s.site.name}-0`]);
      await nothingLostNorDoubled(held, ids);
    } finally {
      receivers.close();
      relay.restore();
    }
  },
  liveTimeout(24),
);
