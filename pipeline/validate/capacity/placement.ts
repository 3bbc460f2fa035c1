/**
 * Where the steady pods go on a site's nodes, as the scheduler would place them (spread-aware, on
 * the least allocated node), with every node up or one of them lost.
 */
import type { Site, SiteNode } from '../../../sites';
import { byText } from '../context';
import type { PodRequests } from '../workloads';
import type { PodGroup } from './demand';

/** A node's figures in one scenario. */
export interface NodeUsage {
  readonly node: string;
  readonly cpuMillis: number;
  readonly cpuAllocatable: number;
  readonly memoryMiB: number;
  readonly memoryAllocatable: number;
  readonly hugepagesMiB: number;
  readonly hugepagesAllocatable?: number;
  readonly pods: number;
}

/** Placement with a set of nodes up. */
export interface Scenario {
  /** `all nodes up` or `without <node>`. */
  readonly name: string;
  readonly lostNode?: string;
  readonly nodes: readonly NodeUsage[];
  /** Pods that fit on no node (at most one per node, or restricted to lost nodes). */
  readonly unplaced: readonly string[];
  /** Pods on node-local volumes of the lost node: they wait for it (not a finding: the workload says what that does). */
  readonly waiting: readonly string[];
}

function allocatable(node: SiteNode): { cpu: number; memory: number; hugepages?: number } {
  return {
    cpu: node.vcpu * 1000 - node.reserved.cpuMillis,
    memory: node.memoryMiB - node.reserved.memoryMiB - node.host.hugepages2MiB,
    hugepages: node.host.hugepages2MiB > 0 ? node.host.hugepages2MiB : undefined,
  };
}

/**
 * Places the steady pods on `up` nodes: DaemonSets first, then the largest pods on the least
 * allocated node. Pinned pods go where `pinnedAt` (the placement with every node up) put them;
 * those on the lost node wait. The placement with every node up fills `pinnedAt`.
 */
export function place(
  site: Site,
  groups: readonly PodGroup[],
  lost?: string,
  name?: string,
  pinnedAt = new Map<string, string[]>(),
): Scenario {
  const up = site.nodes.filter((n) => n.name !== lost);
  const usage = new Map(up.map((n) => [n.name, { cpu: 0, memory: 0, hugepages: 0, pods: 0 }]));
  const alloc = new Map(up.map((n) => [n.name, allocatable(n)]));
  const unplaced: string[] = [];
  const waiting: string[] = [];
  const add = (node: string, r: PodRequests) => {
    const u = usage.get(node)!;
    u.cpu += r.cpuMillis;
    u.memory += r.memoryMiB;
    u.hugepages += r.hugepagesMiB;
    u.pods += 1;
  };
  const steady = groups.filter((g) => !g.transient);
  for (const g of steady.filter((x) => x.replicas === 'perNode')) {
    for (const n of up) if (!g.nodes || g.nodes.includes(n.name)) add(n.name, g.requests);
  }
  const size = (g: PodGroup) => g.requests.cpuMillis / 1000 + g.requests.memoryMiB / 1024;
  const replicated = steady.filter((x) => x.replicas !== 'perNode').sort((a, b) => size(b) - size(a) || byText(a.name, b.name));
  for (const g of replicated) {
    const where = pinnedAt.get(g.name);
    if (g.pinned && where) {
      for (const node of where.slice(0, g.replicas as number)) {
        if (usage.has(node)) add(node, g.requests);
        else waiting.push(g.name);
      }
      continue;
    }
    const placed: string[] = [];
    if (g.pinned && !lost) pinnedAt.set(g.name, placed);
    const count = new Map<string, number>();
    const eligible = up.filter((n) => !g.nodes || g.nodes.includes(n.name)).map((n) => n.name);
    for (let r = 0; r < (g.replicas as number); r++) {
      let candidates = eligible.filter((n) => !g.onePerNode || (count.get(n) ?? 0) === 0);
      if (g.spread && candidates.length > 0) {
        const min = Math.min(...candidates.map((n) => count.get(n) ?? 0));
        candidates = candidates.filter((n) => (count.get(n) ?? 0) === min);
      }
      if (candidates.length === 0) {
        unplaced.push(g.name);
        continue;
      }
      // The scheduler's LeastAllocated score: the node with the lowest share used after placement.
      const score = (n: string) => {
        const u = usage.get(n)!;
        const a = alloc.get(n)!;
        return Math.max((u.cpu + g.requests.cpuMillis) / a.cpu, (u.memory + g.requests.memoryMiB) / a.memory);
      };
      const best = candidates.reduce((a, b) => (score(b) < score(a) ? b : a));
      add(best, g.requests);
      count.set(best, (count.get(best) ?? 0) + 1);
      placed.push(best);
    }
  }
  return {
    name: name ?? (lost ? `without ${lost}` : 'all nodes up'),
    lostNode: lost,
    unplaced,
    waiting,
    nodes: up.map((n) => {
      const u = usage.get(n.name)!;
      const a = alloc.get(n.name)!;
      return {
        node: n.name,
        cpuMillis: u.cpu,
        cpuAllocatable: a.cpu,
        memoryMiB: u.memory,
        memoryAllocatable: a.memory,
        hugepagesMiB: u.hugepages,
        hugepagesAllocatable: a.hugepages,
        pods: u.pods,
      };
    }),
  };
}
