/**
 * What the checks need to know about rendered workloads: their pod spec, labels, replica count,
 * resource requests. Reads plain rendered objects, whatever component made them.
 */
import type { KubeObject } from '../render';
import { list, record } from './context';

/** Kinds that run pods, and where their pod template lives. */
const POD_SPEC_PATH: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** A workload's pods as the checks see them. */
export interface PodTemplate {
  /** The pod spec. */
  readonly spec: Record<string, unknown>;
  /** Dotted path of the pod spec in the object (for findings). */
  readonly path: string;
  /** Labels of the pods. */
  readonly labels: Readonly<Record<string, string>>;
  /** Replica count (`perNode` for DaemonSets); Jobs and Pods count 1. */
  readonly replicas: number | 'perNode';
  /** Whether pods run until stopped (probes, PDBs and steady-state capacity apply). */
  readonly longRunning: boolean;
}

export function podTemplateOf(object: KubeObject): PodTemplate | undefined {
  const steps = POD_SPEC_PATH[object.kind];
  if (!steps || !String(object.apiVersion).match(/^(v1|apps\/v1|batch\/v1)$/)) return undefined;
  let node: unknown = object;
  for (const step of steps) node = record(node)[step];
  const spec = record(node);
  const templateMeta =
    object.kind === 'Pod'
      ? record(object.metadata)
      : record(record(steps.slice(0, -1).reduce<unknown>((n, s) => record(n)[s], object)).metadata);
  const labels = Object.fromEntries(Object.entries(record(templateMeta.labels)).map(([k, v]) => [k, String(v)]));
  const objectSpec = record(object.spec);
  const replicas =
    object.kind === 'DaemonSet'
      ? 'perNode'
      : object.kind === 'Deployment' || object.kind === 'StatefulSet' || object.kind === 'ReplicaSet'
        ? typeof objectSpec.replicas === 'number'
          ? objectSpec.replicas
          : 1
        : 1;
  return { spec, path: steps.join('.'), labels, replicas, longRunning: object.kind !== 'Job' && object.kind !== 'CronJob' };
}

/** Every container of a pod spec with its dotted path (init and ephemeral ones included). */
export function containersOf(template: PodTemplate): { container: Record<string, unknown>; path: string; init: boolean }[] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((field) =>
    list(template.spec[field]).map((container, i) => ({
      container,
      path: `${template.path}.${field}[${i}]`,
      init: field !== 'containers',
    })),
  );
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity in base units (cores, bytes), or undefined when it is not one. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * (BINARY[suffix] ?? DECIMAL[suffix] ?? NaN);
}

/** Requests of one pod: cpu in millicores, memory and hugepages in MiB. */
export interface PodRequests {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly hugepagesMiB: number;
}

function containerRequests(container: Record<string, unknown>): PodRequests {
  const requests = record(record(container.resources).requests);
  const limits = record(record(container.resources).limits);
  // Kubernetes defaults a missing request to the limit.
  const pick = (name: string) => parseQuantity(requests[name] ?? limits[name]) ?? 0;
  return {
    cpuMillis: pick('cpu') * 1000,
    memoryMiB: pick('memory') / 2 ** 20,
    hugepagesMiB: pick('hugepages-2Mi') / 2 ** 20 + pick('hugepages-1Gi') / 2 ** 20,
  };
}

/** The scheduler's view of a pod: the sum of its containers, or the largest init container if larger. */
export function podRequests(template: PodTemplate): PodRequests {
  const sum = (a: PodRequests, b: PodRequests): PodRequests => ({
    cpuMillis: a.cpuMillis + b.cpuMillis,
    memoryMiB: a.memoryMiB + b.memoryMiB,
    hugepagesMiB: a.hugepagesMiB + b.hugepagesMiB,
  });
  const zero: PodRequests = { cpuMillis: 0, memoryMiB: 0, hugepagesMiB: 0 };
  const main = list(template.spec.containers).map(containerRequests).reduce(sum, zero);
  const init = list(template.spec.initContainers).map(containerRequests);
  return {
    cpuMillis: Math.max(main.cpuMillis, ...init.map((r) => r.cpuMillis)),
    memoryMiB: Math.max(main.memoryMiB, ...init.map((r) => r.memoryMiB)),
    hugepagesMiB: Math.max(main.hugepagesMiB, ...init.map((r) => r.hugepagesMiB)),
  };
}

/** Whether a label selector (`matchLabels` / `matchExpressions`) selects these labels. */
export function selects(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const s = record(selector);
  const matchLabels = record(s.matchLabels);
  const expressions = list(s.matchExpressions);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === String(v))) return false;
  return expressions.every((e) => {
    const key = String(e.key);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    switch (e.operator) {
      case 'In':
        return labels[key] !== undefined && values.includes(labels[key]);
      case 'NotIn':
        return labels[key] === undefined || !values.includes(labels[key]);
      case 'Exists':
        return labels[key] !== undefined;
      case 'DoesNotExist':
        return labels[key] === undefined;
      default:
        return false;
    }
  });
}

/** Whether a Service-style selector (plain map) selects these labels. */
export function mapSelects(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const entries = Object.entries(record(selector));
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === String(v));
}

/** Whether pods are spread over nodes: maxSkew on the hostname, or at most one per node (`onePerNode`). */
export function hasNodeSpreading(spec: Record<string, unknown>): boolean {
  const spread = list(spec.topologySpreadConstraints).some(
    (c) => c.topologyKey === 'kubernetes.io/hostname' && c.whenUnsatisfiable === 'DoNotSchedule',
  );
  const antiAffinity = list(record(record(spec.affinity).podAntiAffinity).requiredDuringSchedulingIgnoredDuringExecution).some(
    (term) => term.topologyKey === 'kubernetes.io/hostname',
  );
  return spread || antiAffinity;
}

/** Whether a required anti-affinity on the hostname allows at most one pod per node. */
export function onePerNode(spec: Record<string, unknown>): boolean {
  return list(record(record(spec.affinity).podAntiAffinity).requiredDuringSchedulingIgnoredDuringExecution).some(
    (term) => term.topologyKey === 'kubernetes.io/hostname',
  );
}
