// The shape site files are checked against at run time, generated from sites/types.ts so that the
// TypeScript types and the check cannot drift: adding a field to sites/types.ts is the whole change.
// tools/build.mjs calls this before bundling, whenever sites/types.ts (or a file it imports, or
// this generator) changed since the last generation; it writes into dist/ (never committed):
//   dist/site-shape.js    ajv standalone validators `validateSite` and `validateEdge` (unknown
//                         properties refused), and the JSON Schema itself (`schema`), which
//                         pipeline/site-shape.ts reads to word its errors
//   dist/site-shape.inputs.json   what it was generated from (tools/stamps.mjs: content hashes)
// The TypeScript program is created only when regenerating (~1.3 s); a current shape costs a few
// stat calls.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCurrent, stampOf, writeStamp } from './stamps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const TYPES = 'sites/types.ts';
export const SHAPE_MODULE = path.join(root, 'dist', 'site-shape.js');
const STAMP = path.join(root, 'dist', 'site-shape.inputs.json');
/** The types the validators are exported for. */
const ROOTS = { validateSite: 'Site', validateEdge: 'EdgeProxy' };

function isShapeCurrent() {
  return fs.existsSync(SHAPE_MODULE) && isCurrent(root, STAMP);
}

const deref = (schema, definitions) =>
  schema?.$ref?.startsWith('#/definitions/') ? definitions[decodeURIComponent(schema.$ref.slice(14))] : schema;

/**
 * A union of object types told apart by one constant property (`kind: 'minio' | 's3' | 'aws'`)
 * becomes a `oneOf` with ajv's `discriminator`: only the branch the value names is checked, so an
 * unknown field in an S3 store is reported once, against the S3 type, not against every branch.
 */
function discriminate(schema, definitions) {
  if (Array.isArray(schema)) return schema.map((s) => discriminate(s, definitions));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, discriminate(v, definitions)]));
  const branches = out.anyOf?.map((b) => deref(b, definitions));
  if (!branches || branches.length < 2 || !branches.every((b) => b?.type === 'object' && b.properties)) return out;
  const tag = Object.keys(branches[0].properties).find((p) =>
    branches.every((b) => b.properties[p]?.const !== undefined && b.required?.includes(p)),
  );
  if (tag === undefined) return out;
  const { anyOf, ...rest } = out;
  return { ...rest, type: 'object', discriminator: { propertyName: tag }, oneOf: anyOf };
}

/** The JSON Schema of every exported type of sites/types.ts, and the files the program read. */
export function siteSchema(typesFile = path.join(root, TYPES)) {
  const ts = require('typescript');
  const { createFormatter, createParser, SchemaGenerator } = require('ts-json-schema-generator');
  // jsDoc 'extended': each field's doc line becomes its `description`, which the errors quote.
  const config = { path: typesFile, type: '*', expose: 'export', topRef: true, jsDoc: 'extended', additionalProperties: false };
  // Only the types file and the ES library: the project's tsconfig would load every source file.
  const program = ts.createProgram([typesFile], { lib: ['lib.es2022.d.ts'], types: [], strict: true, noEmit: true, skipLibCheck: true });
  const generator = new SchemaGenerator(program, createParser(program, config), createFormatter(config), config);
  const raw = generator.createSchema('*');
  const schema = { $id: 'site-model', ...discriminate(raw, raw.definitions) };
  const sources = program
    .getSourceFiles()
    .map((f) => path.relative(root, f.fileName))
    .filter((f) => !f.startsWith('node_modules') && !f.startsWith('..'));
  return { schema, sources };
}

/** The schema without its doc lines (the validators need none; the messages read them from `schema`). */
function withoutAnnotations(schema) {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== 'description' && key !== 'default')
      .map(([key, value]) =>
        key === 'properties' || key === 'definitions'
          ? [key, Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, withoutAnnotations(sub)]))]
          : [key, withoutAnnotations(value)],
      ),
  );
}

/** The standalone module: a validator per root type, and the schema. */
export function shapeModule(schema) {
  const Ajv = require('ajv').default;
  const standaloneCode = require('ajv/dist/standalone').default;
  const ajv = new Ajv({ allErrors: true, discriminator: true, strict: true, messages: false, code: { source: true, lines: false } });
  ajv.addSchema(withoutAnnotations(schema));
  const refs = Object.fromEntries(Object.entries(ROOTS).map(([name, type]) => [name, `site-model#/definitions/${type}`]));
  const code = standaloneCode(ajv, refs);
  return `// Generated from sites/types.ts by tools/site-shape.mjs: do not edit.\n${code}\nmodule.exports.schema = ${JSON.stringify(schema)};\n`;
}

/** Regenerates dist/site-shape.js when an input changed; returns whether it did. */
export function buildSiteShape() {
  if (isShapeCurrent()) return false;
  const { schema, sources } = siteSchema();
  fs.mkdirSync(path.dirname(SHAPE_MODULE), { recursive: true });
  const tmp = `${SHAPE_MODULE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, shapeModule(schema));
  fs.renameSync(tmp, SHAPE_MODULE);
  const inputs = [...sources, 'tools/site-shape.mjs', 'package-lock.json'].sort();
  writeStamp(STAMP, stampOf(root, inputs));
  return true;
}
