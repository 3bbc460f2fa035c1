/**
 * Public routes against the edge: which sites the edge proxy sends each host name to (read from
 * the rendered edge/haproxy.cfg: a per-site SNI rule, else the default backend's servers that are
 * not `backup`), and which sites serve it (an HTTPProxy whose virtualhost.fqdn is that name). A
 * change that leaves a host sent to a site that no longer serves it takes that route down.
 */
import { record } from '../validate/context';
import { idOf, type TreeObject } from './objects';
import type { RiskNote } from './risk-types';

export const EDGE_CONFIG = 'edge/haproxy.cfg';

interface Server {
  readonly site: string;
  readonly backup: boolean;
}

/** How the edge's TLS frontend picks sites for a host name. */
export interface EdgeRouting {
  readonly rules: readonly { readonly host: string; readonly suffix: boolean; readonly servers: readonly Server[] }[];
  readonly defaults: readonly Server[];
}

/** The https frontend's rules and backends of a rendered haproxy.cfg (undefined if it has none). */
export function edgeRouting(cfg: string | undefined): EdgeRouting | undefined {
  if (cfg === undefined) return undefined;
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of cfg.split('\n')) {
    const header = /^(frontend|backend)\s+(\S+)/.exec(line);
    if (header) sections.set(`${header[1]} ${header[2]}`, (current = []));
    else if (/^\S/.test(line)) current = undefined;
    else current?.push(line.trim());
  }
  const servers = (backend: string): Server[] =>
    (sections.get(`backend ${backend}`) ?? [])
      .map((l) => /^server\s+(\S+)\s.*?(\sbackup)?$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ site: m[1]!, backup: m[2] !== undefined }));
  const frontend = sections.get('frontend https');
  if (!frontend) return undefined;
  const rules = frontend
    .map((l) => /^use_backend\s+(\S+)\s+if\s+\{\s*req\.ssl_sni\s+-i\s+(-m end\s+)?(\S+)\s*\}/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ host: m[3]!.replace(/^\./, ''), suffix: m[2] !== undefined, servers: servers(m[1]!) }));
  const fallback = frontend.map((l) => /^default_backend\s+(\S+)/.exec(l)?.[1]).find((b) => b !== undefined);
  return { rules, defaults: fallback ? servers(fallback) : [] };
}

/** Sites that receive the requests for `host` while every site is up. */
export function sitesFor(routing: EdgeRouting, host: string): string[] {
  const rule = routing.rules.find((r) => host === r.host || (r.suffix && host.endsWith(`.${r.host}`)));
  const servers = rule ? rule.servers : routing.defaults;
  const active = servers.filter((s) => !s.backup);
  return (active.length > 0 ? active : servers).map((s) => s.site);
}

/** An HTTPProxy with a virtual host: the site that serves that host name, and the object that says so. */
export interface ServedHost {
  readonly site: string;
  /** The HTTPProxy's `Kind/namespace/name`. */
  readonly id: string;
  readonly fqdn: string;
}

/** What lostRoutes reads of one side: the edge's configuration and every served host name. */
export interface RouteSide {
  readonly edge?: string;
  readonly served: readonly ServedHost[];
}

/** The served host names of some HTTPProxy objects. */
export function servedBy(proxies: readonly TreeObject[]): ServedHost[] {
  const served: ServedHost[] = [];
  for (const proxy of proxies) {
    const fqdn = record(record(proxy.body.spec).virtualhost).fqdn;
    if (typeof fqdn === 'string') served.push({ site: proxy.site, id: idOf(proxy), fqdn });
  }
  return served;
}

/** Host names each site serves, by site. */
function servedHosts(side: RouteSide): Map<string, Set<string>> {
  const bySite = new Map<string, Set<string>>();
  for (const { site, fqdn } of side.served) bySite.set(site, (bySite.get(site) ?? new Set()).add(fqdn));
  return bySite;
}

/** A route the change takes down: the site the edge sends it to, and where the note belongs. */
export interface LostRoute {
  readonly site: string;
  readonly host: string;
  readonly note: RiskNote;
}

/**
 * Host names that the new edge sends to a site which does not serve them, where before that site
 * served them or did not receive them (a route broken before this change is not reported again).
 */
export function lostRoutes(before: RouteSide, after: RouteSide): LostRoute[] {
  const routingAfter = edgeRouting(after.edge);
  if (!routingAfter) return [];
  const routingBefore = edgeRouting(before.edge);
  const servedBefore = servedHosts(before);
  const servedAfter = servedHosts(after);
  const hosts = [...new Set([...servedBefore.values(), ...servedAfter.values()].flatMap((s) => [...s]))].sort();
  const lost: LostRoute[] = [];
  for (const host of hosts) {
    const targets = sitesFor(routingAfter, host);
    const servers = [...servedAfter]
      .filter(([, h]) => h.has(host))
      .map(([site]) => site)
      .sort();
    for (const site of targets) {
      if (servedAfter.get(site)?.has(host)) continue;
      const wasTarget = routingBefore ? sitesFor(routingBefore, host).includes(site) : false;
      if (wasTarget && !servedBefore.get(site)?.has(host)) continue;
      const sharing = servers.filter((s) => targets.includes(s));
      const serve = (sites: string[]) => `${sites.join(', ')} still serve${sites.length === 1 ? 's' : ''} it`;
      const others =
        sharing.length > 0
          ? `; ${serve(sharing)}, so only ${site}'s share of the requests fails`
          : servers.length > 0
            ? `; ${serve(servers)}, but the edge sends it there only when ${site} is down`
            : '; no site serves it any more';
      lost.push({
        site,
        host,
        note: {
          risk: 'high',
          reason: `public route ${host} goes down: the edge sends it to ${site}, which no longer serves it (Envoy answers 404)${others}`,
        },
      });
    }
  }
  return lost;
}
