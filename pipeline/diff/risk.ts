/**
 * Risk of each change, for the reviewer: `high` can lose data, break a sync, or widen access;
 * `medium` changes what runs (images, upstream versions, replicas down, access); `low` the rest.
 */
import { list, record } from '../validate/context';
import { parseQuantity, podTemplateOf, selects } from '../validate/workloads';
import type { KubeObject } from '../render';
import type { FieldChange, ObjectChange, TreeObject } from './semantic';

export type Risk = 'low' | 'medium' | 'high';
export const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

/** A reason a change is risky. */
export interface RiskNote {
  readonly risk: Risk;
  /** Field it is about, if any. */
  readonly path?: string;
  readonly reason: string;
}

/** A change with its rating (the highest of its notes). */
export interface RatedChange extends ObjectChange {
  readonly risk: Risk;
  readonly notes: readonly RiskNote[];
}

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

function pdbMinimum(change: ObjectChange, all: readonly TreeObject[]): { name: string; min: number } | undefined {
  const after = change.after;
  if (!after) return undefined;
  const template = podTemplateOf(after.body as unknown as KubeObject);
  if (!template) return undefined;
  for (const pdb of all.filter((o) => o.kind === 'PodDisruptionBudget' && o.site === after.site && o.namespace === after.namespace)) {
    const spec = record(pdb.body.spec);
    if (typeof spec.minAvailable === 'number' && selects(spec.selector, template.labels)) return { name: pdb.name, min: spec.minAvailable };
  }
  return undefined;
}

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
    notes.push({ risk: 'medium', path, reason: `image change: ${String(field.before ?? 'none')} -> ${String(field.after ?? 'none')}` });
  if (path === 'spec.replicas' && typeof field.before === 'number' && typeof field.after === 'number') {
    const pdb = pdbMinimum(change, afterObjects);
    if (pdb && field.after < pdb.min)
      notes.push({
        risk: 'high',
        path,
        reason: `replicas ${field.after} below the minAvailable ${pdb.min} of PodDisruptionBudget ${pdb.name}: every eviction blocks`,
      });
    else if (field.after < field.before) notes.push({ risk: 'medium', path, reason: `fewer replicas (${field.before} -> ${field.after})` });
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
  if (kind === 'Kustomization' && path.startsWith('resources')) {
    const remote = [field.before, field.after].some((v) => typeof v === 'string' && v.includes('://'));
    if (remote) notes.push({ risk: 'medium', path, reason: 'upstream manifests change' });
  }
  if (kind === 'Namespace' && path.includes('pod-security.kubernetes.io/enforce')) {
    const rank = { privileged: 0, baseline: 1, restricted: 2 } as Record<string, number>;
    if ((rank[String(field.after)] ?? 0) < (rank[String(field.before)] ?? 2))
      notes.push({ risk: 'high', path, reason: `Pod Security lowered ${String(field.before)} -> ${String(field.after)}` });
  }
  if ((kind === 'RoleBinding' || kind === 'ClusterRoleBinding') && under(path, 'subjects') && field.after !== undefined) {
    notes.push({ risk: 'medium', path, reason: 'new subject bound to a role' });
  }
  return notes;
}

/** Rates one object change. `afterObjects` is the new tree (PDBs are looked up there). */
export function rate(change: ObjectChange, afterObjects: readonly TreeObject[]): RatedChange {
  const o = (change.after ?? change.before)!;
  const notes: RiskNote[] = [];
  if (change.type === 'removed') {
    if (STATEFUL_KINDS.has(o.kind)) notes.push({ risk: 'high', reason: `deleting a ${o.kind} loses the data or everything it holds` });
    if (o.kind === 'Application')
      notes.push({ risk: 'high', reason: 'deleting an Application prunes everything it manages (CRDs and their resources, claims)' });
  }
  if (o.kind === 'Role' || o.kind === 'ClusterRole') {
    const before = rbacTuples(change.before?.body);
    const added = [...rbacTuples(change.after?.body)].filter((t) => !before.has(t));
    if (added.some((t) => t.split('|').includes('*')))
      notes.push({
        risk: 'high',
        path: 'rules',
        reason: `RBAC widened with a wildcard: ${added
          .filter((t) => t.includes('*'))
          .map((t) => t.replace(/\|/g, ' '))
          .join('; ')}`,
      });
    else if (added.length > 0)
      notes.push({ risk: 'medium', path: 'rules', reason: `RBAC widened: ${added.map((t) => t.replace(/\|/g, ' ')).join('; ')}` });
  }
  if (
    (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') &&
    change.type === 'added' &&
    record(o.body.roleRef).name === 'cluster-admin'
  ) {
    notes.push({ risk: 'high', reason: 'binds cluster-admin' });
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
  const risk = notes.reduce<Risk>((r, n) => (RISK_ORDER[n.risk] > RISK_ORDER[r] ? n.risk : r), 'low');
  return { ...change, risk, notes };
}
