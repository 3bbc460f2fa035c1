/**
 * Part of `npm run import`: compiles the schema validators synth runs on every rendered object
 * into imports/validators/<release>/ (ajv standalone code, one module per kind, committed), so
 * that synth loads plain functions (~40 ms) instead of compiling schemas on every run (~250 ms for
 * the kinds we use). One directory per Kubernetes release of tools/upstream-inputs.ts, with
 * `kinds.json` indexing the modules by `apiVersion/kind` in two parts:
 *   - `kubernetes`: every kind of that release's `_definitions.json` (what the release knows);
 *   - `custom`: the CRD schemas import-generate.ts wrote to imports/schemas/, with their
 *     `metadata` checked against that release's ObjectMeta.
 * Both are tightened (pipeline/validate/tighten.ts): unknown fields are errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { tighten, tightenKubernetesDefinitions, withoutStatus, type Json } from '../pipeline/validate/tighten';

/** File name of a kind's validator module: `apps_v1_Deployment.js`. */
export function validatorFile(key: string): string {
  return `${key.replace(/[^A-Za-z0-9.-]+/g, '_')}.js`;
}

/**
 * Moves every nested object schema of a CRD into `definitions`, referenced by `$ref`: ajv then
 * compiles each into a function of its own (with `inlineRefs: false`), and V8 compiles only the
 * functions an object reaches. A CRD with dozens of alternatives (External Secrets' providers)
 * would otherwise be one function of a megabyte, compiled whole on its first call.
 */
function hoist(schema: Json, id: string, definitions: Record<string, Json>, path: string): Json {
  if (Array.isArray(schema)) return schema.map((s, i) => hoist(s, id, definitions, `${path}.${i}`));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => {
          const hoisted = hoist(sub, id, definitions, `${path}.${name}`);
          if (typeof hoisted !== 'object' || hoisted === null || Array.isArray(hoisted) || hoisted.properties === undefined)
            return [name, hoisted];
          const ref = `${path}.${name}`.slice(1);
          definitions[ref] = hoisted;
          return [name, { $ref: `${id}#/definitions/${ref}` }];
        }),
      );
    } else out[key] = hoist(value, id, definitions, key === 'items' ? `${path}[]` : path);
  }
  return out;
}

const OBJECT_META = 'https://schemas.invalid/k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** A CRD schema file name `<group>_<kind>_<version>.json` has lost the kind's case: read it back from the schema. */
function crdKey(schemaFile: string, schema: Json, kindsByLowerName: Map<string, string>): string {
  const [group, kindLower, version] = path.basename(schemaFile, '.json').split('_');
  const kind = kindsByLowerName.get(`${group}/${kindLower}`);
  if (!group || !kindLower || !version || !kind || typeof schema !== 'object') throw new Error(`unexpected schema file ${schemaFile}`);
  return `${group}/${version}/${kind}`;
}

export function compileValidators(options: {
  /** The release's `_definitions.json`, as text. */
  k8sDefinitions: string;
  schemaDir: string;
  crdKinds: readonly { group: string; kind: string }[];
  outDir: string;
}): { kinds: number } {
  const upstream = JSON.parse(options.k8sDefinitions) as { definitions: Record<string, Json> };
  const k8s = tightenKubernetesDefinitions(upstream.definitions);
  // strictTypes off: CRDs put `pattern` next to int-or-string, valid JSON Schema that ajv only warns about.
  const ajv = new Ajv({
    allErrors: true,
    inlineRefs: false,
    strict: true,
    strictTypes: false,
    messages: false,
    code: { source: true, esm: false, lines: false },
  });
  ajv.addSchema({ $id: 'https://schemas.invalid/k8s', definitions: k8s.definitions });
  const refs: Record<string, string> = {};
  // Lists are never rendered (one object per file).
  const builtIn = Object.keys(k8s.kinds).filter((key) => !key.endsWith('List'));
  for (const key of builtIn) refs[key] = `https://schemas.invalid/k8s#/definitions/${k8s.kinds[key]}`;

  const kindsByLowerName = new Map(options.crdKinds.map((c) => [`${c.group}/${c.kind.toLowerCase()}`, c.kind]));
  for (const file of fs.readdirSync(options.schemaDir).sort()) {
    if (!file.endsWith('.json')) continue;
    const raw = JSON.parse(fs.readFileSync(path.join(options.schemaDir, file), 'utf8')) as Json;
    const key = crdKey(file, raw, kindsByLowerName);
    const strict = withoutStatus(tighten(raw)) as Record<string, Json>;
    const id = `https://schemas.invalid/crd/${key}`;
    const definitions: Record<string, Json> = {};
    const hoisted = hoist(strict, id, definitions, '') as Record<string, Json>;
    const properties = { ...(hoisted.properties as Record<string, Json>), metadata: { $ref: OBJECT_META } };
    ajv.addSchema({ ...hoisted, properties, definitions }, id);
    refs[key] = `https://schemas.invalid/crd/${key}`;
  }
  // One module per kind, loaded when a rendered object of that kind is first validated: synth
  // reads only the few it needs, not the code for every kind.
  fs.rmSync(options.outDir, { recursive: true, force: true });
  fs.mkdirSync(options.outDir, { recursive: true });
  const keys = Object.keys(refs).sort();
  for (const key of keys) {
    const validate = ajv.getSchema(refs[key]!);
    if (!validate) throw new Error(`no schema for ${key}`);
    const code = standaloneCode(ajv, validate);
    fs.writeFileSync(
      path.join(options.outDir, validatorFile(key)),
      `// Generated by npm run import (tools/compile-validators.ts): do not edit.\n${code}\n`,
    );
  }
  // The release's own kinds apart from the custom ones: synth tells a version the release does
  // not serve from a custom kind without its CRD.
  const index = (wanted: (key: string) => boolean) => Object.fromEntries(keys.filter(wanted).map((k) => [k, validatorFile(k)]));
  const kinds = { kubernetes: index((k) => builtIn.includes(k)), custom: index((k) => !builtIn.includes(k)) };
  fs.writeFileSync(path.join(options.outDir, 'kinds.json'), `${JSON.stringify(kinds, null, 1)}\n`);
  return { kinds: keys.length };
}
