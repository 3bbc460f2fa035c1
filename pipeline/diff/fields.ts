/**
 * Field-level differences of two versions of an object, by jsondiffpatch: lists are matched item
 * by item through an object hash (an item's name, or for unnamed items its content), so a removed
 * container, env variable, port, volume, NetworkPolicy rule, kustomization resource or AppProject
 * destination is one change naming that item, never the whole list.
 *
 * jsondiffpatch is called only on the lists whose items do not all match one to one: the rest of
 * the object (maps, scalars, lists whose items pair up in place) is walked directly, giving the
 * same changes in the same order. On a label changed on every object of 200 sites, jsondiffpatch
 * on whole objects was a quarter of the diff's time (npm run bench -- --only diff).
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
  let label: string | undefined;
  for (const k of IDENTITY_FIELDS) {
    const v = o[k];
    if (typeof v === 'string' || typeof v === 'number') label = `${label === undefined ? '' : `${label},`}${k}=${String(v)}`;
  }
  return label;
}

/**
 * Items with a label are matched by it (a changed container stays the same item); items without
 * one by their whole content (a changed rule is the old one removed and the new one added).
 */
const itemHash = (item: unknown): string => itemLabel(item) ?? JSON.stringify(item);

const patcher = create({
  objectHash: itemHash,
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

/** What jsondiffpatch tells apart: arrays, null and objects are all `object` to typeof. */
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * True when every item of `after` pairs with the item of `before` at its index, so jsondiffpatch
 * would only diff each pair in place (its matchItems with our objectHash: the same value, or
 * objects of the same hash); a label that an earlier item also has is left to it.
 */
function pairsInPlace(before: readonly unknown[], after: readonly unknown[]): boolean {
  if (before.length !== after.length) return false;
  let firstOf: Map<string, number> | undefined;
  for (let i = 0; i < after.length; i++) {
    const [x, y] = [before[i], after[i]];
    let label: string | undefined;
    if (x !== y) {
      if (typeof x !== 'object' || typeof y !== 'object') return false;
      label = itemLabel(y);
      if (itemHash(x) !== (label ?? JSON.stringify(y))) return false;
    } else label = itemLabel(y);
    if (label === undefined) continue;
    if (!firstOf) {
      firstOf = new Map();
      for (let j = before.length - 1; j >= 0; j--) {
        const l = itemLabel(before[j]);
        if (l !== undefined) firstOf.set(l, j);
      }
    }
    if (firstOf.get(label) !== i) return false;
  }
  return true;
}

/**
 * When no item of `after` matches any item of `before` (jsondiffpatch's matchItems: the same
 * value, or objects of the same objectHash), jsondiffpatch's delta removes every old item and
 * adds every new one, and walk() lists them as it sorts the delta's keys: the new indexes as
 * text (`0`, `1`, `10`, `2`), then the old ones (`_0`, `_1`...). Those changes, written here
 * without it (a list whose every item changed: a selector label in each rule); false when some
 * item matches (jsondiffpatch is then needed for the common run, moves and nested changes).
 */
function replacesAll(before: readonly unknown[], after: readonly unknown[], path: string, out: FieldChange[]): boolean {
  const values = new Set<unknown>();
  const hashes = new Set<string>();
  const isObject = (v: unknown): v is object | null => typeof v === 'object';
  for (const item of before)
    if (isObject(item)) hashes.add(itemHash(item));
    else values.add(item);
  // A Set finds NaN where === does not: then jsondiffpatch decides, as it would anyway.
  for (const item of after) if (isObject(item) ? hashes.has(itemHash(item)) : values.has(item)) return false;
  const indexes = (list: readonly unknown[]) => {
    const keys = list.map((_, i) => String(i));
    return list.length > 10 ? keys.sort(byText) : keys;
  };
  for (const i of indexes(after)) out.push({ path: itemPath(path, after, Number(i)), after: after[Number(i)] });
  for (const i of indexes(before)) out.push({ path: itemPath(path, before, Number(i)), before: before[Number(i)] });
  return true;
}

/** The changes jsondiffpatch's delta of `before` -> `after` gives through walk(), without it where it is not needed. */
function diffInto(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (before === after) return;
  if (before === undefined) {
    out.push({ path, after });
    return;
  }
  if (after === undefined) {
    out.push({ path, before });
    return;
  }
  const type = typeOf(before);
  if (type !== typeOf(after) || (type !== 'object' && type !== 'array')) {
    out.push({ path, before, after });
    return;
  }
  if (type === 'array') {
    const b = before as unknown[];
    const a = after as unknown[];
    if (!pairsInPlace(b, a)) {
      if (!replacesAll(b, a, path, out)) walk(patcher.diff(b, a), b, a, path, out);
      return;
    }
    // walk() visits the indexes of a delta in text order (10 before 2).
    const indexes = a.map((_, i) => String(i));
    if (a.length > 10) indexes.sort(byText);
    for (const i of indexes) diffInto(b[Number(i)], a[Number(i)], itemPath(path, a, Number(i)), out);
    return;
  }
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  // Only the keys whose values differ (the same value gives no change): fewer to sort.
  const keys: string[] = [];
  for (const k of Object.keys(b)) if (b[k] !== a[k]) keys.push(k);
  for (const k of Object.keys(a)) if (b[k] === undefined && a[k] !== undefined) keys.push(k);
  if (keys.length > 1) keys.sort(byText);
  for (const k of keys) diffInto(b[k], a[k], join(path, k), out);
}

/** Field-level differences between two JSON values, sorted by path within each object. */
export function diffValues(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  diffInto(before, after, '', out);
  return out;
}

/** The same by jsondiffpatch alone on the whole values (the reference diffValues is tested against). */
export function diffValuesByDelta(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk(patcher.diff(before, after), before, after, '', out);
  return out;
}
