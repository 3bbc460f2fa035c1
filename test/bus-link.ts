/**
 * What the tests that cut the bus link between the sites ask of the running sites: their
 * leafnode connections, the link through the relay standing in for the hub's floating address
 * (test/link-relay.ts), and the declared cross-site subjects either way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServerConfigInput } from '../charts/bus/config';
import { SITES, type Site } from '../sites';
import type { LinkRelay } from './link-relay';
import { asProbe, probeModel, restart, startSites, stopServer, testCa, type LiveSite, type StartOptions } from './bus-sites';
import { dummyPassword, eventually, monitor, NatsConnection } from './nats-helpers';

/** Seconds of a Go duration as the renderer writes them (`20s`, `2m`). */
export function durationSeconds(duration: string): number {
  const m = /^(\d+)(s|m)$/.exec(duration);
  if (!m) throw new Error(`unexpected duration ${duration}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

/** A `startSites` change: the rendered ping interval divided by `scale`, the rendered count kept. */
function scaledPings(scale: number): (site: Site, config: ServerConfigInput) => ServerConfigInput {
  return (_site, config) => ({ ...config, pingInterval: `${durationSeconds(config.pingInterval) / scale}s` });
}

/** What the probe declares cross-site (`probe.shared.from-<site>` is what each site sends). */
export const SHARED = 'probe.shared.>';

/**
 * Both sites with the probe client (SHARED declared cross-site), the leaf servers dialing `relay`
 * for the hub's floating address, the ping interval divided by `pingScale`.
 */
export function startLinkedSites(
  dir: string,
  relay: LinkRelay,
  pingScale: number,
  options: Omit<StartOptions, 'hubAddress'> = {},
): Promise<LiveSite[]> {
  return startSites(
    dir,
    SITES.map((site) => ({ site, bus: probeModel(site, dir, [SHARED]) })),
    testCa(dir),
    scaledPings(pingScale),
    { ...options, hubAddress: relay },
  );
}

/** Leafnode connections the site's servers hold now. */
export async function leafConnections(s: LiveSite): Promise<number> {
  const counts = await Promise.all(s.servers.map(async (server) => ((await monitor(server.monitor, '/leafz'))?.leafnodes as number) ?? 0));
  return counts.reduce((a, b) => a + b, 0);
}

/** Waits until every leaf server is linked to the hub, each link through the relay. */
export async function linkedThrough(relay: LinkRelay, leaf: LiveSite, hub: LiveSite): Promise<void> {
  const servers = leaf.servers.length;
  await eventually('every leaf server linked through the relay', async () =>
    (await leafConnections(leaf)) === servers && (await leafConnections(hub)) === servers && relay.relayed === servers ? true : undefined,
  );
}

/** Waits until neither site holds a leafnode connection. */
export async function unlinked(leaf: LiveSite, hub: LiveSite): Promise<void> {
  await eventually('no leafnode connection on either site', async () =>
    (await leafConnections(leaf)) === 0 && (await leafConnections(hub)) === 0 ? true : undefined,
  );
}

/**
 * Waits until the leaf servers have tried the relay twice as many times as there are leaf servers since the cut (`attempts` counts
 * them: refused, or held unanswered), or one is linked anyway; then whether the link is still cut
 * (no leaf connection went around the relay).
 */
export async function staysCut(leaf: LiveSite, attempts: () => number): Promise<boolean> {
  const from = attempts();
  await eventually(`the leaf servers trying the relay again`, async () =>
    attempts() - from >= 2 * leaf.servers.length || (await leafConnections(leaf)) > 0 ? true : undefined,
  );
  return (await leafConnections(leaf)) === 0;
}

/**
 * Subscribers on each site to the other site's declared cross-site subject
 * (`probe.shared.from-<site>`), kept across a cut, with a publisher on the other site.
 */
export async function crossSiteReceivers(sites: readonly LiveSite[]): Promise<{
  /**
   * Whether, the link back, what is published now crosses both ways and what was published while it
   * was down (`during`) never arrives (core NATS keeps nothing for the other site: published
   * first, it would have come first).
   */
  carriedAgain: (during: string) => Promise<boolean>;
  /** Waits until `payload`, published on both sites, has arrived on the other each way. */
  arrived: (payload: string) => Promise<void>;
  /** Whether `payload` has arrived on either site so far. */
  received: (payload: string) => boolean;
  close: () => void;
}> {
  const conns: NatsConnection[] = [];
  const ways = await Promise.all(
    sites.map(async (to) => {
      const from = sites.find((s) => s !== to)!;
      const receiver = await NatsConnection.connect(to.servers[2]!.client, 'probe', dummyPassword('bus-user-probe'));
      const sender = await NatsConnection.connect(from.servers[1]!.client, 'probe', dummyPassword('bus-user-probe'));
      conns.push(receiver, sender);
      const subject = crossSiteSubject(from);
      return { to, subject, sender, got: await receiver.subscribe(subject) };
    }),
  );
  return {
    carriedAgain: async (during) => {
      const each = await Promise.all(
        ways.map(async (w) => {
          let n = 0;
          await eventually(`${w.subject} carried to ${w.to.site.name}`, async () => {
            await w.sender.publish(w.subject, `after-${n++}`);
            return w.got.length > 0 ? true : undefined;
          });
          return w.got[0]!.startsWith('after-') && !w.got.includes(during);
        }),
      );
      return each.every(Boolean);
    },
    arrived: async (payload) => {
      await eventually(`${payload} on both sites`, async () => (ways.every((w) => w.got.includes(payload)) ? true : undefined));
    },
    received: (payload) => ways.some((w) => w.got.includes(payload)),
    close: () => conns.forEach((c) => c.close()),
  };
}

const crossSiteSubject = (from: LiveSite) => `probe.shared.from-${from.site.name}`;

/** Publishes `payload` on each site's declared cross-site subject. */
export async function publishCrossSite(sites: readonly LiveSite[], payload: string): Promise<void> {
  for (const from of sites) await asProbe(from.servers[1]!, (c) => c.publish(crossSiteSubject(from), payload));
}

/**
 * Restarts the hub's servers on their rendered configuration with its leafnode `advertise` line
 * removed (a broken render): each then lists its own leafnode address in its INFO (on loopback its
 * port, on the sites its pod's address), which a leaf reconnects to first. Resolves to what
 * restarts them on the rendered configuration again (for a `finally`).
 */
export async function hubWithoutAdvertise(hub: LiveSite): Promise<() => Promise<void>> {
  const files = hub.scripts.map(({ home }) => path.join(home, 'nats.conf'));
  const rendered = files.map((file) => fs.readFileSync(file, 'utf8'));
  const broken = rendered.map((text, i) => {
    const without = text.replace(/^\s*advertise: ".*"\n/m, '');
    if (without === text) throw new Error(`no leafnode advertise in ${files[i]}`);
    return without;
  });
  const restartOn = async (texts: readonly string[]) => {
    await Promise.all(hub.processes.map(stopServer));
    texts.forEach((text, i) => {
      fs.writeFileSync(files[i]!, text);
      hub.processes[i] = restart(hub, i);
    });
  };
  await restartOn(broken);
  return () => restartOn(rendered);
}
