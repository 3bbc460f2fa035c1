/**
 * Capacity of one site: every pod that runs steadily (our workloads, the upstream workloads
 * components declare, Argo CD) placed on the nodes as the scheduler would (spread-aware, on the
 * least allocated node), with every node up and after the loss of each node in turn; storage
 * claims times their replication against the DiskPools. Overcommit is an error unless the site
 * accepts it (`capacity.acceptOvercommit`, with a reason).
 */
import { scaleTargets } from '../../charts/lib/autoscaling';
import type { Site, SiteNode } from '../../sites';
import type { Finding } from '../../model/errors';
import type { RenderedSite } from '../render';
import { byText, list, objectId, record } from './context';
import { DISK_EVICTION_FREE, nodeLocalClasses, nodeLocalGiBPerNode, onNodeLocalVolumes } from './node-local';
import { hasNodeSpreading, onePerNode, parseQuantity, podRequests, podTemplateOf, type PodRequests } from './workloads';

/** Pods of one workload, as placement sees them. */
export interface PodGroup {
  /** `component: Kind/namespace/name`, for the report. */
  readonly name: string;
  readonly component: string;
  readonly requests: PodRequests;
  /** Replica count, or one per eligible node. */
  readonly replicas: number | 'perNode';
  /** The most replicas an autoscaler (HPA, KEDA ScaledObject) may run, when one scales the workload. */
  readonly maxReplicas?: number;
  /** Nodes the pods may run on (all when undefined). */
  readonly nodes?: readonly string[];
  /** Spread with maxSkew 1 over nodes. */
  readonly spread: boolean;
  /** At most one pod per node (required anti-affinity). */
  readonly onePerNode: boolean;
  /**
   * Each pod keeps its data on a node-local volume and stays on the node it was first placed on:
   * after a node loss the pod there waits for its node instead of moving.
   */
  readonly pinned?: boolean;
  /** Short-lived (Jobs): not counted in steady state, but must fit somewhere. */
  readonly transient: boolean;
}

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

/** Storage demand against the DiskPools. */
export interface StorageUsage {
  /** GiB of claims times their replication, on Mayastor classes. */
  readonly neededGiB: number;
  /** GiB of the site's DiskPools (data disks). */
  readonly poolGiB: number;
  /** Each claim counted: `component: object field`, size and replication. */
  readonly claims: readonly { readonly name: string; readonly sizeGiB: number; readonly replicas: number; readonly storageClass: string }[];
  /** GiB of node-local volumes on one node at most (each pinned StatefulSet has one member per node), on the system disk. */
  readonly nodeLocalGiB: number;
  /** Smallest system disk of the site's nodes, GB. */
  readonly systemDiskGB: number;
}

export interface CapacityReport {
  readonly site: string;
  readonly groups: readonly PodGroup[];
  readonly scenarios: readonly Scenario[];
  readonly storage: StorageUsage;
  readonly findings: readonly Finding[];
  /** Accepted overcommit, stated for the report. */
  readonly accepted?: string;
}

function allocatable(node: SiteNode): { cpu: number; memory: number; hugepages?: number } {
  return {
    cpu: node.vcpu * 1000 - node.reserved.cpuMillis,
    memory: node.memoryMiB - node.reserved.memoryMiB - node.host.hugepages2MiB,
    hugepages: node.host.hugepages2MiB > 0 ? node.host.hugepages2MiB : undefined,
  };
}

/** Every pod group of a rendered site. */
export function podGroups(rendered: RenderedSite): PodGroup[] {
  const nodeNames = rendered.site.nodes.map((n) => n.name);
  const groups: PodGroup[] = [];
  for (const w of rendered.site.systemWorkloads ?? []) {
    groups.push({
      name: `installer: ${w.name}`,
      component: 'installer',
      requests: { cpuMillis: w.cpuMillis, memoryMiB: w.memoryMiB, hugepagesMiB: 0 },
      replicas: w.replicas,
      nodes: w.controlPlaneOnly ? rendered.site.nodes.filter((n) => n.controlPlane).map((n) => n.name) : undefined,
      spread: true,
      onePerNode: false,
      transient: false,
    });
  }
  const maxima = autoscalerMaxima(rendered);
  const local = nodeLocalClasses(rendered);
  for (const c of rendered.components) {
    c.objects.forEach((object, i) => {
      if (c.patchIndexes.has(i)) return;
      const template = podTemplateOf(object);
      if (!template) return;
      const max = maxima.get(`${object.metadata.namespace ?? ''}/${object.kind}/${object.metadata.name}`);
      const selector = record(template.spec.nodeSelector);
      const host = selector['kubernetes.io/hostname'];
      groups.push({
        name: `${c.name}: ${objectId(object)}`,
        component: c.name,
        requests: podRequests(template),
        replicas: template.replicas,
        ...(max !== undefined ? { maxReplicas: max } : {}),
        nodes: typeof host === 'string' ? nodeNames.filter((n) => n === host) : undefined,
        spread: hasNodeSpreading(template.spec),
        onePerNode: onePerNode(template.spec),
        pinned: onNodeLocalVolumes(object, local),
        transient: !template.longRunning,
      });
    });
    for (const u of c.declarations.upstreamWorkloads) {
      groups.push({
        name: `${c.name}: upstream ${u.namespace}/${u.name}`,
        component: c.name,
        requests: { cpuMillis: u.cpuMillis, memoryMiB: u.memoryMiB, hugepagesMiB: u.hugepagesMiB ?? 0 },
        replicas: u.replicas,
        nodes: u.nodes,
        spread: u.spread ?? false,
        onePerNode: false,
        transient: false,
      });
    }
  }
  return groups;
}

/**
 * The most replicas each autoscaled workload may reach, from the HorizontalPodAutoscalers and KEDA
 * ScaledObjects rendered on the site, keyed `namespace/Kind/name` of the workload they scale.
 */
function autoscalerMaxima(rendered: RenderedSite): Map<string, number> {
  const maxima = new Map<string, number>();
  for (const w of scaleTargets(rendered.components.flatMap((c) => c.objects))) {
    if (w.maxReplicas !== undefined) maxima.set(`${w.namespace ?? ''}/${w.kind}/${w.name}`, w.maxReplicas);
  }
  return maxima;
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

/** Claims on the site and their replication, against the DiskPools. */
export function storageUsage(rendered: RenderedSite): StorageUsage {
  const objects = rendered.components.flatMap((c) => c.objects.map((o) => ({ o, c: c.name })));
  const classes = new Map(
    objects
      .filter(({ o }) => o.kind === 'StorageClass')
      .map(({ o }) => [o.metadata.name, { provisioner: String(o.provisioner ?? ''), repl: Number(record(o.parameters).repl ?? 1) }]),
  );
  const claims: { name: string; sizeGiB: number; replicas: number; storageClass: string }[] = [];
  const claim = (name: string, spec: Record<string, unknown>, copies: number) => {
    const storageClass = String(spec.storageClassName ?? '');
    const cls = classes.get(storageClass);
    if (!cls || !cls.provisioner.includes('mayastor')) return;
    const bytes = parseQuantity(record(record(spec.resources).requests).storage) ?? 0;
    claims.push({ name, sizeGiB: (bytes / 2 ** 30) * copies, replicas: Number.isFinite(cls.repl) ? cls.repl : 1, storageClass });
  };
  for (const { o, c } of objects) {
    if (o.kind === 'PersistentVolumeClaim') claim(`${c}: ${objectId(o)}`, record(o.spec), 1);
    if (o.kind === 'StatefulSet') {
      const spec = record(o.spec);
      const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
      for (const t of list(spec.volumeClaimTemplates)) {
        claim(`${c}: ${objectId(o)} ${String(record(t.metadata).name)} x${replicas}`, record(t.spec), replicas);
      }
    }
  }
  return {
    claims,
    neededGiB: claims.reduce((n, x) => n + x.sizeGiB * x.replicas, 0),
    poolGiB: rendered.site.nodes.reduce((n, node) => n + node.dataDisks.reduce((m, d) => m + d.sizeGiB, 0), 0),
    nodeLocalGiB: nodeLocalGiBPerNode(rendered),
    systemDiskGB: Math.min(...rendered.site.nodes.map((n) => n.diskGB)),
  };
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
