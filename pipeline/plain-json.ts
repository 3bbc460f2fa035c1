/**
 * cdk8s's `ApiObject.toJson` for objects made of plain data, in one walk. cdk8s 2.70.106
 * (node_modules/cdk8s/lib/api-object.js, resolve.js, _util.js, metadata.js) serializes an object
 * as `sanitizeValue(resolve([], {...props, metadata: metadata.toJson()}))`, then applies its JSON
 * patches and puts apiVersion, kind and metadata first. `resolve` looks the App up from the
 * object (a walk to the root) and builds a resolution context for every value, with a new key
 * path array, and `sanitizeValue` copies the result again: most of what a site's render costs.
 * With the App's resolvers the three built-in ones, a value they leave alone is a primitive, a
 * plain object or an array; a non-plain object whose `value` is a number or a string (the
 * bindings' IntOrString, Quantity) becomes `{ value }`. This walk does exactly that and sorts and
 * drops what `sanitizeValue` would; anything else (a `Lazy`, an object with a `resolve` method,
 * a function, another class, a custom resolver, a `__proto__` key) makes it give up, and cdk8s's
 * own `toJson` serializes the object (test/plain-json.test.ts: the same JSON, key order
 * included, for every committed and generated object, and for each case that gives up).
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

/** What the walk returns when cdk8s's own resolution is needed. */
const GIVE_UP: unique symbol = Symbol('give up');

/** `sanitizeValue`'s options as cdk8s passes them. */
interface Sanitize {
  readonly sortKeys: boolean;
  readonly filterEmpty: boolean;
}

const METADATA: Sanitize = { sortKeys: true, filterEmpty: true };

/** `sanitizeValue(resolve(value))` of a value the built-in resolvers leave alone, or GIVE_UP. */
function plain(value: unknown, options: Sanitize): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return typeof value === 'function' ? GIVE_UP : value;
  if (value instanceof Lazy || typeof (value as { resolve?: unknown }).resolve === 'function') return GIVE_UP;
  const unionValue = (value as { value?: unknown }).value;
  if (Array.isArray(value)) {
    if (typeof unionValue === 'number' || typeof unionValue === 'string') return GIVE_UP;
    if (options.filterEmpty && value.length === 0) return undefined;
    let gaveUp = false;
    const items = value.map((item: unknown) => {
      const resolved = plain(item, options);
      if (resolved === GIVE_UP) gaveUp = true;
      return resolved;
    });
    return gaveUp ? GIVE_UP : items;
  }
  if ((value as object).constructor !== Object) {
    // NumberStringUnionResolver: a union class becomes `{ value }`; any other class fails in sanitizeValue.
    return typeof unionValue === 'number' || typeof unionValue === 'string' ? { value: unionValue } : GIVE_UP;
  }
  const keys = Object.keys(value);
  if (options.sortKeys) keys.sort();
  const result: Record<string, unknown> = {};
  let empty = true;
  for (const key of keys) {
    if (key === '__proto__') return GIVE_UP;
    const resolved = plain((value as Record<string, unknown>)[key], options);
    if (resolved === GIVE_UP) return GIVE_UP;
    if (resolved !== null && resolved !== undefined) {
      result[key] = resolved;
      empty = false;
    }
  }
  return options.filterEmpty && empty ? undefined : result;
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
    r[0]?.constructor === LazyResolver &&
    r[1]?.constructor === ImplicitTokenResolver &&
    r[2]?.constructor === NumberStringUnionResolver
  );
}

const originalToJson = ApiObject.prototype.toJson;
const originalMetadataToJson = ApiObjectMetadataDefinition.prototype.toJson;

/** `metadata.toJson()` as cdk8s computes it, or GIVE_UP. */
function metadataJson(m: ApiObjectMetadataDefinition): unknown {
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
  return plain(data, METADATA);
}

/** What cdk8s 2.70.106's `ApiObject.prototype.toJson` gives for `o`, by the walk above; undefined where that walk does not apply. */
export function plainJson(o: ApiObject): Record<string, unknown> | undefined {
  if (!resolvesBuiltIn(App.of(o))) return undefined;
  const { props, patches } = o as unknown as ApiObjectFields;
  const metadata = metadataJson(o.metadata);
  if (metadata === GIVE_UP) return undefined;
  const json = plain({ ...props, metadata: undefined }, { sortKeys: !process.env.CDK8S_DISABLE_SORT, filterEmpty: false });
  if (json === GIVE_UP || json === undefined) return undefined;
  // cdk8s walks metadata's JSON a second time in the whole object's: it is plain and sorted, so
  // that copies it as it is; where its key lands does not matter, it is put third below.
  if (metadata !== undefined) (json as Record<string, unknown>).metadata = metadata;
  let patched: Record<string, unknown>;
  try {
    patched = JsonPatch.apply(json, ...patches) as Record<string, unknown>;
  } catch {
    return undefined; // cdk8s's own run gives the error its message (the construct's path and name)
  }
  const result: Record<string, unknown> = {};
  for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(patched)]) {
    if (k in patched) result[k] = patched[k];
  }
  return result;
}

function plainToJson(this: ApiObject): unknown {
  return plainJson(this) ?? originalToJson.call(this);
}

/** Runs `body` with ApiObject's `toJson` (which the bindings' own `toJson` calls first) taking the walk above. */
export function withPlainJson<T>(body: () => T): T {
  const before = ApiObject.prototype.toJson;
  ApiObject.prototype.toJson = plainToJson;
  try {
    return body();
  } finally {
    ApiObject.prototype.toJson = before;
  }
}
