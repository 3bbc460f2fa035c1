import type { DeclaredComponent } from './declared';
import { avoidableExternals, whyGatesNothing } from './sync-order';

/** What sync waves are computed from: a component's name, what it is synced after, and whether it waits on another site or outside. */
export type WaveInput = Pick<DeclaredComponent, 'name' | 'dependencies' | 'syncOrder'>;

/**
 * Argo CD sync wave of each component, by name: one more than the highest wave among its
 * dependencies, so a component is synced (and, with the Application health check on, healthy)
 * before anything that depends on it. A component whose readiness waits on another site
 * (`syncOrder.readinessDependsOnOtherSite`) or on a service outside the site that must gate nothing
 * (`readinessDependsOnExternal`, not unavoidable) goes to the last wave: Argo CD does not wait for
 * the health of the last wave, so the root's sync ends without it and nothing else waits for the
 * other site or that service. A dependency cycle is a render error naming the cycle.
 */
export function syncWaves(components: readonly WaveInput[], site: string): Map<string, number> {
  const base = wavesWithFloor(components, site, () => 0);
  const waitsOutside = components.filter((c) => whyGatesNothing(c.syncOrder) !== undefined);
  if (waitsOutside.length === 0) return base;
  // The last wave of what does not wait for them (they themselves included).
  const after = (c: WaveInput): boolean => waitsOutside.some((w) => w !== c && dependsOn(components, c, w));
  const last = Math.max(0, ...components.filter((c) => !after(c)).map((c) => base.get(c.name)!));
  return wavesWithFloor(components, site, (c) => (waitsOutside.includes(c) ? last : 0));
}

/** Whether `component` depends on `other`, directly or through its dependencies (all among `components`). */
export function dependsOn(components: readonly WaveInput[], component: WaveInput, other: WaveInput): boolean {
  const byName = new Map(components.map((c) => [c.name, c]));
  const seen = new Set<string>();
  const visit = (c: WaveInput): boolean =>
    c.dependencies.some((name) => {
      if (name === other.name) return true;
      if (seen.has(name)) return false;
      seen.add(name);
      const d = byName.get(name);
      return d !== undefined && visit(d);
    });
  return visit(component);
}

function wavesWithFloor(components: readonly WaveInput[], site: string, floor: (c: WaveInput) => number): Map<string, number> {
  const byName = new Map(components.map((c) => [c.name, c]));
  const waves = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (c: WaveInput): number => {
    const known = waves.get(c.name);
    if (known !== undefined) return known;
    if (visiting.includes(c.name)) {
      const cycle = [...visiting.slice(visiting.indexOf(c.name)), c.name].join(' -> ');
      throw new Error(`site ${site}: dependency cycle between components: ${cycle}`);
    }
    visiting.push(c.name);
    const wave = c.dependencies.reduce((max, name) => {
      const d = byName.get(name);
      if (!d) throw new Error(`site ${site}: component ${c.name} depends on ${name}, which this site does not render`);
      return Math.max(max, visit(d) + 1);
    }, floor(c));
    visiting.pop();
    waves.set(c.name, wave);
    return wave;
  };
  components.forEach(visit);
  return waves;
}

/** The components the implied dependencies lead to. */
export interface ImpliedBy {
  /** The component rendering every declared namespace: everything syncs after it. */
  readonly namespaces: string;
  /** The ingress, whose chart installs the HTTPProxy kind of every route. */
  readonly ingress: string;
  /**
   * The component issuing the routes' public certificates, whose readiness waits outside the site.
   * @default none
   */
  readonly publicCertificates?: string;
}

/**
 * Each component's dependencies: those it declared, and those its declarations imply, derived
 * here rather than added to the components after the fact: every component syncs after the
 * namespaces, a component with routes after the ingress, a component whose autoscalers read an
 * aggregated metrics API after the component serving it (Argo CD marks such an autoscaler
 * Degraded while the API is missing). A component with a route on a TLS host waits, as the issuer
 * of the host's certificate does, on the service outside the site that issues it: until the
 * certificate is issued, Contour skips the includes of the host's root proxy and marks the
 * route's own proxy orphaned, which Argo CD counts Degraded (pipeline/validate/sync-order-gates.ts).
 */
export function withImpliedDependencies(components: readonly DeclaredComponent[], by: ImpliedBy): DeclaredComponent[] {
  const servers = new Map(components.flatMap((c) => c.syncOrder.apis.map((api) => [api.group, c.name] as const)));
  const present = new Set(components.map((c) => c.name));
  const tlsHosts = new Set(components.flatMap((c) => c.declarations.routes.filter((r) => r.tls !== false).map((r) => r.host)));
  const issuer = components.find((c) => c.name === by.publicCertificates);
  const issuerWaitsOn = issuer ? avoidableExternals(issuer.syncOrder) : [];
  return components.map((c) => {
    const routesWait = c !== issuer && c.declarations.routes.some((r) => tlsHosts.has(r.host)) && issuerWaitsOn.length > 0;
    const syncOrder = routesWait
      ? {
          ...c.syncOrder,
          externalDependencies: [
            ...(c.syncOrder.externalDependencies ?? []),
            ...issuerWaitsOn.map((d) => ({
              service: d.service,
              reason: `its routes' HTTPProxies are orphaned (Argo CD: Degraded) until ${issuer!.name} has their host's certificate issued`,
            })),
          ],
        }
      : c.syncOrder;
    const implied = [
      by.namespaces,
      ...(c.declarations.routes.length > 0 ? [by.ingress] : []),
      ...c.autoscaled.flatMap((w) => w.metricsApis.flatMap((group) => servers.get(group) ?? [])),
    ];
    const dependencies = [...new Set([...c.dependencies, ...implied])].filter((d) => d !== c.name && present.has(d));
    return { ...c, dependencies, syncOrder };
  });
}
