/**
 * Part of `npm run import`: turns the verified upstream files into the content of imports/, in a
 * directory of its own (import.ts swaps it into place):
 *   - `<module>-<group>.ts`: cdk8s bindings of the listed kinds only (`cdk8s import` of a file
 *     holding just those CRDs, one module at a time);
 *   - `schemas/`: each kind's openAPIV3Schema, so that synth-time validation checks custom
 *     resources against the same schema the bindings were generated from;
 *   - `validators/<release>/`: the validators synth runs (compile-validators.ts), one directory
 *     per Kubernetes release;
 *   - `ci-validators/<name>.js`: a validator per CI template schema (the tests run them).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { compileEditorSchema, compileValidators } from './compile-validators';
import { InputError } from './import-inputs';
import type { UpstreamInputs } from './upstream-inputs';

interface CrdVersion {
  name: string;
  served?: boolean;
  schema?: { openAPIV3Schema?: unknown };
}
interface Crd {
  kind?: string;
  spec?: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

/** The CRDs of `kinds` in an upstream file; every listed kind must be there. */
function selectedCrds(text: string, file: string, kinds: readonly string[]): Crd[] {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Crd | null);
  const found = docs.filter((d): d is Crd => d?.kind === 'CustomResourceDefinition' && kinds.includes(d.spec?.names.kind ?? ''));
  const missing = kinds.filter((k) => !found.some((d) => d.spec?.names.kind === k));
  if (missing.length > 0) throw new InputError([`${file}: no CustomResourceDefinition for kind(s) ${missing.join(', ')}`]);
  return found;
}

/**
 * The cdk8s CLI of node_modules, run with this node (no npx, no upgrade check). Its output is
 * kept and shown only if it fails.
 */
function cdk8sImport(spec: string, outDir: string): void {
  const cli = path.join(path.dirname(require.resolve('cdk8s-cli/package.json')), 'bin', 'cdk8s');
  const args = [cli, 'import', spec, '-l', 'typescript', '-o', outDir, '--no-check-upgrade', '--no-save'];
  const run = spawnSync(process.execPath, args, { cwd: outDir, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
  if (run.status !== 0) throw new Error(`cdk8s import ${spec} failed (exit ${run.status ?? run.signal}):\n${run.stderr}${run.stdout}`);
}

/**
 * Writes the content of imports/ into `outDir` (which must not exist) from `contents`, the
 * verified bytes of every upstream file by mirror path. `localSchemaDir` holds LOCAL_SCHEMAS.
 */
export function generateImports(
  inputs: UpstreamInputs,
  contents: ReadonlyMap<string, Buffer>,
  outDir: string,
  localSchemaDir: string,
): { modules: number; schemas: number; kinds: number; ciSchemas: number } {
  const text = (mirrorPath: string): string => {
    const data = contents.get(mirrorPath);
    if (data === undefined) throw new Error(`${mirrorPath} was not obtained`);
    return data.toString('utf8');
  };
  const schemaDir = path.join(outDir, 'schemas');
  fs.mkdirSync(schemaDir, { recursive: true });
  const byModule = new Map<string, Crd[]>();
  for (const input of inputs.crds) {
    const crds = selectedCrds(text(input.mirrorPath), input.mirrorPath, input.kinds);
    byModule.set(input.module, [...(byModule.get(input.module) ?? []), ...crds]);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crd-import-'));
  try {
    for (const [module, crds] of byModule) {
      const file = path.join(tmp, `${module}.yaml`);
      fs.writeFileSync(file, crds.map((c) => stringify(c)).join('---\n'));
      cdk8sImport(`${module}:=${file}`, outDir);
      for (const crd of crds) {
        const spec = crd.spec;
        if (!spec) continue;
        for (const version of spec.versions.filter((v) => v.served !== false)) {
          const name = `${spec.group}_${spec.names.kind}_${version.name}.json`.toLowerCase();
          fs.writeFileSync(path.join(schemaDir, name), `${JSON.stringify(version.schema?.openAPIV3Schema ?? {})}\n`);
        }
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  for (const local of inputs.local) {
    const schema = JSON.parse(fs.readFileSync(path.join(localSchemaDir, local.file), 'utf8')) as unknown;
    fs.writeFileSync(
      path.join(schemaDir, `${local.group}_${local.kind}_${local.version}.json`.toLowerCase()),
      `${JSON.stringify(schema)}\n`,
    );
  }
  const crdKinds = [
    ...[...byModule.values()].flat().flatMap((c) => (c.spec ? [{ group: c.spec.group, kind: c.spec.names.kind }] : [])),
    ...inputs.local.map((l) => ({ group: l.group, kind: l.kind })),
  ];
  let kinds = 0;
  for (const [release, file] of Object.entries(inputs.kubernetes)) {
    kinds += compileValidators({
      k8sDefinitions: text(file.mirrorPath),
      schemaDir,
      crdKinds,
      outDir: path.join(outDir, 'validators', release),
    }).kinds;
  }
  for (const [name, file] of Object.entries(inputs.ci))
    compileEditorSchema(text(file.mirrorPath), path.join(outDir, 'ci-validators', `${name}.js`));
  return { modules: byModule.size, schemas: fs.readdirSync(schemaDir).length, kinds, ciSchemas: Object.keys(inputs.ci).length };
}
