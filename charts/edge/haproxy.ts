/**
 * The edge proxy's configuration (seed 000: the HAProxy VM in front of both sites, public IPv4 and
 * IPv6). Pure rendering: the edge model and the sites in, the text of haproxy.cfg out.
 *
 * Ports 80 and 443 are relayed as TCP (TLS passes through: certificates live in the clusters) to
 * each site's Envoy floating address (`loadBalancer.fixed.ingress`), from the VM's first source
 * address (the only one Envoy's NetworkPolicy admits), with a PROXY protocol v2 header carrying
 * the client's real address; Envoy is configured to require it. Per-site names go to their site
 * (by SNI on 443, by Host on 80); every other name follows the split over the sites that serve
 * the public domain.
 */
import type { EdgeProxy, Site } from '../../sites';

/** Ports the edge serves and relays, the same on the Envoy Services. */
export const EDGE_PORTS = [
  { name: 'http', port: 80 },
  { name: 'https', port: 443 },
] as const;
/** Where the Prometheus exporter and the stats page listen on the VM (loopback only). */
export const EDGE_STATS = '127.0.0.1:8404';
/** The runtime API socket (`show servers state`, drain a site by hand). */
export const EDGE_ADMIN_SOCKET = '/run/haproxy/admin.sock';

function bindLines(edge: EdgeProxy, port: number): string[] {
  return [`    bind ${edge.ipv4}:${port}`, ...(edge.ipv6 ? [`    bind [${edge.ipv6}]:${port} v6only`] : [])];
}

/**
 * Health: a TCP connection to Envoy carrying a PROXY header (check-send-proxy), as real traffic
 * does; Envoy rejects connections without one. A down site's open sessions are cut so clients
 * reconnect to the other site at once.
 */
const CHECK = 'check check-send-proxy inter 2s fall 3 rise 2 on-marked-down shutdown-sessions';

/** Whether the edge may send the public domain's traffic to `site` (`dns.servesPublicDomain`). */
export function servesPublicDomain(site: Site): boolean {
  return site.dns.servesPublicDomain !== false;
}

/** The address the VM connects to the sites from: the first of `sourceAddresses` (a /32). */
export function edgeSourceAddress(edge: EdgeProxy): string {
  return edge.sourceAddresses[0]!.split('/')[0]!;
}

/** `server` lines of one backend of the public split: one per site serving the public domain. */
function serverLines(edge: EdgeProxy, sites: readonly Site[], port: number): string[] {
  return sites.filter(servesPublicDomain).map((site) => {
    const base = `    server ${site.name} ${site.loadBalancer.fixed.ingress}:${port} send-proxy-v2 ${CHECK}`;
    const split = edge.split;
    if (split.mode === 'active-backup') return split.active === site.name ? base : `${base} backup`;
    const weight = split.weights[site.name];
    // A site without a weight is kept in the file (visible, health-checked) but gets no traffic.
    return weight === undefined ? `${base} weight 0` : `${base} weight ${weight}`;
  });
}

function describeSplit(edge: EdgeProxy, sites: readonly Site[]): string {
  const split = edge.split;
  const closed = sites.filter((s) => !servesPublicDomain(s)).map((s) => s.name);
  const never = closed.length > 0 ? `; never ${closed.join(', ')} (dns.servesPublicDomain: false)` : '';
  if (split.mode === 'active-backup') return `active/backup: ${split.active} active, the others take over when it is down${never}`;
  const names = Object.keys(split.weights).sort();
  return `weighted: ${names.map((n) => `${n}=${split.weights[n]}`).join(', ')} (connections, over healthy sites)${never}`;
}

/**
 * The rules of one frontend sending a site's own names (`dns.siteHostname` and names under it) to
 * that site: by the TLS SNI on 443 (TLS still passes through untouched), by the Host header of the
 * connection's first request on 80 (the relay stays TCP: the PROXY header is sent as on 443).
 */
function perSiteRules(name: 'http' | 'https', sites: readonly Site[]): string[] {
  if (sites.length === 0) return [];
  const [accept, fetch] = name === 'https' ? ['{ req.ssl_hello_type 1 }', 'req.ssl_sni'] : ['HTTP', 'req.hdr(host),field(1,:)'];
  return [
    '    tcp-request inspect-delay 5s',
    `    tcp-request content accept if ${accept}`,
    ...sites.flatMap((site) => {
      const host = site.dns.siteHostname!;
      return [
        `    use_backend site-${site.name}-${name} if { ${fetch} -i ${host} }`,
        `    use_backend site-${site.name}-${name} if { ${fetch} -i -m end .${host} }`,
      ];
    }),
  ];
}

/** Renders haproxy.cfg for the edge VM. */
export function renderHaproxyConfig(edge: EdgeProxy, sites: readonly Site[]): string {
  const sorted = [...sites].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [
    '# HAProxy configuration of the edge VM ' + edge.name + '. Requires HAProxy 2.6 or newer.',
    '# Rendered by `npm run synth` from sites/edge.ts and every site in sites/: do not edit by hand.',
    '# The VM pulls it from git, checks it with `haproxy -c -f` and reloads (see the README, "Edge proxy").',
    '#',
    "# Ports 80/443 are relayed as TCP to each site's Envoy floating address with a PROXY protocol v2",
    "# header carrying the client's real address (Envoy requires it on every listener).",
    `# Split policy: ${describeSplit(edge, sorted)}.`,
    '',
    'global',
    '    log /dev/log local0',
    '    log /dev/log local1 notice',
    '    chroot /var/lib/haproxy',
    `    stats socket ${EDGE_ADMIN_SOCKET} mode 660 level admin`,
    '    stats timeout 30s',
    '    user haproxy',
    '    group haproxy',
    '    daemon',
    `    maxconn ${edge.maxConnections}`,
    '',
    'defaults',
    '    log global',
    '    mode tcp',
    // Envoy's NetworkPolicy admits only the edge's source addresses: connect from the first one.
    `    source ${edgeSourceAddress(edge)}`,
    '    option tcplog',
    '    option dontlognull',
    '    option redispatch',
    '    retries 2',
    '    timeout connect 5s',
    '    timeout check 3s',
    // Long-lived chat connections (WebSockets) stay open through the relay.
    '    timeout client 1h',
    '    timeout server 1h',
    '    timeout client-fin 30s',
    '    timeout server-fin 30s',
    '',
    'frontend stats',
    '    mode http',
    `    bind ${EDGE_STATS}`,
    '    http-request use-service prometheus-exporter if { path /metrics }',
    '    stats enable',
    '    stats uri /',
    '    stats refresh 10s',
  ];
  const perSite = sorted.filter((site) => site.dns.siteHostname !== undefined);
  for (const { name, port } of EDGE_PORTS) {
    lines.push('', `frontend ${name}`, ...bindLines(edge, port), ...perSiteRules(name, perSite), `    default_backend sites-${name}`);
  }
  for (const { name, port } of EDGE_PORTS) {
    lines.push(
      '',
      `backend sites-${name}`,
      '    balance roundrobin',
      // With more than two sites, every backup site shares the load when the active one is down.
      ...(edge.split.mode === 'active-backup' ? ['    option allbackups'] : []),
      ...serverLines(edge, sorted, port),
    );
  }
  for (const { name, port } of EDGE_PORTS) {
    for (const site of perSite) {
      lines.push(
        '',
        `backend site-${site.name}-${name}`,
        `    server ${site.name} ${site.loadBalancer.fixed.ingress}:${port} send-proxy-v2 ${CHECK}`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}
