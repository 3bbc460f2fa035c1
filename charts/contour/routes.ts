/**
 * The ingress view: the root HTTPProxies of the site, from every component's `exposeHttp`
 * declarations.
 *
 * Contour accepts one root HTTPProxy per host name (two roots with the same fqdn are both marked
 * invalid), while several components may share a host under different path prefixes. So:
 * - one root per host, in the ingress namespace (the only root namespace Contour accepts), with the
 *   host's TLS certificate and one `include` per claimed path prefix;
 * - one child HTTPProxy per route, rendered by the declaring component in its directory and
 *   namespace, next to its Service, holding the backend, timeouts and retries (route-proxy.ts).
 * The same host and path prefix claimed twice on a site is an error naming both components.
 */
import { HttpProxy } from '../../imports/contour-projectcontour.io';
import { HOSTNAME } from '../../model/addresses';
import { PlatformError, type Finding } from '../../model/errors';
import type { Site } from '../../sites';
import type { PublicCertificatesComponent } from '../cert-manager/public-certificates';
import type { DeclaredComponent } from '../lib/declared';
import type { HttpRoute } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import { CONTOUR_NAMESPACE, type ContourComponent } from './contour';
import { childProxyName, normalizePrefix, routeKey, slug } from './route-proxy';

const PATH_PREFIX = /^\/([A-Za-z0-9._~-]+\/?)*$/;
const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$|^infinity$/;

/** Compares strings without locale (deterministic output). */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Includes sorted by prefix, then header-matched before the catch-all of the same prefix. */
function claimOrder(claim: Claim): string {
  return `${claim.prefix}\u0000${claim.route.header ? `0${claim.route.header.name}:${claim.route.header.contains}` : '1'}`;
}

interface Claim {
  readonly component: string;
  readonly route: HttpRoute;
  readonly prefix: string;
  readonly index: number;
}

function checkRoute(site: Site, claim: Claim): Finding[] {
  const { route, component } = claim;
  const at = (field: string, message: string): Finding => ({
    site: site.name,
    component,
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

/**
 * Renders the root HTTPProxies of every route `components` declare on the ingress's site, and
 * their Certificates in `certificates` (an Application synced last: the public issuer waits on
 * services outside the site). Throws a PlatformError listing every bad or colliding route.
 */
export function renderRoutes(
  ingress: ContourComponent,
  components: readonly DeclaredComponent[],
  certificates: PublicCertificatesComponent,
): void {
  const site = ingress.site;
  const claims: Claim[] = components.flatMap((component) =>
    component.declarations.routes.map((route, index) => ({
      component: component.name,
      route,
      index,
      prefix: normalizePrefix(route.pathPrefix),
    })),
  );
  const findings = claims.flatMap((c) => checkRoute(site, c));
  const byKey = new Map<string, Claim>();
  for (const claim of claims) {
    const header = claim.route.header;
    const key = routeKey(claim.route);
    const first = byKey.get(key);
    if (first) {
      const what = `host ${claim.route.host} path ${claim.prefix}${header ? ` with ${header.name} containing ${header.contains}` : ''}`;
      const by = first.component === claim.component ? 'another route of the same component' : `component ${first.component}`;
      findings.push({
        site: site.name,
        component: claim.component,
        field: `exposeHttp[${claim.index}]`,
        message: `${what} is already claimed by ${by}; components ${first.component} and ${claim.component} cannot both serve it`,
      });
    } else byKey.set(key, claim);
  }
  if (findings.length > 0) throw new PlatformError(findings);

  const hosts = [...new Set(claims.map((c) => c.route.host))].sort();
  for (const host of hosts) {
    const own = claims.filter((c) => c.route.host === host).sort((a, b) => byText(claimOrder(a), claimOrder(b)));
    const hostSlug = slug(host);
    // Each child is the declaring component's own (route-proxy.ts); the root includes it.
    const includes = own.map(({ component, route, prefix }) => {
      const header = route.header ? [{ header: { name: route.header.name, contains: route.header.contains } }] : [];
      return { name: childProxyName(component, route), namespace: route.backend.namespace, conditions: [{ prefix }, ...header] };
    });
    const tls = own.some((c) => c.route.tls !== false);
    const secretName = `${hostSlug}-tls`;
    if (tls) certificates.certificate({ name: hostSlug, namespace: CONTOUR_NAMESPACE, host, secretName });
    new HttpProxy(ingress, `httpproxy-${hostSlug}`, {
      metadata: { name: hostSlug, namespace: CONTOUR_NAMESPACE, labels: commonLabels(ingress.componentName) },
      spec: {
        virtualhost: { fqdn: host, ...(tls ? { tls: { secretName, minimumProtocolVersion: '1.2' } } : {}) },
        includes,
      },
    });
  }
}
