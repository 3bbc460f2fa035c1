/**
 * Risk of each change, for the reviewer: `high` can lose data, break a sync, or widen access;
 * `medium` changes what runs (images, upstream versions, replicas down, access); `low` the rest.
 */
import { list, record } from '../validate/context';
import { parseQuantity, podTemplateOf, selects } from '../validate/workloads';
import type { KubeObject } from '../render';
import type { FieldChange, ObjectChange, TreeObject } from './semantic';
import type { FileChange } from './text';

export type Risk = 'low' | 'medium' | 'high';
export const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

/** A reason a change is risky. */
export interface RiskNote {
  readonly risk: Risk;
  /** Field it is about, if any. */
  readonly path?: string;
  readonly reason: string;
}

/** An object change with its rating (the highest of its notes). */
export interface RatedObjectChange extends ObjectChange {
  readonly risk: Risk;
  readonly notes: readonly RiskNote[];
}

/** A change to a file that is not a Kubernetes object, with its rating. */
export interface RatedFileChange extends FileChange {
  readonly risk: Risk;
  readonly notes: readonly RiskNote[];
}

/** Any rated change: `scope` tells an object from another file. */
export type RatedChange = RatedObjectChange | RatedFileChange;

/** Fields the API server refuses to change: Argo CD's sync fails, or replaces (deletes) the object. */
const IMMUTABLE: Record<string, readonly string[]> = {
  Deployment: ['spec.selector'],
  DaemonSet: ['spec.selector'],
  ReplicaSet: ['spec.selector'],
  StatefulSet: ['spec.selector', 'spec.volumeClaimTemplates', 'spec.serviceName', 'spec.podManagementPolicy'],
  Job: ['spec.selector', 'spec.template'],
  StorageClass: ['parameters', 'provisioner', 'reclaimPolicy', 'volumeBindingMode'],
  PersistentVolumeClaim: ['spec.storageClassName', 'spec.accessModes', 'spec.volumeName', 'spec.selector'],
  PersistentVolume: ['spec.csi', 'spec.storageClassName'],
  Service: ['spec.clusterIP', 'spec.clusterIPs'],
  RoleBinding: ['roleRef'],
  ClusterRoleBinding: ['roleRef'],
};

/** Deleting these loses data or everything they own. */
const STATEFUL_KINDS = new Set([
  'StatefulSet',
  'PersistentVolumeClaim',
  'PersistentVolume',
  'StorageClass',
  'Namespace',
  'CustomResourceDefinition',
  'DiskPool',
]);

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

function rbacTuples(body: Record<string, unknown> | undefined): Set<string> {
  const tuples = new Set<string>();
  for (const rule of list(body?.rules)) {
    const groups = Array.isArray(rule.apiGroups) ? rule.apiGroups.map(String) : [''];
    const resources = Array.isArray(rule.resources)
      ? rule.resources.map(String)
      : Array.isArray(rule.nonResourceURLs)
        ? rule.nonResourceURLs.map(String)
        : [];
    const verbs = Array.isArray(rule.verbs) ? rule.verbs.map(String) : [];
    for (const g of groups) for (const r of resources) for (const v of verbs) tuples.add(`${g}|${r}|${v}`);
  }
  return tuples;
}

function storageOf(value: unknown): number | undefined {
  return parseQuantity(record(record(record(value).resources).requests).storage);
}

/** Pod Security levels, most permissive first. */
const PSA_RANK: Record<string, number> = { privileged: 0, baseline: 1, restricted: 2 };
const ENFORCE = 'pod-security.kubernetes.io/enforce';

/** A namespace's enforced level; without the label the API server enforces nothing (privileged). */
function enforcedLevel(o: TreeObject | undefined): string {
  const level = record(record(o?.body.metadata).labels)[ENFORCE];
  return typeof level === 'string' && level in PSA_RANK ? level : 'privileged';
}

/**
 * Why `pdb` blocks every voluntary eviction of a workload with `replicas` pods, if it does:
 * minAvailable at or above the replicas (a percentage rounds up, as the API server does), or
 * maxUnavailable 0. A blocked eviction makes `kubectl drain` (and node upgrades) hang.
 */
function pdbBlocks(pdb: TreeObject, replicas: number): string | undefined {
  if (replicas <= 0) return undefined;
  const spec = record(pdb.body.spec);
  const { minAvailable, maxUnavailable } = spec;
  if (typeof minAvailable === 'number' && replicas <= minAvailable)
    return `replicas ${replicas} at or below the minAvailable ${minAvailable} of PodDisruptionBudget ${pdb.name}`;
  const percent = (v: unknown) => (typeof v === 'string' && /^\d+%$/.test(v) ? Number(v.slice(0, -1)) : undefined);
  const minPercent = percent(minAvailable);
  if (minPercent !== undefined && Math.ceil((replicas * minPercent) / 100) >= replicas)
    return `minAvailable ${String(minAvailable)} of PodDisruptionBudget ${pdb.name} keeps all ${replicas} replica(s)`;
  if (maxUnavailable === 0 || percent(maxUnavailable) === 0)
    return `maxUnavailable ${String(maxUnavailable)} of PodDisruptionBudget ${pdb.name}`;
  return undefined;
}

/** The PodDisruptionBudgets of the new tree that block every eviction of `workload`, with why. */
function blockingPdbs(workload: TreeObject, afterObjects: readonly TreeObject[], only?: TreeObject): string[] {
  const template = podTemplateOf(workload.body as unknown as KubeObject);
  if (!template || typeof template.replicas !== 'number') return [];
  const replicas = template.replicas;
  return afterObjects
    .filter((o) => o.kind === 'PodDisruptionBudget' && o.site === workload.site && o.namespace === workload.namespace)
    .filter((pdb) => (only === undefined || pdb === only) && selects(record(pdb.body.spec).selector, template.labels))
    .map((pdb) => pdbBlocks(pdb, replicas))
    .filter((why): why is string => why !== undefined);
}

const show = (v: unknown) => (v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

const BLOCKS = 'every voluntary eviction blocks (node drains hang)';

function fieldNotes(change: ObjectChange, field: FieldChange, afterObjects: readonly TreeObject[]): RiskNote[] {
  const kind = (change.after ?? change.before)!.kind;
  const notes: RiskNote[] = [];
  const { path } = field;
  for (const prefix of IMMUTABLE[kind] ?? []) {
    if (under(path, prefix))
      notes.push({ risk: 'high', path, reason: `${prefix} is immutable: the sync fails, or the object is deleted and re-created` });
  }
  if (/(^|\.)resources\.requests\.storage$/.test(path)) {
    const before = parseQuantity(field.before);
    const after = parseQuantity(field.after);
    if (before !== undefined && after !== undefined && after < before)
      notes.push({
        risk: 'high',
        path,
        reason: `volume shrink (${String(field.before)} -> ${String(field.after)}): volumes cannot shrink`,
      });
    else if (before !== undefined && after !== undefined && after > before)
      notes.push({ risk: 'medium', path, reason: 'volume growth: needs allowVolumeExpansion on the StorageClass and room in the pools' });
  }
  if (/\.image$/.test(path) || path === 'image')
    notes.push({ risk: 'medium', path, reason: `image change: ${show(field.before)} -> ${show(field.after)}` });
  if (path === 'spec.replicas' && typeof field.before === 'number' && typeof field.after === 'number' && change.after) {
    const blocking = blockingPdbs(change.after, afterObjects);
    for (const why of blocking) notes.push({ risk: 'high', path, reason: `${why}: ${BLOCKS}` });
    if (blocking.length === 0 && field.after < field.before)
      notes.push({ risk: 'medium', path, reason: `fewer replicas (${field.before} -> ${field.after})` });
  }
  const source = /^spec\.(?:sources\[(\d+)\]|source)\.targetRevision$/.exec(path);
  if (kind === 'Application' && source) {
    const spec = record(change.after?.body.spec);
    const chart = record(source[1] !== undefined ? list(spec.sources)[Number(source[1])] : spec.source).chart;
    notes.push({
      risk: 'medium',
      path,
      reason: chart
        ? `upstream chart ${String(chart)} ${String(field.before)} -> ${String(field.after)}: read its release notes`
        : `Argo CD follows another revision: ${String(field.before)} -> ${String(field.after)}`,
    });
  }
  if (kind === 'Kustomization' && under(path, 'images'))
    notes.push({ risk: 'medium', path, reason: `image override change: ${show(field.before)} -> ${show(field.after)}` });
  if ((kind === 'RoleBinding' || kind === 'ClusterRoleBinding') && under(path, 'subjects') && field.after !== undefined) {
    notes.push({ risk: 'medium', path, reason: 'new subject bound to a role' });
  }
  return notes;
}

/** Remote entries of a Kustomization's resources (`https://...`, `github.com/org/repo//dir?ref=v1`). */
function remoteResources(o: TreeObject | undefined): string[] {
  const resources = o?.body.resources;
  return (Array.isArray(resources) ? (resources as unknown[]) : [])
    .filter((r): r is string => typeof r === 'string')
    .filter((r) => r.includes('://') || r.includes('?ref=') || r.startsWith('github.com/'));
}

/** Rates one object change. `afterObjects` is the new tree (PDBs are looked up there). */
export function rate(change: ObjectChange, afterObjects: readonly TreeObject[]): RatedObjectChange {
  const o = (change.after ?? change.before)!;
  const notes: RiskNote[] = [];
  if (change.type === 'removed') {
    if (STATEFUL_KINDS.has(o.kind)) notes.push({ risk: 'high', reason: `deleting a ${o.kind} loses the data or everything it holds` });
    if (o.kind === 'Application')
      notes.push({ risk: 'high', reason: 'deleting an Application prunes everything it manages (CRDs and their resources, claims)' });
  }
  if (o.kind === 'Role' || o.kind === 'ClusterRole') {
    // An added role has no tuples before: all of its rules count as widening.
    const before = rbacTuples(change.before?.body);
    const added = [...rbacTuples(change.after?.body)].filter((t) => !before.has(t));
    if (added.some((t) => t.split('|').includes('*')))
      notes.push({
        risk: 'high',
        path: 'rules',
        reason: `RBAC widened with a wildcard: ${added
          .filter((t) => t.split('|').includes('*'))
          .map((t) => t.replace(/\|/g, ' '))
          .join('; ')}`,
      });
    else if (added.length > 0)
      notes.push({ risk: 'medium', path: 'rules', reason: `RBAC widened: ${added.map((t) => t.replace(/\|/g, ' ')).join('; ')}` });
  }
  if ((o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') && change.type === 'added') {
    const role = record(o.body.roleRef).name;
    if (role === 'cluster-admin') notes.push({ risk: 'high', reason: 'binds cluster-admin' });
    else if (list(o.body.subjects).length > 0) notes.push({ risk: 'medium', path: 'subjects', reason: `new binding to ${show(role)}` });
  }
  if (o.kind === 'Namespace' && change.type !== 'removed') {
    const after = enforcedLevel(change.after);
    const path = `metadata.labels.${ENFORCE}`;
    if (change.type === 'added' && after !== 'restricted')
      notes.push({ risk: after === 'privileged' ? 'high' : 'medium', path, reason: `new namespace at Pod Security ${after}` });
    const before = enforcedLevel(change.before);
    if (change.type === 'changed' && PSA_RANK[after]! < PSA_RANK[before]!)
      notes.push({ risk: 'high', path, reason: `Pod Security lowered ${before} -> ${after}` });
  }
  if (o.kind === 'Kustomization' && change.type === 'changed') {
    const before = remoteResources(change.before);
    const after = remoteResources(change.after);
    const gone = before.filter((r) => !after.includes(r));
    const come = after.filter((r) => !before.includes(r));
    if (gone.length > 0 || come.length > 0)
      notes.push({
        risk: 'medium',
        path: 'resources',
        reason: `upstream manifests change (read the release notes): ${gone.join(', ') || 'none'} -> ${come.join(', ') || 'none'}`,
      });
  }
  if (change.after && change.type === 'added')
    for (const why of blockingPdbs(change.after, afterObjects)) notes.push({ risk: 'high', reason: `${why}: ${BLOCKS}` });
  if (o.kind === 'PodDisruptionBudget' && change.after && (change.type === 'added' || change.fields.some((f) => under(f.path, 'spec')))) {
    const pdb = change.after;
    for (const workload of afterObjects.filter((w) => w.site === pdb.site && w.namespace === pdb.namespace))
      for (const why of blockingPdbs(workload, afterObjects, pdb))
        notes.push({ risk: 'high', path: 'spec', reason: `${why} (${workload.kind} ${workload.name}): ${BLOCKS}` });
  }
  if (change.type === 'changed') {
    for (const field of change.fields) notes.push(...fieldNotes(change, field, afterObjects));
    if (o.kind === 'StatefulSet') {
      const before = list(record(change.before?.body.spec).volumeClaimTemplates);
      const after = list(record(change.after?.body.spec).volumeClaimTemplates);
      for (const t of after) {
        const old = before.find((x) => record(x.metadata).name === record(t.metadata).name);
        const b = storageOf(record(old?.spec));
        const a = storageOf(record(t.spec));
        if (b !== undefined && a !== undefined && a < b)
          notes.push({ risk: 'high', path: 'spec.volumeClaimTemplates', reason: 'volume shrink in a claim template' });
      }
    }
  }
  return { ...change, risk: highest(notes), notes };
}

function highest(notes: readonly RiskNote[]): Risk {
  return notes.reduce<Risk>((r, n) => (RISK_ORDER[n.risk] > RISK_ORDER[r] ? n.risk : r), 'low');
}

/**
 * Rates a change to a file that is not a Kubernetes object. Everything under edge/ is the edge
 * proxy's configuration (haproxy.cfg), which routes all public traffic to the sites.
 */
export function rateFile(change: FileChange): RatedFileChange {
  const notes: RiskNote[] = [];
  if (change.path.startsWith('edge/')) {
    if (change.type === 'removed')
      notes.push({ risk: 'high', reason: 'edge routing removed: the edge proxy loses the configuration that routes all public traffic' });
    else notes.push({ risk: 'medium', reason: 'edge routing changes: this file routes all public traffic to the sites' });
  }
  return { ...change, risk: highest(notes), notes };
}
