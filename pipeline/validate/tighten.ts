/**
 * Turns Kubernetes' published schemas into strict ones for validation. Kubernetes' definitions and
 * most CRD schemas never say `additionalProperties: false`, so a misspelt field (`replica:`,
 * `imagePullPolice:`) would pass them and be silently dropped by the API server; we close every
 * object that lists its properties. Maps (`additionalProperties: {...}`) and objects that keep
 * unknown fields on purpose (`x-kubernetes-preserve-unknown-fields`, RawExtension) stay open.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A Kubernetes quantity (`100m`, `64Mi`, `1.5`, `1e3`), the regular expression of apimachinery's parser. */
export const QUANTITY_PATTERN = '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?$';

/** Keywords ajv does not know and that do not constrain values: dropped from the generated schemas. */
function isAnnotation(key: string): boolean {
  return key === 'description' || key === 'format' || key === 'example' || key === 'default' || key.startsWith('x-kubernetes-');
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RE2's leading `(?i)` (Go's case-insensitive flag), which JavaScript lacks: every letter becomes `[xX]`. */
function caseInsensitive(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += c + (pattern[++i] ?? '');
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    out += lower !== upper ? (inClass ? lower + upper : `[${lower}${upper}]`) : c;
  }
  return out;
}

/** A Go (RE2) pattern as a JavaScript one, or undefined when it cannot be translated. */
export function translatePattern(pattern: string): string | undefined {
  const translated = pattern.startsWith('(?i)') ? caseInsensitive(pattern.slice(4)) : pattern;
  try {
    new RegExp(translated, 'u');
    return translated;
  } catch {
    return undefined;
  }
}

/**
 * Returns a strict copy of a schema: unknown fields rejected, annotations dropped, Kubernetes'
 * int-or-string and quantity types spelled in plain JSON Schema.
 */
export function tighten(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(tighten);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (isAnnotation(key)) continue;
    if (key === 'properties' && isObject(value)) {
      // Property names are data, not keywords: keep every one, tighten each schema.
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, tighten(sub)]));
    } else if (key === 'pattern' && typeof value === 'string') {
      // A pattern JavaScript cannot read is dropped (the API server still checks it).
      const pattern = translatePattern(value);
      if (pattern !== undefined) out[key] = pattern;
    } else out[key] = tighten(value);
  }
  if (schema['x-kubernetes-int-or-string'] === true && out.type === undefined && out.anyOf === undefined && out.oneOf === undefined) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return closed(schema, tightenBounds(out));
}

/** Closes an object schema that lists its properties, unless it keeps unknown fields on purpose. */
function closed(schema: JsonObject, out: JsonObject): JsonObject {
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  return isObject(out.properties) && out.additionalProperties === undefined && !preserve ? { ...out, additionalProperties: false } : out;
}

/** OpenAPI 3.0 spells exclusive bounds as booleans next to maximum/minimum; JSON Schema as the bound. */
function tightenBounds(out: JsonObject): JsonObject {
  let result = out;
  for (const [exclusive, bound] of [
    ['exclusiveMaximum', 'maximum'],
    ['exclusiveMinimum', 'minimum'],
  ] as const) {
    if (typeof result[exclusive] !== 'boolean') continue;
    const { [exclusive]: flag, [bound]: value, ...rest } = result;
    result =
      flag === true && typeof value === 'number'
        ? { ...rest, [exclusive]: value }
        : { ...rest, ...(value !== undefined ? { [bound]: value } : {}) };
  }
  return result;
}

/** The Kubernetes definitions (swagger `definitions`), tightened, with the kinds they describe. */
export interface KubernetesSchema {
  /** `apiVersion/kind` (e.g. `apps/v1/Deployment`, `v1/Pod`) -> definition name. */
  readonly kinds: Record<string, string>;
  /** Definition name -> strict JSON schema; references are `#/definitions/<name>`. */
  readonly definitions: Record<string, Json>;
}

/**
 * A kind's schema without `status`: controllers write it, we never render it, and leaving it out
 * makes the compiled validators smaller (a rendered status is then reported as an unknown field).
 */
export function withoutStatus(schema: Json): Json {
  if (!isObject(schema) || !isObject(schema.properties) || schema.properties.status === undefined) return schema;
  if (!isObject(schema.properties.kind) && !isObject(schema.properties.apiVersion)) return schema;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { status, ...properties } = schema.properties;
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => r !== 'status') : undefined;
  return { ...schema, properties, ...(required ? { required } : {}) };
}

/** Builds the strict Kubernetes schema from the upstream `_definitions.json`. */
export function tightenKubernetesDefinitions(definitions: Record<string, Json>): KubernetesSchema {
  const kinds: Record<string, string> = {};
  const out: Record<string, Json> = {};
  for (const name of Object.keys(definitions).sort()) {
    const definition = definitions[name]!;
    if (isObject(definition)) {
      const gvks = definition['x-kubernetes-group-version-kind'];
      if (Array.isArray(gvks)) {
        for (const gvk of gvks) {
          if (!isObject(gvk)) continue;
          const apiVersion = gvk.group ? `${String(gvk.group)}/${String(gvk.version)}` : String(gvk.version);
          // Only objects one can apply: not the meta types (DeleteOptions, WatchEvent) every group lists.
          if (!name.startsWith('io.k8s.apimachinery.pkg.apis.meta.')) kinds[`${apiVersion}/${String(gvk.kind)}`] = name;
        }
      }
    }
    out[name] =
      name === 'io.k8s.apimachinery.pkg.api.resource.Quantity'
        ? { anyOf: [{ type: 'string', pattern: QUANTITY_PATTERN }, { type: 'number' }] }
        : withoutStatus(tighten(definition));
  }
  return { kinds: Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), definitions: out };
}
