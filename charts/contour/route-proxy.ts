/**
 * A route's own HTTPProxy: rendered by the component that exposes the route (`exposeHttp`), in its
 * directory and the backend's namespace, next to the Service it sends to. The ingress's root
 * proxy for the host includes it (routes.ts). Also what the cross-site check learns of a route
 * under the public domain.
 */
import {
  HttpProxy,
  HttpProxySpecRoutesRetryPolicyRetryOn,
  HttpProxySpecRoutesServicesProtocol,
  type HttpProxySpecRoutes,
} from '../../imports/contour-projectcontour.io';
import type { Site } from '../../sites';
import type { PlatformComponent } from '../component';
import type { CrossSiteFact, HttpRoute } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import { oncePerModel } from '../lib/per-model';

/**
 * Key prefix of the cross-site fact each route under the public domain states (`public-route:
 * <host><prefix>`): the edge spreads the public domain over the sites that serve it, so each of
 * them must serve every such route (pipeline/validate-ingress.ts, publicRouteFindings).
 */
export const PUBLIC_ROUTE_FACT = 'public-route:';

/** A public host name: the same on every site, the edge chooses the site. */
export function publicHost(site: Site, label: string): string {
  return `${label}.${site.dns.publicDomain}`;
}

/** The sites' own names (`dns.siteHostname`): every route of every site asks. */
const siteHostnames = oncePerModel(
  (sites: readonly Site[]): ReadonlySet<string> =>
    new Set(sites.flatMap((s) => (s.dns.siteHostname === undefined ? [] : [s.dns.siteHostname]))),
);

/** Whether the edge sends `host` to the public split (under the public domain, under no site's own name). */
export function isPublicHost(site: Site, sites: readonly Site[], host: string): boolean {
  const domain = site.dns.publicDomain;
  if (host !== domain && !host.endsWith(`.${domain}`)) return false;
  const own = siteHostnames(sites);
  // Under a name: the name is `host` or what follows one of its dots.
  if (own.has(host)) return false;
  for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) if (own.has(host.slice(dot + 1))) return false;
  return true;
}

/** `/api/` and `/api` are the same prefix for Contour. */
export function normalizePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** What two routes claiming the same thing share: host, prefix and header match. */
export function routeKey(route: HttpRoute): string {
  const { header } = route;
  return `${route.host}${normalizePrefix(route.pathPrefix)}${header ? ` ${header.name}~${header.contains}` : ''}`;
}

/** The fact a route under the public domain states for the cross-site check. */
export function publicRouteFact(route: HttpRoute): CrossSiteFact {
  const prefix = normalizePrefix(route.pathPrefix);
  return { key: `${PUBLIC_ROUTE_FACT}${route.host}${prefix === '/' ? '' : prefix}`, role: 'serves', agree: {} };
}

/** The name of the HTTPProxy of `component`'s route: component, host, prefix and header match. */
export function childProxyName(component: string, route: HttpRoute): string {
  const prefix = normalizePrefix(route.pathPrefix);
  return `${component}-${slug(route.host)}${prefix === '/' ? '' : `-${slug(prefix)}`}${route.header ? `-${slug(route.header.contains)}` : ''}`;
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

/** Renders the HTTPProxy of one of `component`'s routes, holding the backend, timeouts and retries. */
export function renderChildProxy(component: PlatformComponent, route: HttpRoute): void {
  const name = childProxyName(component.componentName, route);
  new HttpProxy(component, `httpproxy-${name}`, {
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
}
