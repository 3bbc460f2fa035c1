// docs/adding-a-component.md, applied: its code on a copy of the repository type-checks, its
// example test passes, synth renders the example and every transcript on the page is what its
// command prints. When the code moves on, this fails until the guide follows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, runTempDir, tempDir, treeDigest } from './helpers';
import {
  applyBlock,
  copyRepository,
  copySources,
  parseGuide,
  run,
  start,
  transcriptOf,
  type CodeBlock,
  type Transcript,
} from './guide-workspace';
import { typeCheck, type TypeCheck } from './guide-typecheck';

const GUIDE = path.join(REPO_ROOT, 'docs', 'adding-a-component.md');
const steps = parseGuide(fs.readFileSync(GUIDE, 'utf8'));
const code = steps.flatMap((s): CodeBlock[] => ('code' in s ? [s.code] : []));
const transcripts = steps.flatMap((s): Transcript[] => ('transcript' in s ? [s.transcript] : []));
const newFiles = code.flatMap((b) => (b.kind === 'file' ? [b.path] : []));
const node = process.execPath;
const bin = (module: string) => path.join(REPO_ROOT, 'node_modules', module);

// Commit ids differ from run to run (the base commit's date).
const normalized = (text: string) =>
  text
    .replace(/\b[0-9a-f]{12}\b/g, '<commit>')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n+$/, '');

let workspace: { dir: string; cleanup: () => void };
/** What each transcript's command printed, run where it stands on the page: after the code above it. */
const printed = new Map<Transcript, string>();
/** The project's ESLint on the page's new files, started once every block is applied: it runs beside the type-check. */
let lint: ReturnType<typeof start> | undefined;
beforeAll(() => {
  workspace = tempDir('guide-');
  copyRepository(workspace.dir);
  for (const step of steps) {
    if ('code' in step) applyBlock(workspace.dir, step.code);
    else printed.set(step.transcript, transcriptOf(workspace.dir, step.transcript.command));
  }
  lint = start(workspace.dir, node, [bin('eslint/bin/eslint.js'), '--no-warn-ignored', ...newFiles], 120_000);
}, 300_000);
afterAll(() => {
  lint?.stop();
  workspace?.cleanup();
});

it('has code to apply and transcripts to check', () => {
  expect(newFiles).toEqual(expect.arrayContaining(['charts/httpbin/httpbin.ts', 'test/httpbin.test.ts']));
  expect(code.filter((b) => b.kind === 'edit').map((b) => b.path)).toEqual(
    expect.arrayContaining(['model/components.ts', 'charts/platform.ts', 'sites/cluster1.ts', 'sites/cluster2.ts']),
  );
  expect(transcripts.length).toBeGreaterThanOrEqual(4);
  // Each test file of the page declares tests (run below as this file's; jest refused a file without any).
  const testFiles = code.filter((b) => b.kind === 'file' && b.path.startsWith('test/'));
  expect(testFiles.length).toBeGreaterThan(0);
  for (const file of testFiles) expect(file.body).toMatch(/^\s*(it|test)(\.each\(.*\))?\(/m);
});

it.each(transcripts.map((t) => [t.command, t] as const))('prints what the guide shows for `%s`', (_command, transcript) => {
  expect(normalized(printed.get(transcript)!)).toBe(normalized(transcript.output));
});

/**
 * The directories of the program the type-check reads: every directory of the layers (all of
 * which the entries reach), the guide's new ones, the root (the entries) and those of the files
 * the entries and the guide's test import from tools/ and test/.
 */
function checkedDirectories(): string[] {
  const withSources = (dir: string): string[] => {
    const entries = fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true });
    const own = entries.some((e) => e.isFile() && e.name.endsWith('.ts')) ? [dir] : [];
    return [...own, ...entries.filter((e) => e.isDirectory()).flatMap((e) => withSources(path.join(dir, e.name)))];
  };
  const layers = ['model', 'sites', 'charts', 'pipeline'].flatMap(withSources);
  return [...new Set([...layers, ...newFiles.map((f) => path.dirname(f)), '.', 'tools', 'test'])].sort();
}

/**
 * `tsc -p` of the copy, the entries and the guide's new files, in a worker thread: the program is
 * parsed and bound once, then each directory is checked, each one's result a test of its own (a
 * directory's check also resolves whatever it uses of the others). imports/ (the CRD bindings `npm run import`
 * generates) imports nothing of ours, so no edit of the guide can change what tsc reports inside
 * it, and the project's own type-check covers it: its files are read for their types and syntax,
 * not checked (as `// @ts-nocheck` would have them), which skips their 65,000 lines.
 */
describe('type-checks, the edits and new files together with the project', () => {
  const directories = checkedDirectories();
  let check: TypeCheck;
  beforeAll(async () => {
    // The entries reach every chart, the pipeline and the sites; the new files are listed for themselves.
    const config = { extends: './tsconfig.json', include: [], files: ['main.ts', 'review.ts', ...newFiles] };
    fs.writeFileSync(path.join(workspace.dir, 'tsconfig.guide.json'), JSON.stringify(config));
    check = await typeCheck(workspace.dir, 'tsconfig.guide.json', ['imports'], 230_000);
  }, 240_000);

  it('reads the configuration, the options, the syntax of every file and the global declarations without an error', () => {
    expect(check.before()).toBe('');
  });

  it('checks every directory of its files but imports/', () => {
    expect(check.directories()).toEqual(directories);
  });

  it.each(directories)('type-checks %s', (dir) => {
    expect(check.semantic(dir)).toBe('');
  });
});

it("passes the project's lint", async () => {
  await lint!.done;
});

/**
 * The guide's own test files, run here as the project's jest runs a test file: on a copy of the code
 * with every block of the page applied, made as this file is collected, each of their tests one of
 * this file's.
 */
describe("the guide's own test", () => {
  const copy = runTempDir('guide-code-');
  afterAll(() => copy.cleanup());
  // A page whose blocks no longer apply, or whose test no longer loads, fails this one test (the
  // file's other tests still report), not the whole file's collection.
  let failedToLoad: unknown;
  try {
    copySources(copy.dir);
    for (const block of code) applyBlock(copy.dir, block);
  } catch (err) {
    failedToLoad = err;
  }
  for (const test of failedToLoad === undefined ? newFiles.filter((f) => f.startsWith('test/')) : []) {
    describe(test, () => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(path.join(copy.dir, test));
      } catch (err) {
        failedToLoad = err;
      }
    });
  }
  if (failedToLoad !== undefined) {
    it('loads', () => {
      throw failedToLoad;
    });
  }
});

describe('synthesized', () => {
  // The page synthesizes in a transcript too; this does not rely on it.
  beforeAll(() => run(workspace.dir, node, ['tools/run.mjs', 'main'], 180_000), 200_000);

  it('renders the component on the site that runs it: restricted, probed, budgeted, routed, fenced, synced after the ingress', () => {
    const site = path.join(workspace.dir, 'gitops', 'cluster1');
    const yaml = (file: string) => parse(fs.readFileSync(path.join(site, file), 'utf8')) as Record<string, unknown>;
    const own = fs.readdirSync(path.join(site, 'httpbin')).filter((f) => f !== 'kustomization.yaml');
    const objects = own.map((f) => yaml(path.join('httpbin', f)) as { kind: string; metadata: { name: string } });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/httpbin',
      'HTTPProxy/httpbin-httpbin-chataalk-chataik-fr',
      'NetworkPolicy/allow-dns',
      'NetworkPolicy/allow-httpbin-server',
      'NetworkPolicy/default-deny',
      'PodDisruptionBudget/httpbin',
      'Service/httpbin',
    ]);
    const byKind = (kind: string, name = 'httpbin') => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
    expect(byKind('Deployment')).toMatchObject({
      spec: {
        replicas: 3,
        template: {
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 65532 },
            containers: [
              {
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                readinessProbe: { httpGet: { path: '/status/200' } },
                livenessProbe: { httpGet: { path: '/status/200' } },
                resources: { requests: { cpu: '10m', memory: '32Mi' } },
              },
            ],
          },
        },
      },
    });
    expect(byKind('PodDisruptionBudget')).toMatchObject({ spec: { maxUnavailable: 1 } });
    // Contour disables retries with -1 (0 would be Envoy's default of one retry).
    expect(byKind('HTTPProxy', 'httpbin-httpbin-chataalk-chataik-fr')).toMatchObject({
      spec: { routes: [{ retryPolicy: { count: -1 }, services: [{ name: 'httpbin', port: 80 }], timeoutPolicy: { response: '15s' } }] },
    });
    // Only Envoy reaches the pods, on their port.
    expect(byKind('NetworkPolicy', 'allow-httpbin-server')).toMatchObject({
      spec: {
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'projectcontour' } } }],
            ports: [{ port: 8080 }],
          },
        ],
      },
    });
    expect(yaml('namespaces/namespace-httpbin.yaml')).toMatchObject({
      metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    const wave = (app: string) =>
      Number(
        (yaml(`apps/application-${app}.yaml`).metadata as { annotations: Record<string, string> }).annotations[
          'argocd.argoproj.io/sync-wave'
        ],
      );
    expect(wave('httpbin')).toBeGreaterThan(wave('contour'));
  });

  it('changes nothing on the site that opts out', () => {
    const base = tempDir('guide-base-');
    try {
      run(workspace.dir, 'git', ['--work-tree', base.dir, 'checkout', 'HEAD', '--', 'gitops/cluster2']);
      expect(treeDigest(path.join(workspace.dir, 'gitops', 'cluster2'))).toBe(treeDigest(path.join(base.dir, 'gitops', 'cluster2')));
    } finally {
      base.cleanup();
    }
  });
});
