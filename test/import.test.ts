import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { InputError, obtainInputs, sha256, upstreamFiles } from '../tools/import-inputs';
import { IMPORT_STAGING, runImport } from '../tools/import-run';
import { UPSTREAM_INPUTS, type UpstreamInputs } from '../tools/upstream-inputs';
import { SITES } from '../sites';
import { REPO_ROOT, tempDir, treeDigest } from './helpers';

// A small mirror made here: one CRD file holding two kinds (only Widget is imported), a
// Kubernetes `_definitions.json` with ObjectMeta and one kind, and a CI template schema written
// for editors (a keyword of its own, a format ajv does not know).
const crd = (kind: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${kind.toLowerCase()}s.example.com
spec:
  group: example.com
  names: { kind: ${kind}, plural: ${kind.toLowerCase()}s, singular: ${kind.toLowerCase()} }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: { type: string }
            kind: { type: string }
            metadata: { type: object }
            spec:
              type: object
              properties:
                size: { type: integer }
`;
const CRD_FILE = `${crd('Widget')}---\n${crd('Gadget')}`;
const DEFINITIONS = JSON.stringify({
  definitions: {
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { type: 'object', properties: { name: { type: 'string' } } },
    'io.k8s.api.core.v1.ConfigMap': {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
        data: { type: 'object', additionalProperties: { type: 'string' } },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
    },
  },
});
const CI_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  markdownDescription: 'A **pipeline**.',
  type: 'object',
  required: ['stages'],
  properties: { stages: { type: 'array', items: { type: 'string' } }, docs: { type: 'string', format: 'editor-link' } },
  additionalProperties: false,
});
const FILES: Record<string, string> = {
  'crds/demo/widgets.yaml': CRD_FILE,
  'k8s-schemas/v1.28.0/_definitions.json': DEFINITIONS,
  'ci-schemas/pipeline.json': CI_SCHEMA,
};

function smallTable(baseUrl = 'https://example.invalid'): UpstreamInputs {
  const file = (mirrorPath: string) => ({ url: `${baseUrl}/${mirrorPath}`, sha256: sha256(Buffer.from(FILES[mirrorPath]!)), mirrorPath });
  return {
    crds: [{ ...file('crds/demo/widgets.yaml'), module: 'demo', kinds: ['Widget'] }],
    kubernetes: { '1.28': file('k8s-schemas/v1.28.0/_definitions.json') },
    ci: { pipeline: file('ci-schemas/pipeline.json') },
    local: [],
  };
}

function writeMirror(dir: string, files: Record<string, string> = FILES): void {
  for (const [p, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), content);
  }
}

/** Runs an import into `root`, keeping what it prints. */
async function importInto(root: string, mirror: string, inputs = smallTable(), check = false) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runImport(inputs, { root, mirror, check, localSchemaDir: root, log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out, err };
}

/**
 * One import from a good mirror, made once for the tests below (an import runs `cdk8s import`,
 * about a second): a root holding its imports/, the mirror, and what the run printed. Each test
 * works on its own copy (`copyOfGoodImport`), so the tests stay independent.
 */
interface GoodImport {
  root: string;
  mirror: string;
  run: Awaited<ReturnType<typeof importInto>>;
  warnings: unknown[][];
  cleanup: () => void;
}
let good: GoodImport;
/** Makes the shared import (in the beforeAll of the tests that use it). */
async function makeGoodImport(): Promise<void> {
  const { dir, cleanup } = tempDir();
  const root = path.join(dir, 'root');
  const mirror = path.join(dir, 'mirror');
  writeMirror(mirror);
  // ajv warns on the console about a format it is asked to check but does not know.
  const warnings: unknown[][] = [];
  const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
  const run = await importInto(root, mirror).finally(() => warn.mockRestore());
  good = { root, mirror, run, warnings, cleanup };
}

/** A fresh temp directory holding a copy of the good import's root and of its mirror. */
function copyOfGoodImport(): { root: string; mirror: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  const root = path.join(dir, 'root');
  const mirror = path.join(dir, 'mirror');
  fs.cpSync(good.root, root, { recursive: true });
  fs.cpSync(good.mirror, mirror, { recursive: true });
  return { root, mirror, cleanup };
}

/**
 * A first import from a good mirror into a temp root (a copy of the shared one), then `body`
 * with that root; checks that whatever `body` ran left imports/ as the first import made it, and
 * no staging behind.
 */
async function afterGoodImport(body: (root: string, mirror: string) => Promise<void>): Promise<void> {
  const { root, mirror, cleanup } = copyOfGoodImport();
  try {
    expect(good.run.code).toBe(0);
    const before = treeDigest(path.join(root, 'imports'));
    await body(root, mirror);
    expect(treeDigest(path.join(root, 'imports'))).toBe(before);
    expect(fs.existsSync(path.join(root, IMPORT_STAGING))).toBe(false);
  } finally {
    cleanup();
  }
}

describe('the table of upstream inputs', () => {
  it('pins every file by https URL at a tag or commit and a full sha256, once each', () => {
    const files = upstreamFiles(UPSTREAM_INPUTS);
    expect(files).toHaveLength(
      UPSTREAM_INPUTS.crds.length + Object.keys(UPSTREAM_INPUTS.kubernetes).length + Object.keys(UPSTREAM_INPUTS.ci).length,
    );
    for (const file of files) {
      expect(file.url).toMatch(/^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/(v\d+\.\d+\.\d+|[0-9a-f]{40})\//);
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('lists the Kubernetes releases the sites run, no other, each with its validators in imports/', () => {
    const used = [...new Set(SITES.map((s) => s.kubernetesVersion))].sort();
    expect(Object.keys(UPSTREAM_INPUTS.kubernetes).sort()).toEqual(used);
    expect(fs.readdirSync(path.join(REPO_ROOT, 'imports', 'validators')).sort()).toEqual(used);
    for (const release of used) {
      const kinds = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'imports', 'validators', release, 'kinds.json'), 'utf8')) as {
        custom: Record<string, string>;
      };
      for (const input of UPSTREAM_INPUTS.crds)
        for (const kind of input.kinds) expect(Object.keys(kinds.custom).some((k) => k.endsWith(`/${kind}`))).toBe(true);
    }
  });

  it('compiles each CI template schema into imports/ci-validators/, no other', () => {
    const names = Object.keys(UPSTREAM_INPUTS.ci).sort();
    expect(names).toEqual(['github-workflow', 'gitlab-ci']);
    expect(fs.readdirSync(path.join(REPO_ROOT, 'imports', 'ci-validators')).sort()).toEqual(names.map((n) => `${n}.js`));
  });
});

describe('npm run import, from a mirror the test builds', () => {
  beforeAll(makeGoodImport);
  afterAll(() => good?.cleanup());

  it('generates the bindings of the listed kinds only, their schemas and the validators per release', () => {
    const { run, warnings } = good;
    expect(run).toEqual({ code: 0, out: ['imports/: 1 modules, 1 schemas, validators for 2 kinds and 1 CI schemas'], err: [] });
    expect(warnings).toEqual([]);
    const imports = path.join(good.root, 'imports');
    const binding = fs.readFileSync(path.join(imports, 'demo-example.com.ts'), 'utf8');
    expect(binding).toMatch(/export class Widget extends ApiObject/);
    expect(binding).not.toMatch(/Gadget/);
    expect(fs.readdirSync(path.join(imports, 'schemas'))).toEqual(['example.com_widget_v1.json']);
    const kinds = JSON.parse(fs.readFileSync(path.join(imports, 'validators', '1.28', 'kinds.json'), 'utf8')) as Record<
      'kubernetes' | 'custom',
      Record<string, string>
    >;
    expect(kinds).toEqual({
      kubernetes: { 'v1/ConfigMap': 'v1_ConfigMap.js' },
      custom: { 'example.com/v1/Widget': 'example.com_v1_Widget.js' },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const validate = require(path.join(imports, 'validators', '1.28', kinds.custom['example.com/v1/Widget']!)) as (o: unknown) => boolean;
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } };
    expect(validate(widget)).toBe(true);
    expect(validate({ ...widget, spec: { sise: 1 } })).toBe(false);
    // The editors' schema as it is: its own keyword and its format compile, the format unchecked.
    expect(fs.readdirSync(path.join(imports, 'ci-validators'))).toEqual(['pipeline.js']);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pipeline = require(path.join(imports, 'ci-validators', 'pipeline.js')) as ValidateFunction;
    expect(pipeline({ stages: ['test'], docs: 'not checked' })).toBe(true);
    expect(pipeline({ stages: ['test'], stage: 'test' })).toBe(false);
    expect(pipeline.errors).toEqual([
      expect.objectContaining({ keyword: 'additionalProperties', message: 'must NOT have additional properties' }),
    ]);
    expect(fs.existsSync(path.join(good.root, IMPORT_STAGING))).toBe(false);
  });

  // --check: the same inputs give the same tree; a changed file is listed, and nothing is written.
  it('--check finds the tree the same inputs give up to date', async () => {
    const { root, mirror, cleanup } = copyOfGoodImport();
    try {
      expect((await importInto(root, mirror, smallTable(), true)).code).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('--check lists a changed file and writes nothing', async () => {
    const { root, mirror, cleanup } = copyOfGoodImport();
    try {
      const imports = path.join(root, 'imports');
      fs.appendFileSync(path.join(imports, 'demo-example.com.ts'), '// edited\n');
      const before = treeDigest(imports);
      const check = await importInto(root, mirror, smallTable(), true);
      expect(check.code).toBe(1);
      expect(check.out[0]).toBe('differs   imports/demo-example.com.ts');
      expect(treeDigest(imports)).toBe(before);
    } finally {
      cleanup();
    }
  });

  it.each([
    ['a tampered file', { 'crds/demo/widgets.yaml': CRD_FILE.replace('integer', 'string') }, /sha256 is [0-9a-f]{64}, expected /],
    ['a missing file', { 'crds/demo/widgets.yaml': undefined }, /not in the mirror; expected sha256 /],
  ])('refuses %s with one line naming it and its digest, exit 2, imports/ untouched', (_what, change, problem) =>
    afterGoodImport(async (root, mirror) => {
      fs.rmSync(mirror, { recursive: true });
      const files = { ...FILES, ...change };
      writeMirror(mirror, Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)) as Record<string, string>);
      const run = await importInto(root, mirror);
      expect(run.code).toBe(2);
      expect(run.err).toHaveLength(2);
      expect(run.err[0]!.startsWith(`import: ${path.join(mirror, 'crds/demo/widgets.yaml')}: `)).toBe(true);
      expect(run.err[0]).toMatch(problem);
      expect(run.err[0]).toContain(smallTable().crds[0]!.sha256);
      expect(run.err[1]).toBe('import: imports/ is unchanged');
    }),
  );

  it('refuses a table that lists a kind its file does not hold, imports/ untouched', () =>
    afterGoodImport(async (root, mirror) => {
      const table = smallTable();
      const run = await importInto(root, mirror, { ...table, crds: [{ ...table.crds[0]!, kinds: ['Widget', 'Sprocket'] }] });
      expect(run.code).toBe(2);
      expect(run.err).toEqual([
        'import: crds/demo/widgets.yaml: no CustomResourceDefinition for kind(s) Sprocket',
        'import: imports/ is unchanged',
      ]);
    }));

  it('puts back the previous imports/ that a run stopped between its two renames had moved away', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const root = path.join(dir, 'root');
      fs.mkdirSync(path.join(root, IMPORT_STAGING, 'previous'), { recursive: true });
      fs.writeFileSync(path.join(root, IMPORT_STAGING, 'previous', 'kept.ts'), 'x\n');
      expect((await importInto(root, path.join(dir, 'no-mirror'))).code).toBe(2);
      expect(fs.readFileSync(path.join(root, 'imports', 'kept.ts'), 'utf8')).toBe('x\n');
      expect(fs.existsSync(path.join(root, IMPORT_STAGING))).toBe(false);
    } finally {
      cleanup();
    }
  });
});

describe('fetching the inputs over the network', () => {
  let server: http.Server;
  let base: string;
  let served: Record<string, string>;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const body = served[(req.url ?? '').slice(1)];
      res.writeHead(body === undefined ? 404 : 200).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads every file from its URL and checks it like a mirror copy', async () => {
    served = { ...FILES };
    const files = upstreamFiles(smallTable(base));
    const got = await obtainInputs(files, { timeoutMs: 5000 });
    expect(got.get('crds/demo/widgets.yaml')!.toString()).toBe(CRD_FILE);

    served = { ...FILES, 'crds/demo/widgets.yaml': `${CRD_FILE}# appended\n`, 'k8s-schemas/v1.28.0/_definitions.json': undefined! };
    const error = await obtainInputs(files, { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems).toEqual([
      expect.stringMatching(new RegExp(`^${base}/crds/demo/widgets.yaml: sha256 is [0-9a-f]{64}, expected ${files[0]!.sha256}$`)),
      `${base}/k8s-schemas/v1.28.0/_definitions.json: HTTP 404 Not Found; expected sha256 ${files[1]!.sha256}`,
    ]);
  });
});

describe('the import command line (dist/import.js)', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'import.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, IMPORT_MIRROR: '', ...env },
    });

  it('names every input missing from the mirror with its digest, exits 2 and leaves imports/ as it was', () => {
    const { dir, cleanup } = tempDir();
    try {
      fs.mkdirSync(path.join(dir, 'imports'));
      fs.writeFileSync(path.join(dir, 'imports', 'kept.ts'), 'x\n');
      fs.mkdirSync(path.join(dir, 'mirror'));
      for (const [args, env] of [
        [['--mirror', path.join(dir, 'mirror'), '--out', dir], {}],
        [['--out', dir], { IMPORT_MIRROR: path.join(dir, 'mirror') }],
      ] as const) {
        const r = run([...args], env);
        expect(r.status).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(upstreamFiles(UPSTREAM_INPUTS).length + 1);
        expect(lines[0]).toBe(
          `import: ${path.join(dir, 'mirror', UPSTREAM_INPUTS.crds[0]!.mirrorPath)}: not in the mirror; expected sha256 ${UPSTREAM_INPUTS.crds[0]!.sha256}`,
        );
        expect(lines.at(-1)).toBe('import: imports/ is unchanged');
        expect(fs.readdirSync(path.join(dir, 'imports'))).toEqual(['kept.ts']);
      }
    } finally {
      cleanup();
    }
  });

  it.each([
    [['--mirrorr', '/tmp'], /^import: unknown option --mirrorr \(did you mean --mirror\?\)\nusage: npm run import -- /],
    [['--mirror'], /^import: option --mirror needs a value\nusage: /],
    [['--check=yes'], /^import: option --check does not take an argument\nusage: /],
    [['extra'], /^import: unexpected argument 'extra'/],
  ])('refuses %j with the usage line and exit 2', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('prints its usage and options on --help and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^usage: npm run import -- \[--mirror DIR\] \[--check\] \[--out DIR\]\n {2}--mirror <value> +read the upstream/,
    );
  });
});
