/** Rules about access and what is pulled in: RBAC, bindings, Pod Security levels, remote manifests. */
import { list, record } from '../validate/context';
import type { FieldChange } from './fields';
import type { TreeObject } from './objects';
import type { ObjectChange, RiskNote } from './risk-types';

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

/** Pod Security levels, most permissive first. */
const PSA_RANK: Record<string, number> = { privileged: 0, baseline: 1, restricted: 2 };
const ENFORCE = 'pod-security.kubernetes.io/enforce';

/** A namespace's enforced level; without the label the API server enforces nothing (privileged). */
function enforcedLevel(o: TreeObject | undefined): string {
  const level = record(record(o?.body.metadata).labels)[ENFORCE];
  return typeof level === 'string' && level in PSA_RANK ? level : 'privileged';
}

/** Remote entries of a Kustomization's resources (`https://...`, `github.com/org/repo//dir?ref=v1`). */
function remoteResources(o: TreeObject | undefined): string[] {
  const resources = o?.body.resources;
  return (Array.isArray(resources) ? (resources as unknown[]) : [])
    .filter((r): r is string => typeof r === 'string')
    .filter((r) => r.includes('://') || r.includes('?ref=') || r.startsWith('github.com/'));
}

const show = (v: unknown) => (v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

/** Notes on the whole object: RBAC widening, new bindings, Pod Security, upstream manifests. */
export function accessNotes(change: ObjectChange, objects: { before?: TreeObject; after?: TreeObject }): RiskNote[] {
  const o = (objects.after ?? objects.before)!;
  const notes: RiskNote[] = [];
  if (o.kind === 'Role' || o.kind === 'ClusterRole') {
    // An added role has no tuples before: all of its rules count as widening.
    const before = rbacTuples(objects.before?.body);
    const added = [...rbacTuples(objects.after?.body)].filter((t) => !before.has(t));
    const wildcard = added.filter((t) => t.split('|').includes('*'));
    if (wildcard.length > 0)
      notes.push({
        risk: 'high',
        path: 'rules',
        reason: `RBAC widened with a wildcard: ${wildcard.map((t) => t.replace(/\|/g, ' ')).join('; ')}`,
      });
    else if (added.length > 0)
      notes.push({ risk: 'medium', path: 'rules', reason: `RBAC widened: ${added.map((t) => t.replace(/\|/g, ' ')).join('; ')}` });
  }
  if ((o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') && change.type === 'added') {
    const role = record(o.body.roleRef).name;
    if (role === 'cluster-admin') notes.push({ risk: 'high', reason: 'binds cluster-admin' });
    else if (list(o.body.subjects).length > 0) notes.push({ risk: 'medium', path: 'subjects', reason: `new binding to ${show(role)}` });
  }
  if (o.kind === 'Namespace' && objects.after) {
    const path = `metadata.labels.${ENFORCE}`;
    const level = enforcedLevel(objects.after);
    if (change.type === 'added' && level !== 'restricted')
      notes.push({ risk: level === 'privileged' ? 'high' : 'medium', path, reason: `new namespace at Pod Security ${level}` });
    const before = enforcedLevel(objects.before);
    if (change.type === 'changed' && PSA_RANK[level]! < PSA_RANK[before]!)
      notes.push({ risk: 'high', path, reason: `Pod Security lowered ${before} -> ${level}` });
  }
  if (o.kind === 'Kustomization' && change.type === 'changed') {
    const before = remoteResources(objects.before);
    const after = remoteResources(objects.after);
    const gone = before.filter((r) => !after.includes(r));
    const come = after.filter((r) => !before.includes(r));
    if (gone.length > 0 || come.length > 0)
      notes.push({
        risk: 'medium',
        path: 'resources',
        reason: `upstream manifests change (read the release notes): ${gone.join(', ') || 'none'} -> ${come.join(', ') || 'none'}`,
      });
  }
  return notes;
}

/** Notes on one field: subjects bound to a role. */
export function fieldAccessNotes(kind: string, field: FieldChange): RiskNote[] {
  const bindsMore =
    (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') &&
    (field.path === 'subjects' || field.path.startsWith('subjects[')) &&
    field.after !== undefined;
  return bindsMore ? [{ risk: 'medium', path: field.path, reason: 'new subject bound to a role' }] : [];
}
