/**
 * Rehearsal of the bus: the six nats-servers of both sites from the rendered configurations and
 * container scripts (test/bus-sites.ts), the leafnode link through a relay standing in for the
 * network between the sites, and the stream the streams job creates from its rendered JSON. Each
 * failure the report covers on this path is injected (a node's server killed, the link cut, the
 * hub site killed; two servers of a site, from the same declarations) and each site is asked to
 * store a job. A lost node is a crash: its server gets SIGKILL (killServer), so the stream leader it was
 * hands over nothing and the two others elect one (test/bus-node-loss-live.test.ts shows what
 * they keep). A stream rendered with one replica instead of three is caught.
 *
 * The link between the sites is cut with both sites up, through a relay standing in for the
 * hub's floating address (test/link-relay.ts), which the hub advertises as rendered, so a
 * leaf cannot go around it: closed (every connection closed), then stalled (nothing forwarded,
 * nothing closed, until both ends find it by the rendered pings, their interval divided by
 * PING_SCALE). A hub rendered without advertising that address is caught: a leaf reaches it
 * around the relay. test/bus-link-cut-live.test.ts shows what each site keeps through the cuts.
 */
import { streamFiles } from '../charts/bus/streams-job';
import type { ServiceState } from '../charts/lib/resilience';
import { PLATFORM } from '../sites';
import { asProbe, jsRequest, killServer, pullAndAck, restart, stopServer, streamLeader, type LiveSite, type Server } from './bus-sites';
import { tempDir } from './helpers';
import {
  crossSiteReceivers,
  leafConnections,
  hubWithoutAdvertise,
  linkedThrough,
  publishCrossSite,
  SHARED,
  startLinkedSites,
  staysCut,
  unlinked,
} from './bus-link';
import { LinkRelay } from './link-relay';
import { eventually, monitor } from './nats-helpers';
import { outcomeTitled, predictedState, predictions, Rehearsal, type Observed } from './rehearsal';

const outcomes = predictions(PLATFORM);
const { dir, cleanup } = tempDir('rehearse-bus-');
const rehearsal = new Rehearsal('bus');
let sites: LiveSite[] = [];
let relay: LinkRelay;
/** The rendered ping interval (20 s) is divided by this: a stalled link is found in 15 to 20 s by the leaf, 15 to 25 s by the hub. */
const PING_SCALE = 4;

/** How long a site whose stream leader was killed is given to store again: two elections' worth and more. */
const ELECTIONS_S = 45;

const live = (role: 'hub' | 'leaf'): LiveSite => sites.find((s) => s.site.bus.role === role)!;
const up = (s: LiveSite): Server[] => s.servers.filter((_, i) => s.processes[i]!.exitCode === null && s.processes[i]!.signalCode === null);

/** Whether the site stores a job (a PubAck from its own domain) within `seconds`, asked on a server still up. */
async function observe(s: LiveSite, subject = 'jobs.resize', seconds = 20): Promise<Observed> {
  const servers = up(s);
  if (servers.length === 0) return 'nothing';
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      // A PubAck comes in milliseconds once the stream has a leader: ask again rather than wait long.
      const answer = JSON.parse(await asProbe(servers[0]!, (c) => c.request(subject, '{}', 2000))) as Record<string, unknown>;
      if (!answer.error && answer.domain === s.site.name) return 'serves';
    } catch {
      // no PubAck yet: a leader election, or no quorum
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return 'nothing';
}

/** The server leading a stream of the site. */
const leaderOf = (s: LiveSite, stream: string): Promise<number> => streamLeader(up(s)[0]!, stream);

/** The rendered stream JSON of the site, created as the streams job does (optionally changed). */
async function createStream(s: LiveSite, change: (json: Record<string, unknown>) => Record<string, unknown> = (j) => j): Promise<string> {
  const files = streamFiles(s.bus.declaredStreams());
  const json = change(JSON.parse(files['stream-JOBS.json']!) as Record<string, unknown>);
  const name = json.name as string;
  await eventually(`stream ${name} at ${s.site.name}`, async () => {
    const answer = await jsRequest(up(s)[0]!, `$JS.API.STREAM.CREATE.${name}`, json);
    return answer.error ? undefined : answer;
  });
  const consumer = JSON.parse(files['consumer-JOBS-workers.json']!) as Record<string, unknown>;
  await eventually(`consumer workers of ${name} at ${s.site.name}`, async () => {
    const answer = await jsRequest(up(s)[0]!, `$JS.API.CONSUMER.DURABLE.CREATE.${name}.workers`, { stream_name: name, config: consumer });
    return answer.error ? undefined : answer;
  });
  return name;
}

async function healthy(s: LiveSite): Promise<void> {
  for (const server of up(s))
    await eventually('a healthy JetStream server', () => monitor(server.monitor, '/healthz?js-enabled-only=true'));
}

/** What losing `lost` of the site's servers does, from the bus's own statement (charts/bus/resilience.ts). */
function predictedForServersLost(s: LiveSite, lost: number): ServiceState {
  const w = s.bus.describe().declarations.resilience[0]!;
  return w.members - lost >= w.quorum ? 'degraded' : 'down';
}

beforeAll(async () => {
  relay = await LinkRelay.start();
  sites = await startLinkedSites(dir, relay, PING_SCALE);
  for (const s of sites) await createStream(s);
}, 90_000);

afterAll(async () => {
  rehearsal.save();
  // Killed, not stopped: nothing after needs an orderly stop.
  await Promise.all(sites.flatMap((s) => s.processes).map(killServer));
  await relay?.close();
  cleanup();
});

it('stores and consumes a job on each site, every server up', async () => {
  for (const s of sites) {
    rehearsal.component('none', `${s.site.name}/bus`, 'up', await observe(s));
    await pullAndAck(s.servers[1]!);
  }
  expect(rehearsal.disagreements()).toEqual([]);
}, 60_000);

it('keeps a site storing when the node of its stream leader is lost, and stops it (only it) when two are', async () => {
  for (const s of sites) {
    const o = outcomeTitled(outcomes, `node ${s.site.nodes[0]!.name} of ${s.site.name}`);
    // The worst server to lose: the one leading the stream (its node-local copy waits on the node).
    const leader = await leaderOf(s, 'JOBS');
    await killServer(s.processes[leader]!);
    // Up to two raft elections (4 to 9 s each; a split vote starts another), with room for a loaded machine.
    rehearsal.component(o.title, `${s.site.name}/bus`, predictedState(o, s.site.name, 'bus'), await observe(s, 'jobs.resize', ELECTIONS_S));
    s.processes[leader] = restart(s, leader);
    await healthy(s);
  }
  const hub = live('hub');
  const [a, b] = [0, 1];
  await Promise.all([killServer(hub.processes[a]!), killServer(hub.processes[b]!)]);
  rehearsal.component(
    `two nodes of ${hub.site.name}`,
    `${hub.site.name}/bus`,
    predictedForServersLost(hub, 2),
    await observe(hub, 'jobs.resize', 8),
  );
  rehearsal.component(`two nodes of ${hub.site.name}`, `${live('leaf').site.name}/bus`, 'up', await observe(live('leaf')));
  hub.processes[a] = restart(hub, a);
  hub.processes[b] = restart(hub, b);
  await healthy(hub);
  expect(rehearsal.disagreements()).toEqual([]);
}, 300_000);

it('catches a broken rendered setting: a stream of one replica stops when its server’s node is lost', async () => {
  const broken = new Rehearsal('bus-broken');
  const leaf = live('leaf');
  const o = outcomeTitled(outcomes, `node ${leaf.site.nodes[0]!.name} of ${leaf.site.name}`);
  const name = await createStream(leaf, (json) => ({ ...json, name: 'BROKEN', subjects: ['probe.broken.>'], num_replicas: 1 }));
  const holder = await leaderOf(leaf, name);
  await killServer(leaf.processes[holder]!);
  broken.component(o.title, `${leaf.site.name}/bus`, predictedState(o, leaf.site.name, 'bus'), await observe(leaf, 'probe.broken.job', 12));
  leaf.processes[holder] = restart(leaf, holder);
  await healthy(leaf);
  expect(broken.disagreements().map((r) => [r.subject, r.observed])).toEqual([[`${leaf.site.name}/bus`, 'nothing']]);
}, 120_000);

it('keeps both sites working when the link between them is cut, closed or stalled, and carries again once back', async () => {
  const o = outcomeTitled(outcomes, 'the link between the sites');
  const [hub, leaf] = [live('hub'), live('leaf')];
  await linkedThrough(relay, leaf, hub);
  for (const how of ['closed', 'stalled'] as const) {
    const failure = `${o.title}, ${how}`;
    const receivers = await crossSiteReceivers(sites);
    try {
      if (how === 'closed') relay.cut();
      else {
        relay.stall();
        // Nothing closes the connections but the servers' own pings, on both ends.
        await eventually(
          'both ends of every stalled connection closed as stale',
          async () => (relay.endsWhileStalled.length === 2 * leaf.servers.length ? true : undefined),
          240,
        );
      }
      await unlinked(leaf, hub);
      const cut = await staysCut(leaf, () => (how === 'closed' ? relay.refused : relay.heldUnanswered));
      rehearsal.fact(failure, 'the link', 'cut', cut ? 'cut' : 'reached around the floating address');
      for (const s of sites) rehearsal.component(failure, `${s.site.name}/bus`, predictedState(o, s.site.name, 'bus'), await observe(s));
      await pullAndAck(leaf.servers[0]!);
      await pullAndAck(hub.servers[0]!);
      await publishCrossSite(sites, `during-${how}`);
      relay.restore();
      await linkedThrough(relay, leaf, hub);
      const again = await receivers.carriedAgain(`during-${how}`);
      rehearsal.fact(
        failure,
        `${SHARED} (declared cross-site)`,
        'crosses once back, not what was sent meanwhile',
        again ? 'crosses once back, not what was sent meanwhile' : 'lost or late',
      );
    } finally {
      receivers.close();
      relay.restore();
    }
  }
  expect(rehearsal.disagreements()).toEqual([]);
}, 180_000);

it('catches a broken rendered setting: a hub that does not advertise its floating address is reached around it', async () => {
  const broken = new Rehearsal('bus-broken-link');
  const [hub, leaf] = [live('hub'), live('leaf')];
  const o = outcomeTitled(outcomes, 'the link between the sites');
  const rendered = await hubWithoutAdvertise(hub);
  try {
    await healthy(hub);
    await linkedThrough(relay, leaf, hub);
    relay.cut();
    // Wait for what this break causes, a leaf server linked to a hub server's own address, not for
    // a count of refused attempts: a leaf server may try the relay again before the listed address.
    const around = await eventually('a leaf server linked around the relay', async () =>
      (await leafConnections(leaf)) > 0 ? true : undefined,
    ).catch(() => false);
    broken.fact(`${o.title}, closed`, 'the link', 'cut', around ? 'reached around the floating address' : 'cut');
  } finally {
    relay.restore();
    // The tests after run on the rendered hub, whatever their order, and on leaf servers linked
    // through the relay: one that went around it stays on that connection, so they start again.
    await rendered();
    await healthy(hub);
    await Promise.all(leaf.processes.map(stopServer));
    leaf.processes.forEach((_, i) => (leaf.processes[i] = restart(leaf, i)));
    await healthy(leaf);
    await linkedThrough(relay, leaf, hub);
  }
  expect(broken.disagreements().map((r) => [r.subject, r.observed])).toEqual([['the link', 'reached around the floating address']]);
}, 120_000);

it('keeps the leaf site working when the hub site is lost', async () => {
  const hub = live('hub');
  const o = outcomeTitled(outcomes, `site ${hub.site.name}`);
  await Promise.all(hub.processes.map(killServer));
  rehearsal.component(
    o.title,
    `${live('leaf').site.name}/bus`,
    predictedState(o, live('leaf').site.name, 'bus'),
    await observe(live('leaf')),
  );
  rehearsal.component(o.title, `${hub.site.name}/bus`, predictedState(o, hub.site.name, 'bus'), await observe(hub, 'jobs.resize', 2));
  expect(rehearsal.disagreements()).toEqual([]);
}, 60_000);
