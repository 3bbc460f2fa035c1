/**
 * From the one table of an upstream release (charts/<piece>/release.ts, `workloads`): the Helm
 * values that set each workload's replicas and resources, and the capacity declarations of the
 * same figures, so that what the chart runs and what the capacity check counts cannot differ.
 */
import type { PlatformComponent } from '../component';
import type { WorkloadClaim } from './declarations';
import type { ReleasedContainer, ReleasedWorkload, UpstreamRelease } from './upstream';

/** A CPU quantity as charts write it: whole cores as cores (`2`), else millicores (`50m`). */
function cpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** A memory quantity as charts write it: whole GiB as `Gi`, else `Mi`. */
function memory(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

/** A container's `resources` as the chart reads them. */
export function containerResources(c: ReleasedContainer, quantities = { cpu, memory }): Record<string, Record<string, string>> {
  const hugepages: Record<string, string> = c.hugepagesMiB !== undefined ? { hugepages2Mi: quantities.memory(c.hugepagesMiB) } : {};
  if (c.memoryLimitMiB === undefined) throw new Error(`container ${c.name ?? c.values}: resources we set need a memory limit`);
  return {
    requests: { cpu: quantities.cpu(c.cpuMillis), memory: quantities.memory(c.memoryMiB), ...hugepages },
    limits: {
      ...(c.cpuLimitMillis !== undefined ? { cpu: quantities.cpu(c.cpuLimitMillis) } : {}),
      memory: quantities.memory(c.memoryLimitMiB),
      ...hugepages,
    },
  };
}

/** Sets `value` at the dotted `path` of `values`, creating the maps on the way. */
function setAt(values: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = values;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys[keys.length - 1]!] = value;
}

/** Merges Helm values: maps key by key; anything else given twice is a mistake. */
export function mergeValues(a: Record<string, unknown>, b: Record<string, unknown>, at = ''): Record<string, unknown> {
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const here = out[key];
    if (here === undefined) out[key] = value;
    else if (isMap(here) && isMap(value)) out[key] = mergeValues(here, value, `${at}${key}.`);
    else throw new Error(`Helm value ${at}${key} is set twice`);
  }
  return out;
}

/** Where a release's workloads run on this site, by workload name (DaemonSets limited to some nodes). */
export type WorkloadNodes = Readonly<Record<string, readonly string[]>>;

/**
 * Declares the capacity of every workload of `release` that runs steadily, and returns the Helm
 * values setting their replicas and resources (none for released manifests: their patches read
 * the same table).
 */
export function releasedWorkloads(
  component: PlatformComponent,
  release: UpstreamRelease,
  nodes: WorkloadNodes = {},
  claims: Readonly<Record<string, WorkloadClaim>> = {},
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const w of release.workloads) {
    if (w.replicasValue !== undefined) setAt(values, w.replicasValue, w.replicas);
    for (const c of w.containers) if (c.values !== undefined) setAt(values, c.values, containerResources(c));
    if (!w.job)
      component.declareUpstreamWorkload({
        ...declaration(component, w, nodes[w.name]),
        ...(claims[w.name] ? { claim: claims[w.name] } : {}),
      });
  }
  return values;
}

function declaration(component: PlatformComponent, w: ReleasedWorkload, nodes?: readonly string[]) {
  const sum = (pick: (c: ReleasedContainer) => number | undefined) => w.containers.reduce((n, c) => n + (pick(c) ?? 0), 0);
  const hugepagesMiB = sum((c) => c.hugepagesMiB);
  const replicas = w.onePerNode && w.replicas !== 'perNode' ? Math.min(w.replicas, component.site.nodes.length) : w.replicas;
  return {
    name: w.name,
    namespace: component.namespace!,
    replicas,
    cpuMillis: sum((c) => c.cpuMillis),
    memoryMiB: sum((c) => c.memoryMiB),
    ...(hugepagesMiB > 0 ? { hugepagesMiB } : {}),
    ...(nodes ? { nodes } : {}),
    ...(w.podLabels ? { podLabels: w.podLabels } : {}),
    ...(w.spread ? { spread: true } : {}),
    ...(w.service ? { service: w.service } : {}),
  };
}
