/**
 * Capacity of one site: every pod that runs steadily (our workloads, the upstream workloads
 * components declare, Argo CD) placed on the nodes as the scheduler would (spread-aware, on the
 * least allocated node), with every node up and after the loss of each node in turn; storage
 * claims times their replication against the DiskPools. Overcommit is an error unless the site
 * accepts it (`capacity.acceptOvercommit`, with a reason). Demand, placement and storage are in
 * the modules beside this one; this one turns them into findings.
 */
import type { Finding } from '../../../model/errors';
import type { RenderedSite } from '../../render';
import { DISK_EVICTION_FREE } from '../node-local';
import { podGroups, type PodGroup } from './demand';
import { place, type Scenario } from './placement';
import { storageUsage, type StorageUsage } from './storage';

export type { Scenario } from './placement';
export type { PodGroup } from './demand';
export type { StorageUsage } from './storage';
export { place, podGroups, storageUsage };

export interface CapacityReport {
  readonly site: string;
  readonly groups: readonly PodGroup[];
  readonly scenarios: readonly Scenario[];
  readonly storage: StorageUsage;
  readonly findings: readonly Finding[];
  /** Accepted overcommit, stated for the report. */
  readonly accepted?: string;
}

const pct = (used: number, total: number) => (total > 0 ? (used / total) * 100 : used > 0 ? Infinity : 0);
const mib = (n: number) => `${Math.round(n)} MiB`;

/** Capacity of one site, with its findings. */
export function checkCapacity(rendered: RenderedSite): CapacityReport {
  const { site } = rendered;
  const groups = podGroups(rendered);
  const pinnedAt = new Map<string, string[]>();
  const allUp = place(site, groups, undefined, undefined, pinnedAt);
  const scenarios = [allUp, ...(site.nodes.length > 1 ? site.nodes.map((n) => place(site, groups, n.name, undefined, pinnedAt)) : [])];
  // Every node up and every autoscaler at its maximum: what the typed min/max of a site commit to.
  const scaled = groups.some((g) => g.maxReplicas !== undefined)
    ? place(
        site,
        groups.map((g) => (g.maxReplicas !== undefined ? { ...g, replicas: Math.max(g.maxReplicas, g.replicas as number) } : g)),
        undefined,
        'autoscalers at their maximum',
        pinnedAt,
      )
    : undefined;
  const findings: Finding[] = [];
  const accept = site.capacity?.acceptOvercommit;
  const where = { site: site.name, field: 'capacity.acceptOvercommit' };
  // One finding per resource with every node up, one for the worst single-node loss, one with the
  // autoscalers at their maximum.
  const cases: { scenarios: Scenario[]; field: string; limits: { cpu: number; memory: number } }[] = [
    { scenarios: scenarios.slice(0, 1), field: '', limits: { cpu: accept?.cpuPercent ?? 100, memory: accept?.memoryPercent ?? 100 } },
    {
      scenarios: scenarios.slice(1),
      field: 'afterNodeLoss.',
      limits: {
        cpu: accept?.afterNodeLoss?.cpuPercent ?? accept?.cpuPercent ?? 100,
        memory: accept?.afterNodeLoss?.memoryPercent ?? accept?.memoryPercent ?? 100,
      },
    },
    {
      scenarios: scaled ? [scaled] : [],
      field: 'atAutoscalingMaximum.',
      limits: {
        cpu: accept?.atAutoscalingMaximum?.cpuPercent ?? accept?.cpuPercent ?? 100,
        memory: accept?.atAutoscalingMaximum?.memoryPercent ?? accept?.memoryPercent ?? 100,
      },
    },
  ];
  for (const { scenarios: group, field: prefix, limits } of cases) {
    if (group.length === 0) continue;
    const lost = group[0]!.lostNode !== undefined;
    for (const resource of ['CPU', 'memory'] as const) {
      const limit = resource === 'CPU' ? limits.cpu : limits.memory;
      const unit = resource === 'CPU' ? (x: number) => `${Math.round(x)}m` : mib;
      const over = group.flatMap((s) =>
        s.nodes
          .map((n) => {
            const [used, total] = resource === 'CPU' ? [n.cpuMillis, n.cpuAllocatable] : [n.memoryMiB, n.memoryAllocatable];
            return { s, n, used, total, p: pct(used, total) };
          })
          .filter((x) => x.p > 100.0001 && x.p > limit),
      );
      if (over.length === 0) continue;
      const worst = over.reduce((a, b) => (b.p > a.p ? b : a));
      const name = resource === 'CPU' ? 'cpuPercent' : 'memoryPercent';
      const field = `${where.field}.${prefix}${name}`;
      const total = worst.s.nodes.reduce((n, x) => n + (resource === 'CPU' ? x.cpuMillis : x.memoryMiB), 0);
      const allocatableSum = worst.s.nodes.reduce((n, x) => n + (resource === 'CPU' ? x.cpuAllocatable : x.memoryAllocatable), 0);
      findings.push({
        site: site.name,
        field,
        message:
          `${worst.s.name}: node ${worst.n.node} is asked for ${unit(worst.used)} ${resource} of ${unit(worst.total)} allocatable ` +
          `(${Math.ceil(worst.p)}%, ${unit(worst.used - worst.total)} over)${limit > 100 ? `, above the accepted ${limit}%` : ''}; ` +
          `the site's nodes together: ${unit(total)} of ${unit(allocatableSum)}` +
          `${over.length > 1 ? `; ${over.length - 1} more node(s)${lost ? ' / node-loss case(s)' : ''} over` : ''}. ` +
          `Lower requests only where they are wrong, add nodes, or accept it in sites/${site.name}.ts with a reason and ${field.split('.').slice(1).join('.')} >= ${Math.ceil(worst.p)}`,
      });
    }
  }
  for (const s of scenarios) {
    for (const n of s.nodes) {
      if (n.hugepagesMiB > 0 && (n.hugepagesAllocatable ?? 0) < n.hugepagesMiB) {
        findings.push({
          site: site.name,
          field: `nodes[${site.nodes.findIndex((x) => x.name === n.node)}].host.hugepages2MiB`,
          message: `${s.name}: node ${n.node} is asked for ${mib(n.hugepagesMiB)} of 2 MiB hugepages and ${n.hugepagesAllocatable === undefined ? 'declares none' : `reserves ${mib(n.hugepagesAllocatable)}`}`,
        });
      }
    }
    for (const name of [...new Set(s.unplaced)]) {
      const count = s.unplaced.filter((x) => x === name).length;
      findings.push({
        site: site.name,
        component: name.split(':')[0],
        message: `${s.name}: ${count} pod(s) of ${name} fit on no node (one per node, or pinned to a node that is down)`,
      });
    }
  }
  // Short-lived pods (Jobs) are not counted steadily, but each must fit in the room left somewhere
  // (with the headroom the site accepts, if it accepts overcommit).
  const base = scenarios[0]!;
  const cpuShare = (accept?.cpuPercent ?? 100) / 100;
  const memoryShare = (accept?.memoryPercent ?? 100) / 100;
  for (const g of groups.filter((x) => x.transient)) {
    const fits = base.nodes.some(
      (n) =>
        n.cpuAllocatable * cpuShare - n.cpuMillis >= g.requests.cpuMillis &&
        n.memoryAllocatable * memoryShare - n.memoryMiB >= g.requests.memoryMiB &&
        (!g.nodes || g.nodes.includes(n.node)),
    );
    if (!fits)
      findings.push({
        site: site.name,
        component: g.component,
        message: `${g.name}: a ${Math.round(g.requests.cpuMillis)}m / ${mib(g.requests.memoryMiB)} job pod fits in the room left on no node`,
      });
  }
  const storage = storageUsage(rendered);
  const storageNodes = site.nodes.filter((n) => n.dataDisks.length > 0).length;
  if (storage.neededGiB > storage.poolGiB) {
    findings.push({
      site: site.name,
      field: 'nodes[].dataDisks',
      message: `storage claims need ${storage.neededGiB.toFixed(1)} GiB with their replication, the DiskPools hold ${storage.poolGiB} GiB (${(storage.neededGiB - storage.poolGiB).toFixed(1)} GiB short)`,
    });
  }
  // Bytes of the system disk (GB) against GiB of volumes: the room before the kubelet evicts pods.
  const room = (storage.systemDiskGB * 1e9 * (1 - DISK_EVICTION_FREE)) / 2 ** 30;
  if (storage.nodeLocalGiB > room) {
    findings.push({
      site: site.name,
      field: 'nodes[].diskGB',
      message: `node-local volumes need up to ${storage.nodeLocalGiB.toFixed(1)} GiB on one node's system disk of ${storage.systemDiskGB} GB, more than the ${room.toFixed(1)} GiB below the kubelet's eviction threshold`,
    });
  }
  for (const c of storage.claims.filter((x) => x.replicas > storageNodes)) {
    findings.push({
      site: site.name,
      component: c.name.split(':')[0],
      message: `${c.name}: StorageClass ${c.storageClass} keeps ${c.replicas} replicas but the site has ${storageNodes} storage node(s)`,
    });
  }
  return {
    site: site.name,
    groups,
    scenarios: scaled ? [...scenarios, scaled] : scenarios,
    storage,
    findings,
    accepted: accept
      ? `overcommit accepted up to CPU ${accept.cpuPercent ?? 100}% / memory ${accept.memoryPercent ?? 100}% ` +
        `(after a node loss: ${accept.afterNodeLoss?.cpuPercent ?? accept.cpuPercent ?? 100}% / ${accept.afterNodeLoss?.memoryPercent ?? accept.memoryPercent ?? 100}%; ` +
        `autoscalers at their maximum: ${accept.atAutoscalingMaximum?.cpuPercent ?? accept.cpuPercent ?? 100}% / ${accept.atAutoscalingMaximum?.memoryPercent ?? accept.memoryPercent ?? 100}%): ${accept.reason}`
      : undefined,
  };
}
