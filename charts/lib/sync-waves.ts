import type { PlatformComponent } from '../component';

/**
 * Argo CD sync wave of each component: one more than the highest wave among its dependencies, so
 * a component is synced (and, with the Application health check on, healthy) before anything that
 * depends on it. A component whose readiness waits on another site (`syncOrder.
 * readinessDependsOnOtherSite`) goes to the last wave: Argo CD does not wait for the health of the
 * last wave, so the root's sync ends without it and nothing else waits for the other site. A
 * dependency cycle is a render error naming the cycle.
 */
export function syncWaves(components: readonly PlatformComponent[]): Map<PlatformComponent, number> {
  const base = wavesWithFloor(components, () => 0);
  const waitsOnOtherSite = components.filter((c) => c.syncOrder.waitsOnOtherSite !== undefined);
  if (waitsOnOtherSite.length === 0) return base;
  const gated = (c: PlatformComponent): boolean => waitsOnOtherSite.some((w) => w === c || dependsOn(c, w));
  const last = Math.max(0, ...components.filter((c) => !gated(c)).map((c) => base.get(c)!));
  return wavesWithFloor(components, (c) => (waitsOnOtherSite.includes(c) ? last : 0));
}

/** Whether `component` depends on `other`, directly or through its dependencies. */
export function dependsOn(component: PlatformComponent, other: PlatformComponent, seen = new Set<PlatformComponent>()): boolean {
  for (const d of component.dependencies) {
    if (d === other) return true;
    if (!seen.has(d)) {
      seen.add(d);
      if (dependsOn(d, other, seen)) return true;
    }
  }
  return false;
}

function wavesWithFloor(components: readonly PlatformComponent[], floor: (c: PlatformComponent) => number): Map<PlatformComponent, number> {
  const waves = new Map<PlatformComponent, number>();
  const visiting: PlatformComponent[] = [];
  const visit = (c: PlatformComponent): number => {
    const known = waves.get(c);
    if (known !== undefined) return known;
    if (visiting.includes(c)) {
      const cycle = [...visiting.slice(visiting.indexOf(c)), c].map((x) => x.componentName).join(' -> ');
      throw new Error(`site ${c.site.name}: dependency cycle between components: ${cycle}`);
    }
    visiting.push(c);
    const wave = c.dependencies.reduce((max, d) => Math.max(max, visit(d) + 1), floor(c));
    visiting.pop();
    waves.set(c, wave);
    return wave;
  };
  components.forEach(visit);
  return waves;
}
