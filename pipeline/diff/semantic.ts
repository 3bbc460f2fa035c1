/**
 * The semantic diff of two rendered trees: objects matched by site, component, kind, namespace
 * and name, then compared field by field (lists of named items matched by name).
 */
import { parseAllDocuments } from 'yaml';
import type { FileTree } from '../files';
import { byText, record } from '../validate/context';

/** A rendered object located in the tree. */
export interface TreeObject {
  readonly site: string;
  readonly component: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

/** One field that differs. `before`/`after` are undefined when the field is added/removed. */
export interface FieldChange {
  /** Dotted path, lists of named items as `containers[name=app]`. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What happened to one object. */
export interface ObjectChange {
  readonly scope: 'object';
  readonly type: 'added' | 'removed' | 'changed';
  readonly before?: TreeObject;
  readonly after?: TreeObject;
  readonly site: string;
  readonly component: string;
  /** `Kind/name` or `Kind/namespace/name`. */
  readonly id: string;
  readonly fields: readonly FieldChange[];
}

/** The Kubernetes objects of one file: only `<site>/<component>/*.yaml` holds them (kustomization.yaml included). */
export function objectsIn(path: string, content: string): TreeObject[] {
  const parts = path.split('/');
  if (parts.length !== 3 || !path.endsWith('.yaml')) return [];
  const [site, component] = parts as [string, string, string];
  const objects: TreeObject[] = [];
  for (const doc of parseAllDocuments(content)) {
    // A document that does not parse is not an object: the file is then diffed line by line.
    if (doc.errors.length > 0) return [];
    const body = record(doc.toJS());
    if (typeof body.kind !== 'string') continue;
    const meta = record(body.metadata);
    const name = typeof meta.name === 'string' ? meta.name : parts[2]!;
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
    objects.push({ site, component, kind: body.kind, namespace, name, body });
  }
  return objects;
}

/** Whether a file holds Kubernetes objects (diffed field by field; every other file line by line). */
export function isObjectFile(path: string, content: string): boolean {
  return objectsIn(path, content).length > 0;
}

/** Parses every object file of a tree into objects. */
export function objectsOf(tree: FileTree): Map<string, TreeObject> {
  const objects = new Map<string, TreeObject>();
  for (const [path, content] of [...tree].sort(([a], [b]) => byText(a, b))) {
    for (const object of objectsIn(path, content)) objects.set(keyOf(object), object);
  }
  return objects;
}

function keyOf(o: TreeObject): string {
  return `${o.site}\0${o.component}\0${o.kind}\0${o.namespace ?? ''}\0${o.name}`;
}

export function idOf(o: TreeObject): string {
  return `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

function isNamedList(value: unknown): value is Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  const names = value.map((v) => record(v).name);
  return names.every((n) => typeof n === 'string') && new Set(names).size === names.length;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Field-level differences between two JSON values. */
export function diffValues(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isNamedList(before) && isNamedList(after)) {
    const changes: FieldChange[] = [];
    const b = new Map(before.map((v) => [String(v.name), v]));
    const a = new Map(after.map((v) => [String(v.name), v]));
    for (const name of [...new Set([...b.keys(), ...a.keys()])]) {
      changes.push(...diffValues(b.get(name), a.get(name), `${path}[name=${name}]`));
    }
    const order = (l: Record<string, unknown>[]) => l.map((v) => String(v.name)).filter((n) => a.has(n) && b.has(n));
    if (changes.length === 0 && JSON.stringify(order(before)) !== JSON.stringify(order(after))) {
      changes.push({ path, before: order(before), after: order(after) });
    }
    return changes;
  }
  const bo = typeof before === 'object' && before !== null && !Array.isArray(before);
  const ao = typeof after === 'object' && after !== null && !Array.isArray(after);
  if (bo && ao) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    return [...new Set([...Object.keys(b), ...Object.keys(a)])].sort(byText).flatMap((k) => diffValues(b[k], a[k], join(path, k)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((v, i) => diffValues(v, after[i], `${path}[${i}]`));
  }
  return [{ path, before, after }];
}

/** Object-level changes from `before` to `after`, sorted by site, component, object. */
export function diffObjects(before: Map<string, TreeObject>, after: Map<string, TreeObject>): ObjectChange[] {
  const changes: ObjectChange[] = [];
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort(byText)) {
    const b = before.get(key);
    const a = after.get(key);
    const o = (a ?? b)!;
    const base = { scope: 'object' as const, site: o.site, component: o.component, id: idOf(o), before: b, after: a };
    if (!b) changes.push({ ...base, type: 'added', fields: [] });
    else if (!a) changes.push({ ...base, type: 'removed', fields: [] });
    else {
      const fields = diffValues(b.body, a.body);
      if (fields.length > 0) changes.push({ ...base, type: 'changed', fields });
    }
  }
  return changes;
}
