/**
 * Schema validation: every rendered object against the Kubernetes schema of its site's release
 * (`kubernetesVersion`) or, for custom kinds, the CRD schema we import, both tightened so that
 * unknown fields are errors. The validators are compiled at import time
 * (tools/compile-validators.ts) into imports/validators/<release>/, one module per kind, and
 * loaded on first use. An API version the release does not serve, or serves only when the API
 * server is told to (alpha and beta APIs), is an error naming it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Finding } from '../../model/errors';
import type { KubeObject } from '../render';
import { objectId, type ObjectContext } from './context';

/** Where an object is checked: its site, component, and the Kubernetes release the site runs. */
export interface SchemaContext extends ObjectContext {
  /** The site's `kubernetesVersion`, e.g. `1.36`. */
  readonly kubernetesRelease: string;
}

/** imports/validators/, found from this file (in the source tree or in dist/). */
function validatorsRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'imports', 'validators');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('imports/validators/ not found: run npm run import');
  }
}

let releases: readonly string[] | undefined;

/** The Kubernetes releases whose schema `npm run import` compiled (a directory each under imports/validators/). */
export function importedKubernetesReleases(): readonly string[] {
  if (releases === undefined) {
    const root = validatorsRoot();
    releases = fs
      .readdirSync(root)
      .filter((release) => fs.existsSync(path.join(root, release, 'kinds.json')))
      .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  }
  return releases;
}

interface ReleaseIndex {
  readonly dir: string;
  /** The release's own kinds, by `apiVersion/kind`. */
  readonly kubernetes: Readonly<Record<string, string>>;
  /** Imported CRD (and local) schemas, by `apiVersion/kind`. */
  readonly custom: Readonly<Record<string, string>>;
}

const indexes = new Map<string, ReleaseIndex>();
const cache = new Map<string, ValidateFunction>();

function releaseIndex(release: string): ReleaseIndex {
  let index = indexes.get(release);
  if (!index) {
    if (!importedKubernetesReleases().includes(release)) throw new Error(`no Kubernetes ${release} schema in imports/validators/`);
    const dir = path.join(validatorsRoot(), release);
    index = { dir, ...(JSON.parse(fs.readFileSync(path.join(dir, 'kinds.json'), 'utf8')) as Omit<ReleaseIndex, 'dir'>) };
    indexes.set(release, index);
  }
  return index;
}

/** schemaFilesOf's answers, by release and kind (asked for every object of every run). */
const schemaFiles = new Map<string, { validator: string; kinds: string } | undefined>();

/**
 * The files that decide the check of `apiVersion/kind` in `release`: its validator module and the
 * release's index (undefined when no schema is imported for it). For the record of passes.
 */
export function schemaFilesOf(apiVersion: string, kind: string, release: string): { validator: string; kinds: string } | undefined {
  const key = `${release} ${apiVersion}/${kind}`;
  if (schemaFiles.has(key)) return schemaFiles.get(key);
  let files: { validator: string; kinds: string } | undefined;
  if (importedKubernetesReleases().includes(release)) {
    const index = releaseIndex(release);
    const file = index.kubernetes[`${apiVersion}/${kind}`] ?? index.custom[`${apiVersion}/${kind}`];
    if (file !== undefined) files = { validator: path.join(index.dir, file), kinds: path.join(index.dir, 'kinds.json') };
  }
  schemaFiles.set(key, files);
  return files;
}

/** The validator of `apiVersion/kind` in `release`, or undefined when no schema is imported for it. */
export function validatorFor(apiVersion: string, kind: string, release: string): ValidateFunction | undefined {
  const key = `${apiVersion}/${kind}`;
  const cached = cache.get(`${release} ${key}`);
  if (cached) return cached;
  const index = releaseIndex(release);
  const file = index.kubernetes[key] ?? index.custom[key];
  if (file === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const validate = require(path.join(index.dir, file)) as ValidateFunction;
  cache.set(`${release} ${key}`, validate);
  return validate;
}

/** `v1alpha1`, `v2beta3`: versions Kubernetes serves only when the API server enables them. */
const PRE_RELEASE = /^v\d+(alpha|beta)\d+$/;

/**
 * Why `apiVersion kind` is not served by `release` (undefined when it is): a version the release
 * does not have or leaves off by default, or a custom kind whose CRD is not imported.
 */
function unserved(apiVersion: string, kind: string, release: string): string | undefined {
  const index = releaseIndex(release);
  const key = `${apiVersion}/${kind}`;
  if (index.custom[key] !== undefined) return undefined;
  const builtIn = index.kubernetes[key] !== undefined;
  const slash = apiVersion.lastIndexOf('/');
  if (builtIn && !PRE_RELEASE.test(apiVersion.slice(slash + 1))) return undefined;
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const known = Object.keys(index.kubernetes);
  const versionsOfKind = known.filter((k) => k.endsWith(`/${kind}`)).map((k) => k.slice(0, -kind.length - 1));
  const served = versionsOfKind.filter((v) => !PRE_RELEASE.test(v.slice(v.lastIndexOf('/') + 1)));
  const instead = served.length > 0 ? `; it serves ${kind} as ${served.join(', ')}` : '';
  // Alpha APIs are always off; new beta APIs are off by default since Kubernetes 1.24 (KEP-3136).
  if (builtIn) return `${apiVersion} is a pre-release API that Kubernetes ${release} serves only when the API server enables it${instead}`;
  if (group === '' || versionsOfKind.length > 0 || known.some((k) => k.startsWith(`${group}/`)))
    return `Kubernetes ${release} does not serve ${apiVersion} ${kind}${instead}`;
  return `no schema for ${apiVersion} ${kind}: a custom kind needs its CRD in tools/upstream-inputs.ts (then npm run import)`;
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
 * Checks one object against its site's release. `patch` objects (kustomize patches merged into
 * upstream objects) are partial by design: missing required fields are not reported for them.
 */
export function checkSchema(object: KubeObject, context: SchemaContext, patch = false): Finding[] {
  const where = { site: context.site, component: context.component, object: objectId(object) };
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
    return [{ ...where, field: 'apiVersion', message: 'apiVersion and kind must be strings' }];
  }
  const refused = unserved(object.apiVersion, object.kind, context.kubernetesRelease);
  if (refused !== undefined) return [{ ...where, field: 'apiVersion', message: refused }];
  const validate = validatorFor(object.apiVersion, object.kind, context.kubernetesRelease)!;
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
