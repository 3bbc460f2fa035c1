import type { PlatformComponent } from '../component';

/**
 * Argo CD sync wave of each component: one more than the highest wave among its dependencies, so
 * a component is synced (and, with the Application health check on, healthy) before anything that
 * depends on it. A dependency cycle is a render error naming the cycle.
 */
export function syncWaves(components: readonly PlatformComponent[]): Map<PlatformComponent, number> {
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
    const wave = c.dependencies.reduce((max, d) => Math.max(max, visit(d) + 1), 0);
    visiting.pop();
    waves.set(c, wave);
    return wave;
  };
  components.forEach(visit);
  return waves;
}
