/**
 * The cross-site bus link, computed from the site models alone, so both ends of every link are
 * rendered from the same description and can never disagree on address, port, account, user or
 * Vault path.
 *
 * Why leaf nodes and not gateways: a gateway super-cluster has ONE JetStream meta group spread
 * over every server of both sites. With two equal sites (3 + 3 servers) losing a site leaves 3 of
 * 6, no majority: no stream or consumer can be created or changed, and stream leaders placed on
 * the lost site are gone, until it returns. With leaf nodes each site is its own JetStream domain
 * with its own 3-server meta group; losing the other site (or the link) leaves a site's JetStream
 * fully working, and subjects still flow between sites while the link is up.
 *
 * Leaf links form a tree (a loop of leaf connections is refused by nats-server), so one site is
 * the hub and listens; every other site dials it. The seed's firewall only needs one port opened,
 * towards the hub.
 */
import type { Site } from '../../sites';
import { oncePerModel } from '../lib/per-model';
import type { VaultKey } from '../secrets/secrets';

/** The NATS account application traffic lives in; the link binds it on both ends. */
export const APP_ACCOUNT = 'APP';
/** Leafnode port, on the hub's `loadBalancer.fixed.bus` address. */
export const LEAFNODE_PORT = 7422;

/**
 * How the servers find a dead connection, the link's among them (nats-server has no leafnode ping
 * setting of its own: `ping_interval` and `ping_max` are the server's, 2.9.10 and 2.14.5,
 * server/client.go processPingTimer). A link that stalls (packets dropped, no FIN or RST) is
 * closed by each end on the ping timer after `max` of its own pings went unanswered: the leaf,
 * which always pings, 60 to 80 s after it stalls; the hub, which skips a ping when it heard from
 * the leaf within the interval, 60 to 100 s; the defaults (2 min, 2: server/const.go) take 4 to 6
 * and 4 to 8 minutes, all the while showing the other site connected. A loss of up to about 50 s
 * is ridden out on the same connection: Linux resends at about 0.2 ... 25, 51, 102 s, so after a
 * longer one nothing gets through before the close at 60 s.
 */
export const PING = { interval: '20s', max: 3 } as const;

/** One leaf site's link to the hub. */
export interface BusLink {
  /** Site that listens (its `bus.role` is `hub`). */
  readonly hubSite: string;
  /** Site that dials. */
  readonly leafSite: string;
  /** The hub's fixed load-balancer address the leaf dials. */
  readonly hubAddress: string;
  /** TCP port on that address. */
  readonly port: number;
  /** Account bound on both ends. */
  readonly account: string;
  /** User the leaf logs in as on the hub. */
  readonly user: string;
  /** Where both ends read that user's password in Vault. */
  readonly password: VaultKey;
  /** JetStream domain of the hub. */
  readonly hubDomain: string;
  /** JetStream domain of the leaf. */
  readonly leafDomain: string;
  /** Node addresses the leaf's connections come from (pods are SNATed to their node's address). */
  readonly leafSourceAddresses: readonly string[];
}

/**
 * `host:port` of the hub's end of a link: what the leaf dials and what the hub advertises in its
 * INFO (an IPv6 address in brackets).
 */
export function hubHostPort(link: Pick<BusLink, 'hubAddress' | 'port'>): string {
  return `${link.hubAddress.includes(':') ? `[${link.hubAddress}]` : link.hubAddress}:${link.port}`;
}

/** JetStream domain of a site: its name, so `$JS.<site>.API` addresses a site's JetStream. */
export function jetStreamDomain(site: Site): string {
  return site.name;
}

/** Every link of the platform: one per leaf site that runs a bus, towards the single hub. */
export function busLinks(sites: readonly Site[]): BusLink[] {
  const runsBus = (s: Site) => !s.components?.optOut?.bus;
  const hub = sites.find((s) => s.bus.role === 'hub' && runsBus(s));
  if (!hub) return [];
  return sites
    .filter((s) => s.bus.role === 'leaf' && runsBus(s))
    .map((leaf) => ({
      hubSite: hub.name,
      leafSite: leaf.name,
      hubAddress: hub.loadBalancer.fixed.bus,
      port: LEAFNODE_PORT,
      account: APP_ACCOUNT,
      user: `leaf-${leaf.name}`,
      password: { path: `bus/leaf/${leaf.name}`, property: 'password' },
      hubDomain: jetStreamDomain(hub),
      leafDomain: jetStreamDomain(leaf),
      leafSourceAddresses: leaf.nodes.map((n) => n.address),
    }));
}

/** Every link of the model: each site asks. */
const allLinks = oncePerModel((sites: readonly Site[]): readonly BusLink[] => busLinks(sites));

/** The links a site takes part in (as hub: all of them; as leaf: its own). */
export function linksOf(site: Site, sites: readonly Site[]): BusLink[] {
  return allLinks(sites).filter((l) => l.hubSite === site.name || l.leafSite === site.name);
}
