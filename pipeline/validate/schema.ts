/**
 * Schema validation: every rendered object against the Kubernetes schema of KUBERNETES_RELEASE
 * or, for custom kinds, the CRD schema we import, both tightened so that unknown fields are
 * errors. The validators are compiled at import time (tools/compile-validators.ts) into
 * imports/validators/<release>/, one module per kind, and loaded on first use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Finding } from '../errors';
import type { KubeObject } from '../render';
import { objectId, type ObjectContext } from './context';

/**
 * The Kubernetes release rendered objects are checked against: the one cdk8s-plus-28 describes.
 * `npm run import` compiles the validators of every release of tools/upstream-inputs.ts into
 * imports/validators/<release>/.
 */
export const KUBERNETES_RELEASE = '1.28';

/** The directory of a release's compiled validators, found from this file (in the source tree or in dist/). */
function validatorDir(release: string): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'imports', 'validators', release);
    if (fs.existsSync(path.join(candidate, 'kinds.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`imports/validators/${release}/kinds.json not found: run npm run import`);
  }
}

const indexes = new Map<string, { dir: string; files: Record<string, string> }>();
const cache = new Map<string, ValidateFunction>();

/** The validator of `apiVersion/kind` in `release`, or undefined when no schema is imported for it. */
export function validatorFor(apiVersion: string, kind: string, release = KUBERNETES_RELEASE): ValidateFunction | undefined {
  const key = `${apiVersion}/${kind}`;
  const cached = cache.get(`${release} ${key}`);
  if (cached) return cached;
  let index = indexes.get(release);
  if (!index) {
    const dir = validatorDir(release);
    index = { dir, files: JSON.parse(fs.readFileSync(path.join(dir, 'kinds.json'), 'utf8')) as Record<string, string> };
    indexes.set(release, index);
  }
  const file = index.files[key];
  if (file === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const validate = require(path.join(index.dir, file)) as ValidateFunction;
  cache.set(`${release} ${key}`, validate);
  return validate;
}

/** `/spec/template/spec/containers/0/image` -> `spec.template.spec.containers[0].image`. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(error: ErrorObject): { field: string; message: string } {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        field: fieldPath(error.instancePath, String(p.additionalProperty)),
        message: `unknown field '${String(p.additionalProperty)}' (not in the schema: misspelt, or at the wrong level)`,
      };
    case 'required':
      return { field: fieldPath(error.instancePath, String(p.missingProperty)), message: 'required field is missing' };
    case 'type':
      return { field: fieldPath(error.instancePath), message: `must be of type ${String(p.type)}` };
    case 'enum':
      return { field: fieldPath(error.instancePath), message: `must be one of ${JSON.stringify(p.allowedValues)}` };
    case 'pattern':
      return { field: fieldPath(error.instancePath), message: `must match ${String(p.pattern)}` };
    case 'oneOf':
    case 'anyOf':
      return {
        field: fieldPath(error.instancePath),
        message: 'does not match any of the allowed types (e.g. string or integer, a quantity like 100m or 64Mi)',
      };
    default:
      return { field: fieldPath(error.instancePath), message: `fails '${error.keyword}' ${JSON.stringify(p)}` };
  }
}

/**
 * Checks one object. `patch` objects (kustomize patches merged into upstream objects) are partial
 * by design: missing required fields are not reported for them.
 */
export function checkSchema(object: KubeObject, context: ObjectContext, patch = false): Finding[] {
  const where = { site: context.site, component: context.component, object: objectId(object) };
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
    return [{ ...where, field: 'apiVersion', message: 'apiVersion and kind must be strings' }];
  }
  const validate = validatorFor(object.apiVersion, object.kind);
  if (!validate) {
    return [
      {
        ...where,
        field: 'apiVersion',
        message: `no schema for ${object.apiVersion} ${object.kind}: a custom kind needs its CRD in tools/upstream-inputs.ts (then npm run import)`,
      },
    ];
  }
  if (validate(object)) return [];
  const errors = (validate.errors ?? []).filter((e) => !(patch && e.keyword === 'required'));
  // A failed oneOf/anyOf also reports each branch's failure at the same path: keep the summary only.
  const alternatives = new Set(errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const error of errors) {
    if (alternatives.has(error.instancePath) && error.keyword !== 'oneOf' && error.keyword !== 'anyOf') continue;
    const { field, message } = describe(error);
    const key = `${field}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({ ...where, field, message });
  }
  return findings;
}
