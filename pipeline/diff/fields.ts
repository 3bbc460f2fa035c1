/**
 * Field-level differences of two versions of an object, by jsondiffpatch: lists are matched item
 * by item through an object hash (an item's name, or for unnamed items its content), so a removed
 * container, env variable, port, volume, NetworkPolicy rule, kustomization resource or AppProject
 * destination is one change naming that item, never the whole list.
 */
import { create, type Delta } from 'jsondiffpatch';
import { byText, record } from '../validate/context';

/** One field that differs. `before`/`after` are undefined when the field or item is added/removed. */
export interface FieldChange {
  /** Dotted path; list items by their name (`containers[name=app]`), unnamed items by position in their list. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What identifies a list item: its name (or metadata.name), else the fields below that are set. */
const IDENTITY_FIELDS = ['name', 'containerPort', 'mountPath', 'devicePath', 'key', 'path', 'namespace', 'server', 'kind', 'type'];

/** The label of a list item in a path (`name=app`, `namespace=bus,server=https://…`), if it has one. */
export function itemLabel(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const o = item as Record<string, unknown>;
  const metaName = record(o.metadata).name;
  if (typeof o.name === 'string') return `name=${o.name}`;
  if (typeof metaName === 'string') return `name=${metaName}`;
  const parts = IDENTITY_FIELDS.filter((k) => typeof o[k] === 'string' || typeof o[k] === 'number').map((k) => `${k}=${String(o[k])}`);
  return parts.length > 0 ? parts.join(',') : undefined;
}

/**
 * Items with a label are matched by it (a changed container stays the same item); items without
 * one by their whole content (a changed rule is the old one removed and the new one added).
 */
const patcher = create({
  objectHash: (item: object) => itemLabel(item) ?? JSON.stringify(item),
  arrays: { detectMove: true, includeValueOnMove: false },
});

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function itemPath(path: string, list: readonly unknown[], index: number): string {
  const label = itemLabel(list[index]);
  return `${path}[${label ?? index}]`;
}

type ArrayDelta = Record<string, unknown> & { _t: 'a' };

const isArrayDelta = (d: unknown): d is ArrayDelta =>
  typeof d === 'object' && d !== null && !Array.isArray(d) && (d as ArrayDelta)._t === 'a';

/** Turns a jsondiffpatch delta into field changes, with `before`/`after` the values on each side. */
function walk(delta: Delta, before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (delta === undefined) return;
  if (Array.isArray(delta)) {
    // [new] added, [old, new] modified, [old, 0, 0] deleted (text diffs are not enabled).
    if (delta.length === 1) out.push({ path, after: delta[0] });
    else if (delta.length === 2) out.push({ path, before: delta[0], after: delta[1] });
    else if (delta[2] === 0) out.push({ path, before: delta[0] });
    return;
  }
  if (isArrayDelta(delta)) {
    const b = Array.isArray(before) ? before : [];
    const a = Array.isArray(after) ? after : [];
    const moved: string[] = [];
    for (const key of Object.keys(delta).sort(byText)) {
      if (key === '_t') continue;
      const d = delta[key];
      if (key.startsWith('_')) {
        const index = Number(key.slice(1));
        const op = d as unknown[];
        if (op[2] === 3) moved.push(itemPath(path, b, index));
        else out.push({ path: itemPath(path, b, index), before: op[0] });
      } else {
        const index = Number(key);
        if (Array.isArray(d) && d.length === 1) out.push({ path: itemPath(path, a, index), after: d[0] });
        else {
          const label = itemLabel(a[index]);
          const old = label === undefined ? b[index] : b.find((x) => itemLabel(x) === label);
          walk(d as Delta, old, a[index], itemPath(path, a, index), out);
        }
      }
    }
    // A move alone changes the order (container order, command arguments): show both orders.
    if (moved.length > 0)
      out.push({ path: `${path} (order)`, before: b.map((x, i) => itemLabel(x) ?? i), after: a.map((x, i) => itemLabel(x) ?? i) });
    return;
  }
  const b = record(before);
  const a = record(after);
  const d = delta as Record<string, Delta>;
  for (const key of Object.keys(d).sort(byText)) walk(d[key], b[key], a[key], join(path, key), out);
}

/** Field-level differences between two JSON values, sorted by path within each object. */
export function diffValues(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk(patcher.diff(before, after), before, after, '', out);
  return out;
}
