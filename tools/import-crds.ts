/**
 * `npm run import`: regenerates imports/ from the CRD files in ../shared/crds (offline), keeping
 * only the kinds listed in crd-sources.ts. Also writes each kind's openAPIV3Schema to
 * imports/schemas/ so that synth-time validation checks custom resources against the same schema
 * the bindings were generated from, and compiles the validators synth runs (compile-validators.ts)
 * from those and the Kubernetes 1.28 definitions. Set CRD_DIR (CRD files) or K8S_SCHEMA (the
 * Kubernetes `_definitions.json`) to read them from elsewhere.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { compileValidators } from './compile-validators';
import { CRD_SOURCES, LOCAL_SCHEMAS } from './crd-sources';

interface CrdVersion {
  name: string;
  served?: boolean;
  schema?: { openAPIV3Schema?: unknown };
}
interface Crd {
  kind?: string;
  spec?: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

const root = path.resolve(__dirname, '..');
const crdDir = path.resolve(process.env.CRD_DIR ?? path.join(root, '..', 'shared', 'crds'));
const importsDir = path.join(root, 'imports');
const schemaDir = path.join(importsDir, 'schemas');
const k8sDefinitions = path.resolve(
  process.env.K8S_SCHEMA ?? path.join(root, '..', 'shared', 'k8s-schemas', 'v1.28.0', '_definitions.json'),
);

function selectedCrds(file: string, kinds: readonly string[]): Crd[] {
  const text = fs.readFileSync(path.join(crdDir, file), 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Crd | null);
  const found = docs.filter((d): d is Crd => d?.kind === 'CustomResourceDefinition' && kinds.includes(d.spec?.names.kind ?? ''));
  const missing = kinds.filter((k) => !found.some((d) => d.spec?.names.kind === k));
  if (missing.length > 0) throw new Error(`${file}: no CustomResourceDefinition for kind(s) ${missing.join(', ')}`);
  return found;
}

function main(): void {
  fs.rmSync(importsDir, { recursive: true, force: true });
  fs.mkdirSync(schemaDir, { recursive: true });
  const byModule = new Map<string, Crd[]>();
  for (const source of CRD_SOURCES) {
    const crds = selectedCrds(source.localFile, source.kinds);
    byModule.set(source.module, [...(byModule.get(source.module) ?? []), ...crds]);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crd-import-'));
  try {
    for (const [module, crds] of byModule) {
      const file = path.join(tmp, `${module}.yaml`);
      fs.writeFileSync(file, crds.map((c) => stringify(c)).join('---\n'));
      execFileSync(
        'npx',
        ['cdk8s', 'import', `${module}:=${file}`, '-l', 'typescript', '-o', importsDir, '--no-check-upgrade', '--no-save'],
        {
          cwd: root,
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
        },
      );
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
  for (const local of LOCAL_SCHEMAS) {
    const schema = JSON.parse(fs.readFileSync(path.join(root, 'tools', 'schemas', local.file), 'utf8')) as unknown;
    fs.writeFileSync(
      path.join(schemaDir, `${local.group}_${local.kind}_${local.version}.json`.toLowerCase()),
      `${JSON.stringify(schema)}\n`,
    );
  }
  const crdKinds = [
    ...[...byModule.values()].flat().flatMap((c) => (c.spec ? [{ group: c.spec.group, kind: c.spec.names.kind }] : [])),
    ...LOCAL_SCHEMAS.map((l) => ({ group: l.group, kind: l.kind })),
  ];
  const { kinds } = compileValidators({
    k8sDefinitionsFile: k8sDefinitions,
    schemaDir,
    crdKinds,
    outDir: path.join(importsDir, 'validators'),
  });
  console.log(`imports/: ${byModule.size} modules, ${fs.readdirSync(schemaDir).length} schemas, validators for ${kinds} kinds`);
}

main();
