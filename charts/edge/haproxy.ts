/**
 * The edge proxy's configuration (seed 000: the HAProxy VM in front of both sites, public IPv4 and
 * IPv6). Pure rendering: the edge model and the sites in, the text of haproxy.cfg out.
 *
 * Ports 80 and 443 are relayed as TCP (TLS passes through: certificates live in the clusters) to
 * each site's Envoy floating address (`loadBalancer.fixed.ingress`), from the VM's first source
 * address (the only one Envoy's NetworkPolicy admits), with a PROXY protocol v2 header carrying
 * the client's real address; Envoy is configured to require it. Per-site names go to their site
 * (by SNI on 443, by Host on 80); every other name follows the split over the sites that serve
 * the public domain and pass the health question (health.ts), or, when none passes, over those
 * still accepting connections (the last resort).
 */
import type { EdgeProxy, Site } from '../../sites';
import { RESIZER_READINESS } from '../resizer/config';
import { CHECK_TIMING, haproxyTime, healthBounds, healthQuestion, timingKeywords, trustedCaFile, type HealthQuestion } from './health';

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
 * What a failed site's open sessions get: cut, so their clients reconnect to another site at once.
 * A site is marked down only when it cannot answer new requests (no API pod Ready, or Envoy, its
 * address or its certificate lost; one bad pod or a dependency blip the readiness probes ride out
 * does not do it). Left open, a session would keep sending its next requests there: keep-alive,
 * HTTP/2 and WebSocket connections carry many requests each for up to `timeout client` (1 h), and
 * would get Envoy's 503 or hang instead of the other site. The cost is the requests in flight, an
 * upload among them: on a site with no Ready API pod it would fail anyway (the API needs the store
 * and the bus to take it); on a site lost only to the edge's check (its certificate no longer
 * trusted, its address answering the edge badly) it is cut although it might have finished, and
 * the client retries it on the other site.
 */
const ON_DOWN = 'on-marked-down shutdown-sessions';

/**
 * The check of the public split (health.ts): HTTPS with the public name as SNI, the certificate
 * verified against the CA the edge trusts for that site and for that name, after a PROXY v2
 * header (`check-send-proxy`; traffic stays a TCP relay, only checks speak TLS). Every check makes
 * a full handshake (`no-ssl-reuse`): a resumed session presents no certificate, so a certificate
 * replaced by one the edge does not trust would not be seen until the session expired.
 */
function httpsCheck(site: Site): string {
  const { host } = healthQuestion(site);
  return `check check-send-proxy check-ssl check-sni ${host} verify required ca-file ${trustedCaFile(site)} verifyhost ${host} no-ssl-reuse ${timingKeywords(CHECK_TIMING)} ${ON_DOWN}`;
}

/** The backends the frontends turn to when every site of the split fails its health question. */
export const LAST_RESORT = 'sites-last-resort';

/** A TCP connection carrying a PROXY header: Envoy accepts connections (last resort, per-site names). */
const TCP_CHECK = `check check-send-proxy ${timingKeywords(CHECK_TIMING)} ${ON_DOWN}`;

/** Whether the edge may send the public domain's traffic to `site` (`dns.servesPublicDomain`). */
export function servesPublicDomain(site: Site): boolean {
  return site.dns.servesPublicDomain !== false;
}

/** The address the VM connects to the sites from: the first of `sourceAddresses` (a /32). */
export function edgeSourceAddress(edge: EdgeProxy): string {
  return edge.sourceAddresses[0]!.split('/')[0]!;
}

/** How a server of a backend learns its state: its own check, or another backend's server. */
type ServerState = { readonly check: (site: Site) => string } | { readonly track: string };

function serverLine(site: Site, port: number, state: ServerState): string {
  const how = 'track' in state ? `track ${state.track}/${site.name} ${ON_DOWN}` : state.check(site);
  return `    server ${site.name} ${site.loadBalancer.fixed.ingress}:${port} send-proxy-v2 ${how}`;
}

/** `server` lines of one backend of the public split: one per site serving the public domain. */
function serverLines(edge: EdgeProxy, sites: readonly Site[], port: number, state: ServerState): string[] {
  return sites.filter(servesPublicDomain).map((site) => {
    const base = serverLine(site, port, state);
    const split = edge.split;
    if (split.mode === 'active-backup') return split.active === site.name ? base : `${base} backup`;
    const weight = split.weights[site.name];
    // A site without a weight is kept in the file (visible, health-checked) but gets no traffic.
    return weight === undefined ? `${base} weight 0` : `${base} weight ${weight}`;
  });
}

/** The HTTP request of the public split's check: one for every site (they share the public domain). */
function healthRequest(sites: readonly Site[]): string[] {
  const questions = sites.filter(servesPublicDomain).map(healthQuestion);
  const same = (a: HealthQuestion, b: HealthQuestion) => a.host === b.host && a.path === b.path && a.component === b.component;
  const [first] = questions;
  if (!first || questions.some((q) => !same(q, first)))
    throw new Error(
      `the sites of the public split ask different health questions: ${questions.map((q) => `${q.host}${q.path}`).join(', ')}`,
    );
  return [
    '    option httpchk',
    `    http-check send meth GET uri ${first.path} ver HTTP/1.1 hdr Host ${first.host} hdr User-Agent haproxy-edge-check`,
    '    http-check expect status 200',
  ];
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

/** The header lines on the split's health checks and their bounds (health.ts). */
function describeHealth(sites: readonly Site[]): string[] {
  const site = sites.find(servesPublicDomain);
  if (!site) return [];
  const { host, path } = healthQuestion(site);
  const b = healthBounds();
  const s = (ms: number) => `${ms / 1000} s`;
  const { periodSeconds, failureThreshold } = RESIZER_READINESS;
  return [
    `# Health: each site of the split is asked GET https://${host}${path} through`,
    '# its Envoy (PROXY v2, SNI, certificate verified); only 200 keeps it in the split. Any live API',
    '# pod answers 200; Envoy answers 503 once no API pod is Ready (the kubelet smooths blips).',
    `# A site that answers anything else, fails TLS or refuses leaves within ${s(b.answersWrong)} (plus the checks'`,
    `# round trips), one that hangs within ${s(b.hangs)}; one whose API pods all lose the bus or the object`,
    `# store within ${s(b.podsUnready)} (readiness ${periodSeconds} s x ${failureThreshold}) + ${s(b.answersWrong)} = ${s(b.dependenciesLost)}, plus Contour updating Envoy.`,
    `# It is back within ${s(b.back)} of answering 200 (${s(b.dependenciesBack)} of its dependencies answering). When no site`,
    `# passes, the split goes to the sites whose Envoy still accepts connections (${LAST_RESORT}-*).`,
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
    ...describeHealth(sorted),
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
    `    timeout connect ${haproxyTime(CHECK_TIMING.connectTimeoutMs)}`,
    `    timeout check ${haproxyTime(CHECK_TIMING.answerTimeoutMs)}`,
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
    lines.push(
      '',
      `frontend ${name}`,
      ...bindLines(edge, port),
      ...perSiteRules(name, perSite),
      // Every site fails its health question: send the split to those still accepting connections.
      `    use_backend ${LAST_RESORT}-${name} if { nbsrv(sites-${name}) eq 0 }`,
      `    default_backend sites-${name}`,
    );
  }
  // The split: 443's servers ask the health question, 80's follow them.
  const split = (backend: string, port: number, state: ServerState, check: string[] = []) => [
    '',
    `backend ${backend}`,
    '    balance roundrobin',
    // With more than two sites, every backup site shares the load when the active one is down.
    ...(edge.split.mode === 'active-backup' ? ['    option allbackups'] : []),
    ...check,
    ...serverLines(edge, sorted, port, state),
  ];
  lines.push(
    ...split('sites-https', 443, { check: httpsCheck }, healthRequest(sorted)),
    ...split('sites-http', 80, { track: 'sites-https' }),
    ...split(`${LAST_RESORT}-https`, 443, { check: () => TCP_CHECK }),
    ...split(`${LAST_RESORT}-http`, 80, { track: `${LAST_RESORT}-https` }),
  );
  // A site's own names (Argo CD, Grafana) do not depend on the public routes: Envoy accepting connections is enough.
  for (const site of perSite) {
    lines.push('', `backend site-${site.name}-https`, serverLine(site, 443, { check: () => TCP_CHECK }));
    lines.push('', `backend site-${site.name}-http`, serverLine(site, 80, { track: `site-${site.name}-https` }));
  }
  lines.push('');
  return lines.join('\n');
}
