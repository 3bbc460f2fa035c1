/**
 * Checks of the ingress-related facts: each site's certificate issuer and the edge proxy (which is
 * not a site, so it is validated against all of them). Same style as validate-sites: every finding
 * names the file, the field and what is expected.
 */
import { PUBLIC_ROUTE_FACT } from '../charts/contour/route-proxy';
import { servesPublicDomain } from '../charts/edge/haproxy';
import type { EdgeProxy, Site } from '../sites';
import { isIPv4, isIPv6, parseRange } from '../model/addresses';
import { PlatformError, type Finding } from '../model/errors';
import type { CrossSiteSummary } from './validate/cross-site';
import { optOutReason } from '../model/components';

const HOST_PORT = /^[a-z0-9.-]+:\d{1,5}$|^\[[0-9a-f:]+\]:\d{1,5}$/i;

/** Findings about `site.certificates`. */
export function certificateFindings(site: Site): Finding[] {
  const findings: Finding[] = [];
  const report = (field: string, message: string): void => {
    findings.push({ site: site.name, field: `certificates${field}`, message });
  };
  const c = (site as { certificates?: unknown }).certificates as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object') {
    report('', "expected an issuer ({ kind: 'acme-rfc2136', ... } or { kind: 'vault-pki', ... })");
    return findings;
  }
  const text = (key: string, check: (v: string) => boolean, expected: string): void => {
    const v = c[key];
    if (typeof v !== 'string' || !check(v)) report(`.${key}`, `expected ${expected}, got ${JSON.stringify(v) ?? 'nothing'}`);
  };
  if (c.kind === 'acme-rfc2136') {
    text('server', (v) => /^https:\/\/\S+$/.test(v), 'the https URL of the ACME directory');
    text('email', (v) => /^[^@\s]+@[^@\s]+\.[a-z]+$/i.test(v), 'an e-mail address');
    text('nameserver', (v) => HOST_PORT.test(v), 'the DNS server as host:port');
    text('tsigKeyName', (v) => v.length > 0, 'the TSIG key name');
    text('tsigAlgorithm', (v) => v === 'HMACSHA256' || v === 'HMACSHA512', "'HMACSHA256' or 'HMACSHA512'");
  } else if (c.kind === 'vault-pki') {
    text('path', (v) => /^[\w-]+\/(sign|issue)\/[\w.-]+$/.test(v), 'a Vault PKI path like pki_int/sign/<role>');
    text('role', (v) => v.length > 0, 'the Vault role cert-manager logs in as');
  } else report('.kind', `expected 'acme-rfc2136' or 'vault-pki', got ${JSON.stringify(c.kind) ?? 'nothing'}`);
  return findings;
}

/** Validates the edge proxy against the sites it sends traffic to; throws a PlatformError. */
export function validateEdge(edge: EdgeProxy, sites: readonly Site[]): void {
  const findings: Finding[] = [];
  const report = (field: string, message: string): void => {
    findings.push({ field: `${field} (sites/edge.ts)`, message });
  };
  if (!isIPv4(edge.ipv4)) report('ipv4', `expected a public IPv4 address, got ${JSON.stringify(edge.ipv4)}`);
  if (edge.ipv6 !== undefined && !isIPv6(edge.ipv6)) report('ipv6', `expected an IPv6 address, got ${JSON.stringify(edge.ipv6)}`);
  if (!Array.isArray(edge.sourceAddresses) || edge.sourceAddresses.length === 0) {
    report('sourceAddresses', 'expected the CIDRs the VM connects to the sites from');
  } else {
    edge.sourceAddresses.forEach((a, i) => {
      if (typeof a !== 'string' || !a.includes('/') || parseRange(a)?.family !== 4) {
        report(`sourceAddresses[${i}]`, `expected an IPv4 CIDR (the sites have no IPv6 inside), got ${JSON.stringify(a)}`);
      } else if (i === 0 && !a.endsWith('/32')) {
        report(
          'sourceAddresses[0]',
          `expected a single address (/32): the VM connects to the sites from it (haproxy source), got ${JSON.stringify(a)}`,
        );
      }
    });
  }
  if (!Number.isInteger(edge.maxConnections) || edge.maxConnections <= 0) {
    report('maxConnections', `expected a positive integer, got ${JSON.stringify(edge.maxConnections)}`);
  }
  // The public split only ever includes sites that serve the public domain.
  const names = sites.map((s) => s.name);
  const publicNames = sites.filter(servesPublicDomain).map((s) => s.name);
  if (publicNames.length === 0) {
    findings.push({ field: 'dns.servesPublicDomain', message: 'no site serves the public domain: the edge would have nowhere to send it' });
  }
  const splitSite = (field: string, name: unknown): void => {
    if (typeof name !== 'string' || !names.includes(name)) {
      report(field, `expected one of the sites (${publicNames.join(', ')}), got ${JSON.stringify(name)}`);
    } else if (!publicNames.includes(name)) {
      report(
        field,
        `site ${name} never takes public traffic (dns.servesPublicDomain: false in sites/${name}.ts); expected one of ${publicNames.join(', ')}`,
      );
    }
  };
  const split = edge.split as { mode?: unknown; active?: unknown; weights?: unknown };
  if (split?.mode === 'active-backup') {
    splitSite('split.active', split.active);
  } else if (split?.mode === 'weighted') {
    const weights = (split.weights ?? {}) as Record<string, unknown>;
    const entries = Object.entries(weights);
    for (const [name, w] of entries) {
      splitSite(`split.weights.${name}`, name);
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 256) {
        report(`split.weights.${name}`, `expected an integer weight from 1 to 256, got ${JSON.stringify(w)}`);
      }
    }
    if (!entries.some(([name]) => publicNames.includes(name))) report('split.weights', 'expected a weight for at least one site');
  } else report('split.mode', `expected 'active-backup' or 'weighted', got ${JSON.stringify(split?.mode)}`);
  if (findings.length > 0) throw new PlatformError(findings);
}

/**
 * The edge spreads the public domain over every site that serves it, so each of them must serve
 * every route under it that another one does: a site leaving out a component with a public route
 * would answer its share of that name with nothing. Sites that never take public traffic
 * (`dns.servesPublicDomain: false`) are free.
 */
export function publicRouteFindings(sites: readonly CrossSiteSummary[]): Finding[] {
  const routesOf = (s: CrossSiteSummary): Map<string, string> =>
    new Map(
      s.components.flatMap((c) =>
        c.facts.filter((f) => f.key.startsWith(PUBLIC_ROUTE_FACT)).map((f) => [f.key.slice(PUBLIC_ROUTE_FACT.length), c.name] as const),
      ),
    );
  const publicSites = sites.filter((s) => servesPublicDomain(s.site));
  const served = new Map(publicSites.map((s) => [s.site.name, routesOf(s)]));
  const required = new Map<string, { component: string; sites: string[] }>();
  for (const s of publicSites) {
    for (const [route, component] of served.get(s.site.name)!) {
      const entry = required.get(route) ?? { component, sites: [] };
      entry.sites.push(s.site.name);
      required.set(route, entry);
    }
  }
  const findings: Finding[] = [];
  for (const s of publicSites) {
    for (const [route, { component, sites: by }] of [...required].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (served.get(s.site.name)!.has(route)) continue;
      const optedOut = optOutReason(s.site.components?.optOut, component) !== undefined;
      findings.push({
        site: s.site.name,
        component,
        field: optedOut ? `components.optOut.${component}` : 'dns.servesPublicDomain',
        message: `the edge sends ${route} to this site (it serves the public domain ${s.site.dns.publicDomain}), but it does not ${optedOut ? `run ${component}, which serves it` : 'serve it, as'} on ${by.join(', ')}: run ${component} here, or set dns.servesPublicDomain: false`,
      });
    }
  }
  return findings;
}
