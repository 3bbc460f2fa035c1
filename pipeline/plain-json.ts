/**
 * cdk8s's `ApiObject.toJson` in one walk. cdk8s 2.70.106 (node_modules/cdk8s/lib/api-object.js,
 * resolve.js, _util.js, metadata.js) serializes an object as
 * `sanitizeValue(resolve([], {...props, metadata: metadata.toJson()}))`, then applies its JSON
 * patches and puts apiVersion, kind and metadata first. `resolve` looks the App up from the
 * object (a walk to the root) and builds a resolution context, with a new key path array, for
 * every value, and `sanitizeValue` copies the result again: in `--cpu-prof` of generated sites,
 * about a sixth of a site's render, validation and files. With the App's resolvers the three
 * built-in ones (checked for each object), this walk applies them as they apply (a `Lazy` is
 * produced, a token resolved, a union class such as IntOrString or Quantity becomes `{ value }`;
 * a primitive is kept, no built-in prototype having a `resolve` or a `value`), then sorts and
 * drops what `sanitizeValue` would, in one copy. What it does not cover gives way to cdk8s's
 * own `toJson`: a custom resolver, a metadata class of its own, a value of another class (which
 * cdk8s refuses with its error), a `__proto__` key, a JSON patch that fails. Producers are
 * assumed not to change the values being serialized (cdk8s reads them in the same order).
 * test/plain-json.test.ts: the same JSON, key order included, for every committed and generated
 * object, and for each case above.
 */
import {
  ApiObject,
  ApiObjectMetadataDefinition,
  App,
  ImplicitTokenResolver,
  JsonPatch,
  Lazy,
  LazyResolver,
  NumberStringUnionResolver,
  type ApiObjectProps,
} from 'cdk8s';

/**
 * cdk8s's classes the walk compares with, read once: in the bundles, each read of a name another
 * bundle exports is a getter call, about 1% of a generated site's CPU time when `Lazy` was read
 * for every value.
 */
const LAZY = Lazy;
const BUILT_IN_RESOLVERS = [LazyResolver, ImplicitTokenResolver, NumberStringUnionResolver] as const;

/** What the walk returns when cdk8s's own resolution is needed. */
const GIVE_UP: unique symbol = Symbol('give up');
/** What the quick walk returns on meeting a producer, before calling it: the object is walked again in cdk8s's order. */
const IN_ORDER: unique symbol = Symbol('in order');

/** `sanitizeValue`'s options as cdk8s passes them, and the walk's order. */
interface Walk {
  readonly sortKeys: boolean;
  readonly filterEmpty: boolean;
  /** Visit a plain object's values in its own key order (as `resolve` does), not sorted. */
  readonly inOrder: boolean;
}

interface Token {
  resolve(): unknown;
}

/** Whether `a` sorts before `b` as Array.prototype.sort compares strings (by UTF-16 code units). */
const byKey = (keys: readonly string[]) => (a: number, b: number) => (keys[a]! < keys[b]! ? -1 : 1);

/** Beyond this many keys, Array.prototype.sort: insertion sort is quadratic in the keys out of place. */
const INSERTION_SORT_KEYS = 32;

/**
 * `keys.sort()`, in place: the same order (strings compare by UTF-16 code units with `<` as with
 * the default sort, and keys are distinct). Most objects come with few keys, already in order
 * (the k8s bindings write theirs sorted), where the default sort still copies them into a work
 * array: in allocation sampling of generated sites, 1.6 of the 14 MB a site allocates.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > INSERTION_SORT_KEYS) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    if (keys[j]! < key) continue;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
}

/**
 * `sanitizeValue(resolve(value))` with the built-in resolvers, or GIVE_UP. Without producers
 * (`Lazy` values, tokens) the order values are visited in changes nothing, and the quick walk
 * visits them sorted, as they are written; a producer makes it return IN_ORDER before calling it,
 * and the walk in order visits values as `resolve` does (a plain object's keys in their own
 * order), so producers are called once each, in the same order, as cdk8s calls them.
 */
function plain(value: unknown, walk: Walk): unknown {
  if (value === null || value === undefined) return undefined;
  const type = typeof value;
  if (type !== 'object' && type !== 'function') return value;
  // The resolvers, in the App's order: LazyResolver, ImplicitTokenResolver, NumberStringUnionResolver.
  if (value instanceof LAZY) return walk.inOrder ? plain(value.produce(), walk) : IN_ORDER;
  if (typeof (value as Partial<Token>).resolve === 'function') return walk.inOrder ? plain((value as Token).resolve(), walk) : IN_ORDER;
  const unionValue = (value as { value?: unknown }).value;
  const union = (value as object).constructor !== Object && (typeof unionValue === 'number' || typeof unionValue === 'string');
  if (union) return { value: unionValue };
  // resolve returns a function as it is, and sanitizeValue too.
  if (type === 'function') return value;
  if (Array.isArray(value)) {
    const items: unknown[] = value.map((item: unknown) => plain(item, walk));
    if (items.includes(GIVE_UP)) return GIVE_UP;
    if (items.includes(IN_ORDER)) return IN_ORDER;
    return walk.filterEmpty && items.length === 0 ? undefined : items;
  }
  // Any other class: sanitizeValue throws (cdk8s's own run gives the error).
  if ((value as object).constructor !== Object) return GIVE_UP;
  return walk.inOrder ? plainObjectInOrder(value as Record<string, unknown>, walk) : plainObject(value as Record<string, unknown>, walk);
}

function plainObject(value: Record<string, unknown>, walk: Walk): unknown {
  const keys = Object.keys(value);
  if (walk.sortKeys) sortKeys(keys);
  const result: Record<string, unknown> = {};
  let empty = true;
  // Indexed: code that V8 has not optimized (most of it, with the render threads' interrupt
  // budget) allocates an iterator result for each item of a for-of.
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key === '__proto__') return GIVE_UP;
    const resolved = plain(value[key], walk);
    if (resolved === GIVE_UP || resolved === IN_ORDER) return resolved;
    if (resolved !== null && resolved !== undefined) {
      result[key] = resolved;
      empty = false;
    }
  }
  return walk.filterEmpty && empty ? undefined : result;
}

function plainObjectInOrder(value: Record<string, unknown>, walk: Walk): unknown {
  const keys = Object.keys(value);
  const values: unknown[] = [];
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key === '__proto__') return GIVE_UP;
    const resolved = plain(value[key], walk);
    if (resolved === GIVE_UP) return GIVE_UP;
    values.push(resolved);
  }
  const order = keys.map((_, i) => i);
  if (walk.sortKeys && keys.length > 1) order.sort(byKey(keys));
  const result: Record<string, unknown> = {};
  let empty = true;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const resolved = values[i];
    if (resolved !== null && resolved !== undefined) {
      result[keys[i]!] = resolved;
      empty = false;
    }
  }
  return walk.filterEmpty && empty ? undefined : result;
}

/** The fields of cdk8s 2.70.106's ApiObject and ApiObjectMetadataDefinition that `toJson` reads (private in its types). */
interface ApiObjectFields {
  readonly props: ApiObjectProps;
  readonly patches: JsonPatch[];
}
interface MetadataFields {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels: Record<string, unknown>;
  readonly annotations: Record<string, unknown>;
  readonly finalizers: unknown[];
  readonly ownerReferences: unknown[];
  readonly _additionalAttributes: Record<string, unknown>;
}

/** Whether the App resolves with cdk8s's three built-in resolvers alone (no custom one). */
function resolvesBuiltIn(app: App): boolean {
  const r = app.resolvers;
  return (
    r.length === 3 &&
    r[0]?.constructor === BUILT_IN_RESOLVERS[0] &&
    r[1]?.constructor === BUILT_IN_RESOLVERS[1] &&
    r[2]?.constructor === BUILT_IN_RESOLVERS[2]
  );
}

const originalToJson = ApiObject.prototype.toJson;
const originalMetadataToJson = ApiObjectMetadataDefinition.prototype.toJson;

/** `metadata.toJson()` as cdk8s computes it, or GIVE_UP. */
function metadataJson(m: ApiObjectMetadataDefinition, inOrder: boolean): unknown {
  if (!(m instanceof ApiObjectMetadataDefinition) || m.toJson !== originalMetadataToJson) return GIVE_UP;
  const fields = m as unknown as MetadataFields;
  // The same object, keys in the same order, as ApiObjectMetadataDefinition.toJson resolves.
  const data = {
    ...fields._additionalAttributes,
    name: fields.name,
    namespace: fields.namespace,
    annotations: fields.annotations,
    finalizers: fields.finalizers,
    ownerReferences: fields.ownerReferences,
    labels: fields.labels,
  };
  return plain(data, { sortKeys: true, filterEmpty: true, inOrder });
}

/** The keys cdk8s puts first in an object's JSON, in this order. */
const FIRST_KEYS = ['apiVersion', 'kind', 'metadata'] as const;

/** What cdk8s 2.70.106's `ApiObject.prototype.toJson` gives for `o`, by the walk above; undefined where that walk does not apply. */
export function plainJson(o: ApiObject): Record<string, unknown> | undefined {
  if (!resolvesBuiltIn(App.of(o))) return undefined;
  const { props, patches } = o as unknown as ApiObjectFields;
  const sortKeys = !process.env.CDK8S_DISABLE_SORT;
  const walkAll = (inOrder: boolean): unknown => {
    // cdk8s resolves the metadata first, then the rest.
    const metadata = metadataJson(o.metadata, inOrder);
    if (metadata === GIVE_UP || metadata === IN_ORDER) return metadata;
    const json = plain({ ...props, metadata: undefined }, { sortKeys, filterEmpty: false, inOrder });
    if (json === GIVE_UP || json === IN_ORDER || json === undefined) return json;
    // cdk8s walks metadata's JSON a second time in the whole object's: it is plain and sorted, so
    // that copies it as it is; where its key lands does not matter, it is put third below.
    if (metadata !== undefined) (json as Record<string, unknown>).metadata = metadata;
    return json;
  };
  let json = walkAll(false);
  if (json === IN_ORDER) json = walkAll(true);
  if (json === GIVE_UP || json === undefined) return undefined;
  // Without patches, JsonPatch.apply gives the same object back (fast-json-patch mutates it in place).
  let patched = json as Record<string, unknown>;
  if (patches.length > 0) {
    try {
      patched = JsonPatch.apply(json, ...patches) as Record<string, unknown>;
    } catch {
      return undefined; // cdk8s's own run gives the error its message (the construct's path and name)
    }
  }
  // apiVersion, kind and metadata first, then the other keys in their order (assigning a key
  // again keeps its place).
  const result: Record<string, unknown> = {};
  for (let i = 0; i < FIRST_KEYS.length; i++) {
    const k = FIRST_KEYS[i]!;
    if (k in patched) result[k] = patched[k];
  }
  const keys = Object.keys(patched);
  for (let i = 0; i < keys.length; i++) result[keys[i]!] = patched[keys[i]!];
  return result;
}

function plainToJson(this: ApiObject): unknown {
  return plainJson(this) ?? originalToJson.call(this);
}

/**
 * Runs `body` with ApiObject's `toJson` (which the bindings' own `toJson` calls first) taking the
 * walk above, in place of cdk8s's own only: a `toJson` put there by someone else (a test's spy)
 * stays in force.
 */
export function withPlainJson<T>(body: () => T): T {
  const before = ApiObject.prototype.toJson;
  if (before !== originalToJson) return body();
  ApiObject.prototype.toJson = plainToJson;
  try {
    return body();
  } finally {
    ApiObject.prototype.toJson = before;
  }
}
