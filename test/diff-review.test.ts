import { execFileSync, spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KEEPER_SIZING } from '../charts/postgres/keeper';
import { PG_PARAMETERS } from '../charts/postgres/spec';
import {
  GitTree,
  readTreeAtRef,
  resolveCommit,
  semanticDiff,
  toMarkdown,
  toText,
  REPORT_MARKER,
  type RatedObjectChange,
} from '../pipeline/diff';
import { renderTree } from '../pipeline/synth';
import { PLATFORM, type PlatformModel } from '../sites';
import { PLATFORM_FILES } from './diff-helpers';
import { REPO_ROOT, tempDir } from './helpers';

const HEADER = { baseRef: 'main', baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40), headBranch: 'four-changes' };

/**
 * The reviewer's branch: cluster2's resizer workers max 4 -> 6, cluster1 opting out of the
 * resizer (the edge still sends images.chataik.fr to cluster1: synth's public-route check refuses
 * this branch, the diff, which renders unvalidated, must say why), work_mem 4MB -> 8MB (a
 * platform-wide constant, changed in place for the render), keeper volume 10 -> 12 GiB.
 */
function fourChanges(): RatedObjectChange[] {
  const model: PlatformModel = {
    ...PLATFORM,
    sites: PLATFORM.sites.map((s) =>
      s.name === 'cluster2'
        ? { ...s, resizer: { ...s.resizer!, workers: { min: 1, max: 6 } } }
        : s.name === 'cluster1'
          ? { ...s, components: { optOut: { resizer: 'images are resized on cluster2' } } }
          : s,
    ),
  };
  const parameters = PG_PARAMETERS as { work_mem: string };
  parameters.work_mem = '8MB';
  // The keeper volume is a constant of the stolon chart (no site field): the branch changes it, as a developer would.
  const keepers = KEEPER_SIZING as { volumeGiB: number };
  keepers.volumeGiB = 12;
  try {
    return semanticDiff(PLATFORM_FILES, renderTree(model, { validate: false }).tree) as RatedObjectChange[];
  } finally {
    parameters.work_mem = '4MB';
    keepers.volumeGiB = 10;
  }
}

describe("the reviewer's four-change branch", () => {
  let changes: RatedObjectChange[];
  let markdown: string;
  beforeAll(() => {
    changes = fourChanges();
    markdown = toMarkdown(changes, HEADER);
  });

  it('leads with the header, the counts and the table of the right ratings, before any detail', () => {
    const firstScreen = markdown.split('### Every change')[0]!.split('\n');
    expect(firstScreen[0]).toBe(REPORT_MARKER);
    expect(firstScreen[1]).toBe('### Rendered diff of `four-changes @ bbbbbbbbbbbb` against `main @ aaaaaaaaaaaa`');
    const rows = firstScreen.filter((l) => /^\| (🔴|🟠|🟢)/.test(l)).map((l) => l.split(' | ').slice(0, 4).join(' | '));
    expect(rows).toEqual([
      '| 🔴 high | cluster1 | contour | HTTPProxy/projectcontour/images-chataik-fr (removed)',
      '| 🔴 high | cluster1, cluster2 | postgres | StatefulSet/postgres/stolon-keeper',
      '| 🟠 medium | cluster1 | apps | Application/argocd/resizer (removed)',
      '| 🟠 medium | cluster1 | namespaces | Namespace/resizer (removed)',
      '| 🟠 medium | cluster2 | resizer | ScaledObject/resizer/resizer-worker',
      '| 🟢 low | cluster1 | bus, object-store | Job/bus/bus-streams, Job/object-store/object-store-buckets',
      '| 🟢 low | cluster1, cluster2 | postgres | ConfigMap/postgres/stolon-cluster-spec',
      // Without the resizer on cluster1 the edge's loss stops one resizer fewer (gitops/REPORT.md).
      '| 🟢 low | all | failure report | REPORT.md (changed)',
    ]);
    const why = (row: number) => firstScreen.filter((l) => l.startsWith('| '))[row + 2]!;
    expect(why(0)).toMatch(/public route images\.chataik\.fr goes down: the edge sends it to cluster1, which no longer serves it/);
    expect(why(1)).toMatch(
      /`spec.volumeClaimTemplates\[name=data\].spec.resources.requests.storage` \| spec.volumeClaimTemplates is immutable: .*10Gi -> 12Gi: StorageClass node-local does not allow expansion/,
    );
    expect(why(2)).toMatch(/Argo CD prunes the 16 object\(s\) of cluster1\/resizer with it \(no volume, claim or CRD among them\)/);
    expect(why(3)).toMatch(
      /Argo CD keeps this Namespace \(Prune=false\): the namespaces Application stays OutOfSync until someone deletes it by hand/,
    );
    expect(why(4)).toMatch(/`spec.maxReplicaCount` \| autoscaler maximum 4 -> 6/);
    expect(why(5)).toMatch(/deleted and re-created before each sync \(BeforeHookCreation\)/);
    expect(why(6)).toMatch(/work_mem 4MB -> 8MB: applied by the keepers' reload, no restart/);
    // The first screen of a merge-request note: the table fits in it.
    expect(firstScreen.length).toBeLessThan(20);
  });

  it('has no false high: the only highs are the route and the claim template', () => {
    const highs = changes.filter((c) => c.risk === 'high').map((c) => `${c.site} ${c.id}`);
    expect(highs).toEqual([
      'cluster1 HTTPProxy/projectcontour/images-chataik-fr',
      'cluster1 StatefulSet/postgres/stolon-keeper',
      'cluster2 StatefulSet/postgres/stolon-keeper',
    ]);
  });

  it("shows the author's own change and the removed NATS users item by item, values whole", () => {
    const details = markdown.split('### Every change')[1]!;
    expect(details).toContain('- `spec.maxReplicaCount`: `4` → `6`');
    expect(details).toContain(
      '- `spec.template.spec.containers[name=nats].env[name=NATS_USER_RESIZER_API_PASSWORD]`: removed `{"name":"NATS_USER_RESIZER_API_PASSWORD","valueFrom":{"secretKeyRef":{"key":"password","name":"bus-user-resizer-api"}}}`',
    );
    expect(details).toContain('- `spec.destinations[namespace=resizer,server=https://kubernetes.default.svc]`: removed');
    // The 16 objects the opt-out removes are one line, not 16 blocks.
    expect(details).toMatch(/^- \*\*removed\*\* \(16\): `Deployment\/resizer\/resizer-api`, /m);
    // The bus configuration's 73 removed lines (the resizer's users and the dead-letters user among them) are folded under their field, not cut.
    expect(details).toMatch(/`data\.nats\.conf`: \+0 -73 lines\n\n {4}<details>/);
  });

  it('gives the same bytes on every run', () => {
    // One more render of the branch, compared in both formats with the first.
    const again = fourChanges();
    expect(toMarkdown(again, HEADER)).toBe(markdown);
    expect(toText(again, HEADER)).toBe(toText(changes, HEADER));
  });

  it('keeps the table whole under a size limit and says where the rest is', () => {
    const limited = toMarkdown(changes, HEADER, { maxChars: 4000 });
    expect(limited.length).toBeLessThanOrEqual(4000 + 200);
    expect(limited.split('### Every change')[0]).toBe(markdown.split('### Every change')[0]);
    expect(limited).toMatch(
      /… \d+ more component\(s\) and file\(s\) not shown here \(size limit\): every change is in `npm run diff -- (--base \w+ )?--full` \(in CI, the job's diff-full\.md artifact\)\.\n$/,
    );
  });
});

describe('reading the base from git', () => {
  /** A scratch repository with `files` committed under gitops/. */
  function committed(files: ReadonlyMap<string, string>): { dir: string; cleanup: () => void } {
    const repo = tempDir('diff-git-');
    for (const [p, content] of files) {
      fs.mkdirSync(path.dirname(path.join(repo.dir, 'gitops', p)), { recursive: true });
      fs.writeFileSync(path.join(repo.dir, 'gitops', p), content);
    }
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.dir, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'before');
    return repo;
  }

  it('reads the rendered tree at a ref without checking it out', () => {
    const repo = committed(PLATFORM_FILES);
    try {
      fs.writeFileSync(path.join(repo.dir, 'gitops', 'README.md'), 'changed in the worktree\n');
      const tree = readTreeAtRef(repo.dir, 'HEAD');
      expect([...tree.keys()].sort()).toEqual([...PLATFORM_FILES.keys()].sort());
      expect(semanticDiff(tree, PLATFORM_FILES)).toEqual([]);
    } finally {
      repo.cleanup();
    }
  });

  it('reads each file’s bytes in any order, files larger than its read window and across window edges included', () => {
    // Sizes around the 256 KB window, multi-byte characters, an empty file.
    const sizes = [0, 1, 100, 70_000, 255 * 1024, 256 * 1024, 300_000, 1_000_000, 40_000, 100];
    const files = new Map(sizes.map((size, i) => [`s/c/f${i}.txt`, `${'é'.repeat(i)}${String(i % 7).repeat(size)}\n`]));
    const repo = committed(files);
    try {
      const tree = new GitTree(repo.dir, resolveCommit(repo.dir, 'HEAD'));
      const order = [...files.keys()];
      for (const p of [...order.slice().reverse(), ...order, order[3]!, order[7]!, order[0]!])
        expect(tree.content(p) === files.get(p)).toBe(true);
      // Same bytes as git's blob, told by its id; one character changed is not (the same size, or not: é).
      for (const p of order) {
        const content = files.get(p)!;
        expect(tree.holds(p, content)).toBe(true);
        const other = content.replace(/^./, (c) => (c === '0' ? '1' : '0'));
        if (other !== content) expect(tree.holds(p, other)).toBe(false);
      }
      tree.close();
    } finally {
      repo.cleanup();
    }
  });

  it('fails on a blob git cannot give, naming it, rather than read other bytes', () => {
    const files = new Map([
      ['s/c/a.yaml', 'a: 1\n'],
      ['s/c/b.yaml', 'b: 2\n'],
      ['s/c/c.yaml', 'c: 3\n'],
      // Written after the others: the shifted offsets of c.yaml still fall inside the file.
      ['s/c/d.yaml', `d: ${'4'.repeat(10_000)}\n`],
    ]);
    const repo = committed(files);
    try {
      const sha = execFileSync('git', ['rev-parse', 'HEAD:gitops/s/c/b.yaml'], { cwd: repo.dir, encoding: 'utf8' }).trim();
      fs.rmSync(path.join(repo.dir, '.git', 'objects', sha.slice(0, 2), sha.slice(2)));
      const tree = new GitTree(repo.dir, resolveCommit(repo.dir, 'HEAD'));
      try {
        expect(tree.content('s/c/a.yaml')).toBe('a: 1\n');
        expect(() => tree.content('s/c/c.yaml')).toThrow(/git cat-file --batch|the file of blobs from git ended before s\/c\/c\.yaml/);
      } finally {
        tree.close();
      }
    } finally {
      repo.cleanup();
    }
  });

  /** The ids of the processes whose command line names `dir` (the slow git's shim), empty when none runs. */
  const runningIn = (dir: string) => spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' }).stdout.trim();
  /** Waits up to `ms`, looking every 20 ms, until `done()`. */
  const waitUntil = (done: () => boolean, ms: number) => {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < ms / 20 && !done(); i++) Atomics.wait(pause, 0, 0, 20);
  };

  /** A `git` first on PATH whose cat-file writes its output 64 KB at a time, 10 ms apart. */
  function slowGit(dir: string): string {
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const slow = path.join(dir, 'slow-cat-file.js');
    fs.writeFileSync(
      slow,
      `const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const r = spawnSync(${JSON.stringify(real)}, process.argv.slice(2), { stdio: ['inherit', 'pipe', 'inherit'], maxBuffer: 1 << 30 });
const pause = new Int32Array(new SharedArrayBuffer(4));
for (let at = 0; at < r.stdout.length; at += 65536) {
  fs.writeSync(1, r.stdout.subarray(at, at + 65536));
  Atomics.wait(pause, 0, 0, 10);
}
process.exit(r.status ?? 1);
`,
    );
    const git = path.join(dir, 'git');
    const node = JSON.stringify(process.execPath);
    fs.writeFileSync(
      git,
      `#!/bin/sh\nif [ "$1" = cat-file ]; then exec ${node} ${JSON.stringify(slow)} "$@"; fi\nexec ${JSON.stringify(real)} "$@"\n`,
    );
    fs.chmodSync(git, 0o755);
    return dir;
  }

  it('waits for all the bytes of each file while git writes them, larger than the read window or not, in any order', () => {
    const sizes = [300_000, 100, 70_000, 5, 200_000, 40, 0];
    const files = new Map(sizes.map((size, i) => [`s/c/f${i}.txt`, `${'é'.repeat(i)}${String(i).repeat(size)}\n`]));
    const repo = committed(files);
    const shim = tempDir('diff-slow-git-');
    const saved = process.env.PATH;
    try {
      process.env.PATH = `${slowGit(shim.dir)}${path.delimiter}${saved}`;
      const tree = new GitTree(repo.dir, resolveCommit(repo.dir, 'HEAD'));
      process.env.PATH = saved;
      const order = [...files.keys()];
      for (const p of [...order, ...order.slice().reverse()]) expect(tree.content(p) === files.get(p)).toBe(true);
      tree.close();
    } finally {
      process.env.PATH = saved;
      repo.cleanup();
      shim.cleanup();
    }
  });
  it('stops the shell and git together when closed before git is done', () => {
    const repo = committed(new Map([['s/c/big.txt', `${'x'.repeat(20_000_000)}\n`]]));
    const shim = tempDir('diff-slow-git-');
    const saved = process.env.PATH;
    const running = () => runningIn(shim.dir);
    try {
      process.env.PATH = `${slowGit(shim.dir)}${path.delimiter}${saved}`;
      const tree = new GitTree(repo.dir, resolveCommit(repo.dir, 'HEAD'));
      process.env.PATH = saved;
      // The slow cat-file writes 20 MB in more than 3 s: it is still writing when closed, and
      // stopped well within the second given to it.
      waitUntil(() => running() !== '', 2000);
      expect(running()).not.toBe('');
      tree.close();
      waitUntil(() => running() === '', 1000);
      expect(running()).toBe('');
    } finally {
      process.env.PATH = saved;
      repo.cleanup();
      shim.cleanup();
    }
  });

  it('stops the shell and git when the process exits without closing the tree', () => {
    const repo = committed(new Map([['s/c/big.txt', `${'x'.repeat(6_000_000)}\n`]]));
    const shim = tempDir('diff-slow-git-');
    const running = () => runningIn(shim.dir);
    try {
      // A process of its own (the exit hook is process-wide), given GitTree as a plain script.
      const bundle = path.join(shim.dir, 'git-tree.js');
      buildSync({
        entryPoints: [path.join(REPO_ROOT, 'pipeline/diff/git-tree.ts')],
        bundle: true,
        platform: 'node',
        outfile: bundle,
        logLevel: 'silent',
      });
      const script = `const { GitTree, resolveCommit } = require(${JSON.stringify(bundle)});
const dir = ${JSON.stringify(repo.dir)};
new GitTree(dir, resolveCommit(dir, 'HEAD'));
const pause = new Int32Array(new SharedArrayBuffer(4));
const started = Date.now();
while (!require('node:child_process').spawnSync('pgrep', ['-f', ${JSON.stringify(shim.dir)}]).stdout.length && Date.now() - started < 5000) Atomics.wait(pause, 0, 0, 20);
process.stdout.write(require('node:child_process').spawnSync('pgrep', ['-f', ${JSON.stringify(shim.dir)}]).stdout.length ? 'writing' : 'gone');
process.exit(0);
`;
      const child = spawnSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, PATH: `${slowGit(shim.dir)}${path.delimiter}${process.env.PATH}` },
      });
      expect(child.stderr).toBe('');
      // git was still writing its 6 MB (about a second) when the process exited.
      expect(child.stdout).toBe('writing');
      waitUntil(() => running() === '', 1000);
      expect(running()).toBe('');
    } finally {
      repo.cleanup();
      shim.cleanup();
    }
  });
});

describe('npm run diff', () => {
  // npm's log level as a user's shell has it, whatever npm started jest (`npm test -s` sets it silent).
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.toLowerCase() !== 'npm_config_loglevel'));
  const run = (command: string, args: string[]) => spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, env });

  // The report `npm run diff -s` prints (a render of every site, about a second), run once for both tests.
  let silent: ReturnType<typeof run>;
  beforeAll(() => {
    silent = run('npm', ['run', 'diff', '-s', '--', '--base', 'HEAD', '--format', 'markdown']);
  });

  it('prints only the report with -s', () => {
    expect(silent.status).toBe(0);
    expect(silent.stdout.startsWith(`${REPORT_MARKER}\n### Rendered diff of `)).toBe(true);
  });

  it('--output writes nothing but the report', () => {
    const { dir, cleanup } = tempDir('diff-out-');
    try {
      const out = path.join(dir, 'diff.md');
      const loud = run('npm', ['run', 'diff', '--', '--base', 'HEAD', '--format', 'markdown', '--output', out]);
      expect(loud.status).toBe(0);
      // npm's banner goes to stdout without -s; the file never holds it.
      expect(loud.stdout).toMatch(/> .* diff\n/);
      expect(fs.readFileSync(out, 'utf8')).toBe(silent.stdout);
    } finally {
      cleanup();
    }
  });

  it('exits 2 naming the problem for a ref that does not exist or a bad --max-chars', () => {
    const review = (args: string[]) => run(process.execPath, [path.join(REPO_ROOT, 'dist', 'review.js'), 'diff', ...args]);
    const r = review(['--base', 'no-such-ref-anywhere']);
    expect([r.status, r.stderr]).toEqual([2, expect.stringMatching(/git rev-parse .*no-such-ref-anywhere/)]);
    const m = review(['--max-chars', 'many']);
    expect([m.status, m.stderr]).toEqual([2, expect.stringMatching(/--max-chars takes a whole number above 0, not 'many'/)]);
  });
});
