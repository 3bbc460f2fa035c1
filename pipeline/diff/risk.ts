/**
 * Risk of each object change, for the reviewer: `high` can lose data, break a sync, take a public
 * route down or widen access; `medium` changes what runs (images, upstream versions, restarts,
 * replicas down, autoscaler bounds, access) or leaves work to do by hand; `low` the rest. Each rule
 * reads the change and the few objects it needs from either tree (TreeSide), never the whole tree.
 */
import { list, record } from '../validate/context';
import type { FieldChange } from './fields';
import type { TreeObject, TreeSide } from './objects';
import { pgParameterNotes } from './postgres-parameters';
import { accessNotes, fieldAccessNotes } from './risk-access';
import { argoCdAccessNotes } from './risk-argocd';
import { blockingPdbs, BLOCKS } from './risk-disruption';
import { highest, type ObjectChange, type RatedObjectChange, type RiskNote } from './risk-types';
import { parseQuantity } from '../validate/workloads';

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

/** File-name prefixes (synth names files `<kind>-<name>.yaml`) of what an Application's pruning loses for good. */
const STATEFUL_FILES = ['statefulset-', 'persistentvolumeclaim-', 'persistentvolume-', 'customresourcedefinition-', 'diskpool-'];

export const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

const annotations = (o: TreeObject | undefined) => record(record(o?.body.metadata).annotations);

/** Argo CD's per-object sync options (`argocd.argoproj.io/sync-options: Prune=false,...`). */
function syncOptions(o: TreeObject | undefined): string[] {
  const value = annotations(o)['argocd.argoproj.io/sync-options'];
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
}

/**
 * An Argo CD hook (PreSync, PostSync...): Argo CD creates it at each sync and, with the
 * BeforeHookCreation delete policy (also the default when none is set), deletes the previous one
 * first, so an immutable field of its template never meets the old object.
 */
function isRecreatedHook(o: TreeObject | undefined): boolean {
  const a = annotations(o);
  if (typeof a['argocd.argoproj.io/hook'] !== 'string') return false;
  const policy = a['argocd.argoproj.io/hook-delete-policy'];
  return policy === undefined || (typeof policy === 'string' && policy.split(',').some((p) => p.trim() === 'BeforeHookCreation'));
}

const show = (v: unknown) => (v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

/** What removing an object does, when Argo CD would delete it. */
function removalNotes(o: TreeObject, before: TreeSide, after: TreeSide): RiskNote[] {
  if (syncOptions(o).includes('Prune=false'))
    return [
      {
        risk: 'medium',
        reason: `Argo CD keeps this ${o.kind} (Prune=false): the ${o.component} Application stays OutOfSync until someone deletes it by hand, after checking nothing in it is still needed`,
      },
    ];
  if (o.kind === 'Application') return applicationRemoval(o, before, after);
  if (STATEFUL_KINDS.has(o.kind)) return [{ risk: 'high', reason: `deleting a ${o.kind} loses the data or everything it holds` }];
  return [];
}

/** An Application with the resources finalizer prunes what it manages: rated by what that is. */
function applicationRemoval(o: TreeObject, before: TreeSide, after: TreeSide): RiskNote[] {
  const source = record(record(o.body.spec).source);
  const dir = typeof source.path === 'string' && source.chart === undefined ? source.path.replace(/^gitops\//, '') : undefined;
  if (dir === undefined)
    return [
      {
        risk: 'high',
        reason: 'deleting an Application prunes everything it manages (an upstream chart: CRDs and their resources, claims)',
      },
    ];
  const files = [...before.paths()].filter((p) => p.startsWith(`${dir}/`) && !after.has(p));
  const stateful = files.filter((p) => STATEFUL_FILES.some((prefix) => p.slice(dir.length + 1).startsWith(prefix)));
  if (stateful.length > 0)
    return [
      {
        risk: 'high',
        reason: `deleting the Application prunes what it manages, with data: ${stateful.map((p) => p.slice(dir.length + 1)).join(', ')}`,
      },
    ];
  return [
    {
      risk: 'medium',
      reason: `Argo CD prunes the ${files.length} object(s) of ${dir} with it (no volume, claim or CRD among them): the component stops on this site`,
    },
  ];
}

function storageNotes(change: ObjectChange, field: FieldChange, className: string | undefined, after: TreeSide): RiskNote[] {
  const before = parseQuantity(field.before);
  const now = parseQuantity(field.after);
  if (before === undefined || now === undefined || before === now) return [];
  const { path } = field;
  if (now < before)
    return [{ risk: 'high', path, reason: `volume shrink (${show(field.before)} -> ${show(field.after)}): volumes cannot shrink` }];
  const sc = after.find('StorageClass', change.site).find((s) => s.name === className);
  const expands = sc?.body.allowVolumeExpansion === true;
  return [
    {
      risk: 'medium',
      path,
      reason: sc
        ? expands
          ? `volume growth ${show(field.before)} -> ${show(field.after)}: StorageClass ${sc.name} allows expansion; check the room in its pools`
          : `volume growth ${show(field.before)} -> ${show(field.after)}: StorageClass ${sc.name} does not allow expansion (allowVolumeExpansion is not true), existing volumes keep their size`
        : `volume growth ${show(field.before)} -> ${show(field.after)}: needs allowVolumeExpansion on the StorageClass and room in the pools`,
    },
  ];
}
/** The storageClassName of the claim (or claim template) a storage field belongs to. */
function claimClass(change: ObjectChange, o: TreeObject, path: string): string | undefined {
  if (change.kind === 'PersistentVolumeClaim') return show(record(o.body.spec).storageClassName);
  const template = /^spec\.volumeClaimTemplates\[name=([^\]]+)\]/.exec(path)?.[1];
  const t = list(record(o.body.spec).volumeClaimTemplates).find((x) => record(x.metadata).name === template);
  const name = record(t?.spec).storageClassName;
  return typeof name === 'string' ? name : undefined;
}

function fieldNotes(change: ObjectChange, o: { before?: TreeObject; after: TreeObject }, field: FieldChange, after: TreeSide): RiskNote[] {
  const { kind } = change;
  const notes: RiskNote[] = [];
  const { path } = field;
  const hook = kind === 'Job' && isRecreatedHook(o.after);
  const storage = /(^|\.)resources\.requests\.storage$/.test(path)
    ? storageNotes(change, field, claimClass(change, o.after, path), after)
    : [];
  const template = under(path, 'spec.volumeClaimTemplates');
  for (const prefix of IMMUTABLE[kind] ?? []) {
    if (!under(path, prefix) || hook) continue;
    const what =
      prefix === 'spec.selector'
        ? ` (selector ${path.slice('spec.selector.'.length) || 'spec.selector'}: ${show(field.before)} -> ${show(field.after)})`
        : template && storage.length > 0
          ? ` (claim template ${storage.map((n) => n.reason).join('; ')})`
          : '';
    notes.push({
      risk: 'high',
      path,
      reason: `${prefix} is immutable: the API server refuses the change, so the sync fails unless the object is deleted and re-created${what}`,
    });
  }
  // A claim template cannot change at all: what its growth would need is said in the note above.
  if (!template) notes.push(...storage);
  if (/\.image$/.test(path) || path === 'image')
    notes.push({ risk: 'medium', path, reason: `image change: ${show(field.before)} -> ${show(field.after)}` });
  if (path === 'spec.replicas' && typeof field.before === 'number' && typeof field.after === 'number') {
    const blocking = blockingPdbs(o.after, after);
    for (const why of blocking) notes.push({ risk: 'high', path, reason: `${why}: ${BLOCKS}` });
    if (blocking.length === 0 && field.after < field.before)
      notes.push({ risk: 'medium', path, reason: `fewer replicas (${field.before} -> ${field.after})` });
  }
  const bound =
    (kind === 'ScaledObject' && /^spec\.(max|min)ReplicaCount$/.test(path)) ||
    (kind === 'HorizontalPodAutoscaler' && /^spec\.(max|min)Replicas$/.test(path));
  if (bound && typeof field.before === 'number' && typeof field.after === 'number') {
    const max = /max/.test(path);
    if (max && field.after > field.before)
      notes.push({
        risk: 'medium',
        path,
        reason: `autoscaler maximum ${field.before} -> ${field.after}: up to ${field.after - field.before} more pod(s) at peak (npm run capacity: at the autoscaling maximum)`,
      });
    else if (field.after < field.before)
      notes.push({
        risk: 'medium',
        path,
        reason: `autoscaler ${max ? 'maximum' : 'minimum'} ${field.before} -> ${field.after}: fewer pods to absorb load`,
      });
  }
  const source = /^spec\.(?:sources\[(?:name=)?([^\]]+)\]|source)\.targetRevision$/.exec(path);
  if (kind === 'Application' && source) {
    const spec = record(o.after.body.spec);
    const chart = record(
      source[1] !== undefined ? list(spec.sources).find((s, i) => String(i) === source[1] || s.name === source[1]) : spec.source,
    ).chart;
    notes.push({
      risk: 'medium',
      path,
      reason: chart
        ? `upstream chart ${String(chart)} ${show(field.before)} -> ${show(field.after)}: read its release notes`
        : `Argo CD follows another revision: ${show(field.before)} -> ${show(field.after)}`,
    });
  }
  if (kind === 'Kustomization' && under(path, 'images'))
    notes.push({ risk: 'medium', path, reason: `image override change: ${show(field.before)} -> ${show(field.after)}` });
  if (kind === 'ConfigMap') notes.push(...pgParameterNotes(field));
  notes.push(...fieldAccessNotes(kind, field));
  return notes;
}

/** Rates one object change; `before`/`after` are the two trees, for the objects a rule looks up. */
export function rate(
  change: ObjectChange,
  objects: { before?: TreeObject; after?: TreeObject },
  before: TreeSide,
  after: TreeSide,
): RatedObjectChange {
  const o = (objects.after ?? objects.before)!;
  const notes: RiskNote[] = [];
  if (change.type === 'removed') notes.push(...removalNotes(o, before, after));
  notes.push(...accessNotes(change, objects));
  notes.push(...argoCdAccessNotes(o.kind, o.name, objects));
  if (objects.after && change.type === 'added')
    for (const why of blockingPdbs(objects.after, after)) notes.push({ risk: 'high', reason: `${why}: ${BLOCKS}` });
  if (o.kind === 'PodDisruptionBudget' && objects.after && (change.type === 'added' || change.fields.some((f) => under(f.path, 'spec')))) {
    const pdb = objects.after;
    for (const kind of ['Deployment', 'StatefulSet', 'ReplicaSet'])
      for (const workload of after.find(kind, pdb.site, pdb.namespace))
        for (const why of blockingPdbs(workload, after, pdb))
          notes.push({ risk: 'high', path: 'spec', reason: `${why} (${workload.kind} ${workload.name}): ${BLOCKS}` });
  }
  if (change.type === 'changed' && objects.after) {
    const both = { before: objects.before, after: objects.after };
    for (const field of change.fields) notes.push(...fieldNotes(change, both, field, after));
    if (isRecreatedHook(objects.after) && change.fields.some((f) => under(f.path, 'spec.template')))
      notes.push({
        risk: 'low',
        path: 'spec.template',
        reason: 'Argo CD hook: deleted and re-created before each sync (BeforeHookCreation), the new template runs at the next sync',
      });
  }
  // Written out rather than spread: V8 copies a spread object's properties one by one (a tenth of the rating).
  const { scope, type, site, component, kind, id, fields } = change;
  return { scope, type, site, component, kind, id, fields, risk: highest(notes), notes };
}
