/**
 * The ingress view: every component's `exposeHttp` declarations become Contour HTTPProxies.
 *
 * Contour accepts one root HTTPProxy per host name (two roots with the same fqdn are both marked
 * invalid), while several components may share a host under different path prefixes. So:
 * - one root per host, in the ingress namespace (the only root namespace Contour accepts), with the
 *   host's TLS certificate and one `include` per claimed path prefix;
 * - one child HTTPProxy per route, in the declaring component's directory and namespace, next to
 *   its Service, holding the backend, timeouts and retries.
 * The same host and path prefix claimed twice on a site is an error naming both components.
 */
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
} from '../../imports/cert-manager-cert-manager.io';
import {
  HttpProxy,
  HttpProxySpecRoutesRetryPolicyRetryOn,
  HttpProxySpecRoutesServicesProtocol,
  type HttpProxySpecRoutes,
} from '../../imports/contour-projectcontour.io';
import { PlatformError, type Finding } from '../../model/errors';
import type { Site } from '../../sites';
import type { PlatformComponent } from '../component';
import type { HttpRoute } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import { HOSTNAME } from '../../model/addresses';
import { CONTOUR_NAMESPACE, type ContourComponent } from './contour';

const PATH_PREFIX = /^\/([A-Za-z0-9._~-]+\/?)*$/;
const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$|^infinity$/;

/**
 * Key prefix of the cross-site fact each route under the public domain states (`public-route:
 * <host><prefix>`): the edge spreads the public domain over the sites that serve it, so each of
 * them must serve every such route (pipeline/validate-ingress.ts, publicRouteFindings).
 */
export const PUBLIC_ROUTE_FACT = 'public-route:';

/** Whether the edge sends `host` to the public split (under the public domain, under no site's own name). */
function isPublicHost(site: Site, sites: readonly Site[], host: string): boolean {
  const under = (domain: string) => host === domain || host.endsWith(`.${domain}`);
  return under(site.dns.publicDomain) && !sites.some((s) => s.dns.siteHostname !== undefined && under(s.dns.siteHostname));
}

/** A public host name: the same on every site, the edge chooses the site. */
export function publicHost(site: Site, label: string): string {
  return `${label}.${site.dns.publicDomain}`;
}

/** `/api/` and `/api` are the same prefix for Contour. */
function normalizePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Compares strings without locale (deterministic output). */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Includes sorted by prefix, then header-matched before the catch-all of the same prefix. */
function claimOrder(claim: Claim): string {
  return `${claim.prefix}\u0000${claim.route.header ? `0${claim.route.header.name}:${claim.route.header.contains}` : '1'}`;
}

interface Claim {
  readonly component: PlatformComponent;
  readonly route: HttpRoute;
  readonly prefix: string;
  readonly index: number;
}

function checkRoute(site: Site, claim: Claim): Finding[] {
  const { route, component } = claim;
  const at = (field: string, message: string): Finding => ({
    site: site.name,
    component: component.componentName,
    field: `exposeHttp[${claim.index}].${field}`,
    message,
  });
  const findings: Finding[] = [];
  if (!HOSTNAME.test(route.host)) findings.push(at('host', `expected a lowercase DNS name, got ${JSON.stringify(route.host)}`));
  if (!PATH_PREFIX.test(route.pathPrefix)) {
    findings.push(at('pathPrefix', `expected a path prefix starting with '/', got ${JSON.stringify(route.pathPrefix)}`));
  }
  if (route.header && (!/^[A-Za-z0-9-]+$/.test(route.header.name) || route.header.contains === '')) {
    findings.push(at('header', `expected a header name and a value to look for, got ${JSON.stringify(route.header)}`));
  }
  if (!route.backend.serviceName) findings.push(at('backend', 'the backend endpoint names no Service (give it serviceName)'));
  if (!Number.isInteger(route.port) || route.port < 1 || route.port > 65535) findings.push(at('port', 'expected a Service port'));
  for (const key of ['responseTimeout', 'idleTimeout', 'perTryTimeout'] as const) {
    const v = route[key];
    if (v !== undefined && !DURATION.test(v)) findings.push(at(key, `expected a Go duration like 30s, got ${JSON.stringify(v)}`));
  }
  if (route.retries !== undefined && (!Number.isInteger(route.retries) || route.retries < 0)) {
    findings.push(at('retries', 'expected a number of retries (0 disables them)'));
  }
  return findings;
}

function childRoute(route: HttpRoute): HttpProxySpecRoutes {
  const protocol = route.backendProtocol
    ? {
        h2: HttpProxySpecRoutesServicesProtocol.H2,
        h2c: HttpProxySpecRoutesServicesProtocol.H2C,
        tls: HttpProxySpecRoutesServicesProtocol.TLS,
      }[route.backendProtocol]
    : undefined;
  const timeouts = { response: route.responseTimeout, idle: route.idleTimeout };
  return {
    conditions: [{ prefix: '/' }],
    services: [{ name: route.backend.serviceName!, port: route.port, ...(protocol ? { protocol } : {}) }],
    ...(route.responseTimeout || route.idleTimeout ? { timeoutPolicy: timeouts } : {}),
    ...(route.retries === 0
      ? { retryPolicy: { count: -1 } }
      : route.retries !== undefined
        ? {
            retryPolicy: {
              count: route.retries,
              perTryTimeout: route.perTryTimeout,
              retryOn: [
                HttpProxySpecRoutesRetryPolicyRetryOn.VALUE_5XX,
                HttpProxySpecRoutesRetryPolicyRetryOn.RESET,
                HttpProxySpecRoutesRetryPolicyRetryOn.CONNECT_HYPHEN_FAILURE,
              ],
            },
          }
        : {}),
    ...(route.websockets ? { enableWebsockets: true } : {}),
    // Served over TLS by default: a route that opts out is reachable in plain HTTP.
    ...(route.tls === false ? { permitInsecure: true } : {}),
  };
}

/**
 * Renders the HTTPProxies and Certificates of every route declared by `components` on the
 * ingress's site. Throws a PlatformError listing every bad or colliding route.
 */
export function renderRoutes(ingress: ContourComponent, components: readonly PlatformComponent[]): void {
  const site = ingress.site;
  const claims: Claim[] = components.flatMap((component) =>
    component.declarations.routes.map((route, index) => ({ component, route, index, prefix: normalizePrefix(route.pathPrefix) })),
  );
  const findings = claims.flatMap((c) => checkRoute(site, c));
  const byKey = new Map<string, Claim>();
  for (const claim of claims) {
    const header = claim.route.header;
    const key = `${claim.route.host}${claim.prefix}${header ? ` ${header.name}~${header.contains}` : ''}`;
    const first = byKey.get(key);
    if (first) {
      const what = `host ${claim.route.host} path ${claim.prefix}${header ? ` with ${header.name} containing ${header.contains}` : ''}`;
      const by = first.component === claim.component ? 'another route of the same component' : `component ${first.component.componentName}`;
      findings.push({
        site: site.name,
        component: claim.component.componentName,
        field: `exposeHttp[${claim.index}]`,
        message: `${what} is already claimed by ${by}; components ${first.component.componentName} and ${claim.component.componentName} cannot both serve it`,
      });
    } else byKey.set(key, claim);
  }
  if (findings.length > 0) throw new PlatformError(findings);

  const hosts = [...new Set(claims.map((c) => c.route.host))].sort();
  for (const host of hosts) {
    const own = claims.filter((c) => c.route.host === host).sort((a, b) => byText(claimOrder(a), claimOrder(b)));
    const hostSlug = slug(host);
    const includes = own.map((claim) => {
      const { component, route } = claim;
      // The HTTPProxy kind comes from Contour's chart: the component syncs after it.
      component.dependOn(ingress);
      if (isPublicHost(site, ingress.sites, route.host)) {
        const path = claim.prefix === '/' ? '' : claim.prefix;
        component.stateCrossSiteFact({ key: `${PUBLIC_ROUTE_FACT}${route.host}${path}`, role: 'serves', agree: {} });
      }
      const name = `${component.componentName}-${hostSlug}${claim.prefix === '/' ? '' : `-${slug(claim.prefix)}`}${route.header ? `-${slug(route.header.contains)}` : ''}`;
      const child = new HttpProxy(component, `httpproxy-${name}`, {
        metadata: {
          name,
          namespace: route.backend.namespace,
          labels: commonLabels(component.componentName),
          // Contour 1.33 has no per-route request body limit: it is recorded here and must be
          // enforced by the backend (see docs/ingress.md).
          ...(route.maxRequestBodyMiB !== undefined
            ? { annotations: { 'platform.chataik.fr/max-request-body-mib': String(route.maxRequestBodyMiB) } }
            : {}),
        },
        spec: { routes: [childRoute(route)] },
      });
      const header = route.header ? [{ header: { name: route.header.name, contains: route.header.contains } }] : [];
      return { name: child.name, namespace: route.backend.namespace, conditions: [{ prefix: claim.prefix }, ...header] };
    });
    const tls = own.some((c) => c.route.tls !== false);
    const secretName = `${hostSlug}-tls`;
    if (tls) {
      new Certificate(ingress, `certificate-${hostSlug}`, {
        metadata: { name: hostSlug, namespace: CONTOUR_NAMESPACE, labels: commonLabels(ingress.componentName) },
        spec: {
          secretName,
          dnsNames: [host],
          issuerRef: { kind: 'ClusterIssuer', name: ingress.certManager.issuerName, group: 'cert-manager.io' },
          privateKey: {
            algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
            size: 256,
            rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
          },
        },
      });
    }
    new HttpProxy(ingress, `httpproxy-${hostSlug}`, {
      metadata: { name: hostSlug, namespace: CONTOUR_NAMESPACE, labels: commonLabels(ingress.componentName) },
      spec: {
        virtualhost: { fqdn: host, ...(tls ? { tls: { secretName, minimumProtocolVersion: '1.2' } } : {}) },
        includes,
      },
    });
  }
}
