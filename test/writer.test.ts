import { ApiObject, Chart } from 'cdk8s';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { PlatformError } from '../model/errors';
import { synth } from '../pipeline/synth';
import { listTree, readTree, recover } from '../pipeline/writer';
import { SynthBusyError } from '../pipeline/writer-lock';
import { NEXT, STAGING_DIR } from '../pipeline/writer-staging';
import { SITES, PLATFORM } from '../sites';
import { renderedGitops, REPO_ROOT, runSynth, runSynthAsync, tempDir, treeDigest, withChange } from './helpers';

/**
 * A synth run interrupted through the writer's hooks (test/fixtures/interrupted-synth.ts), bundled
 * whole into dist/ (of cdk8s-plus-28 only its `k8s` bindings, as the CLI's bundles take it) and run
 * with a V8 code cache beside it, as the CLI is (tools/code-cache.mjs): each run compiles none of it again.
 */
const INTERRUPTED = path.join(REPO_ROOT, 'dist', 'test-interrupted-synth.js');
beforeAll(async () => {
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ['test/fixtures/interrupted-synth.ts'],
    outfile: INTERRUPTED,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // What the fixture never runs (the AWS outputs, the build) stays outside.
    external: ['@aws-sdk/*', '@smithy/*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'esbuild', 'typescript'],
    plugins: [
      {
        name: 'cdk8s-plus-28-k8s',
        setup: (build) =>
          build.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: path.join(REPO_ROOT, 'test', 'cdk8s-plus-k8s.js') })),
      },
    ],
    legalComments: 'none',
    logLevel: 'warning',
  });
});
/** node's arguments running the fixture with `args` (as `node dist/test-interrupted-synth.js ...args`, with its code cache). */
function interrupted(...args: string[]): string[] {
  const codeCache = JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'tools', 'code-cache.mjs')).href);
  const script = `import { runWithCodeCache } from ${codeCache}; process.argv.splice(1, 0, ${JSON.stringify(INTERRUPTED)}); runWithCodeCache(${JSON.stringify(INTERRUPTED)});`;
  return ['--input-type=module', '-e', script, ...args];
}

/** A temp root holding a copy of the rendered gitops/. */
function rootWithGitops(): { root: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  fs.cpSync(renderedGitops(), path.join(dir, 'gitops'), { recursive: true });
  return { root: dir, cleanup };
}

/** A synth run on `root` that exits 70 at `step` of the swap, as a crash would. */
function crashAt(root: string, step: string) {
  return spawnSync(process.execPath, interrupted(root, 'crash', step), { cwd: REPO_ROOT, encoding: 'utf8' });
}

/** The swap steps a crash is made at, and what a crash there left: the root, its digests, the crashed run. */
const CRASH_POINTS = ['staged', 'between-renames'] as const;
interface Crashed {
  dir: string;
  renderedDigest: string;
  staleDigest: string;
  crashed: { status: number | null; pid: number };
  cleanup: () => void;
}
const crashes = new Map<string, Crashed>();
// A crashed run renders every site (about a second): one per step for the file, each test
// working on its own copy of what it left (crashedCopy).
beforeAll(() => {
  for (const point of CRASH_POINTS) {
    const { root, cleanup } = rootWithGitops();
    const gitops = path.join(root, 'gitops');
    const renderedDigest = treeDigest(gitops);
    // Make the tree stale so the run has something to swap in, then crash it at `point`.
    fs.writeFileSync(path.join(gitops, 'cluster1', 'apps', 'kustomization.yaml'), 'stale\n');
    const staleDigest = treeDigest(gitops);
    const crashed = crashAt(root, point);
    crashes.set(point, { dir: root, renderedDigest, staleDigest, crashed: { status: crashed.status, pid: crashed.pid }, cleanup });
  }
});
afterAll(() => {
  for (const crash of crashes.values()) crash.cleanup();
});

/** A temp root holding a copy of what a synth run crashed at `point` left (gitops/ and the staging directory). */
function crashedCopy(point: string): Omit<Crashed, 'dir'> & { root: string } {
  const { dir, ...crash } = crashes.get(point)!;
  const copy = tempDir();
  fs.cpSync(dir, copy.dir, { recursive: true });
  return { ...crash, root: copy.dir, cleanup: copy.cleanup };
}

describe('writer', () => {
  afterEach(() => jest.restoreAllMocks());

  it('leaves gitops/ byte-identical when a chart throws halfway through the render', () => {
    const { root, cleanup } = rootWithGitops();
    try {
      const before = treeDigest(path.join(root, 'gitops'));
      // Change something so a successful run would write, then make the last site's chart throw.
      const changed = SITES.map((s) => withChange(s, (d) => ((d.gitops as Record<string, unknown>).revision = 'release-2')));
      // An object of the last site's namespaces chart throws as it is serialized (the render
      // serializes each object; only a site's first chart goes through Chart.toJson).
      const original = ApiObject.prototype.toJson;
      jest.spyOn(ApiObject.prototype, 'toJson').mockImplementation(function (this: ApiObject) {
        const chart = Chart.of(this);
        if (chart.node.id === 'namespaces' && chart.node.scope?.node.children.some((c) => c.node.id === 'apps')) {
          const site = (chart as unknown as { site: { name: string } }).site.name;
          if (site === SITES[SITES.length - 1]!.name) throw new Error('chart exploded');
        }
        return original.call(this) as unknown;
      });
      const failure = (() => {
        try {
          synth({ root, model: { ...PLATFORM, sites: changed } });
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(failure).toBeInstanceOf(PlatformError);
      expect((failure as Error).message).toMatch(
        /site cluster2 \(sites\/cluster2.ts\), component namespaces: rendering failed: chart exploded/,
      );
      expect(treeDigest(path.join(root, 'gitops'))).toBe(before);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('stages each site as it is rendered, and leaves gitops/ untouched when a later site fails', () => {
    const { root, cleanup } = rootWithGitops();
    try {
      const before = treeDigest(root);
      const changed = SITES.map((s) => withChange(s, (d) => ((d.gitops as Record<string, unknown>).revision = 'release-2')));
      const last = SITES[SITES.length - 1]!.name;
      let stagedWhenFailing: string[] = [];
      const original = Chart.prototype.toJson;
      jest.spyOn(Chart.prototype, 'toJson').mockImplementation(function (this: Chart) {
        const site = (this as unknown as { site?: { name: string } }).site?.name;
        if (site === last && stagedWhenFailing.length === 0) {
          stagedWhenFailing = [...listTree(path.join(root, STAGING_DIR, NEXT))];
          throw new Error('late failure');
        }
        return original.call(this);
      });
      expect(() => synth({ root, model: { ...PLATFORM, sites: changed } })).toThrow(/late failure/);
      // The earlier sites were already on disk in the staging tree, and nothing of the failing one.
      expect(stagedWhenFailing.length).toBeGreaterThan(100);
      expect(stagedWhenFailing.every((p) => !p.startsWith(`${last}/`))).toBe(true);
      expect(stagedWhenFailing.some((p) => p.startsWith(`${SITES[0]!.name}/`))).toBe(true);
      // gitops/ byte for byte as it was, and no staging directory left behind.
      expect(treeDigest(root)).toBe(before);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('--check, or a synth with nothing changed, compares without writing anything', () => {
    const { root, cleanup } = rootWithGitops();
    try {
      const stale = path.join(root, 'gitops', 'cluster1', 'apps', 'kustomization.yaml');
      fs.writeFileSync(stale, 'stale\n');
      const before = treeDigest(root);
      const steps: string[] = [];
      const result = synth({ root, model: PLATFORM, check: true, writer: { step: (step) => steps.push(step) } });
      expect(steps).toEqual([]);
      expect(result.diff).toEqual({ added: [], removed: [], changed: ['cluster1/apps/kustomization.yaml'] });
      expect(treeDigest(root)).toBe(before);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(false);
      // Up to date: a synth that writes compares the same way and stages nothing either.
      fs.cpSync(path.join(renderedGitops(), 'cluster1', 'apps', 'kustomization.yaml'), stale);
      expect(synth({ root, model: PLATFORM, writer: { step: (step) => steps.push(step) } }).diff.changed).toEqual([]);
      expect(steps).toEqual([]);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('prunes the files of a component the code no longer produces', () => {
    const { root, cleanup } = rootWithGitops();
    try {
      const stale = path.join(root, 'gitops', 'cluster1', 'retired', 'deployment-retired.yaml');
      fs.mkdirSync(path.dirname(stale), { recursive: true });
      fs.writeFileSync(stale, 'kind: Deployment\n');
      const result = synth({ root, model: PLATFORM });
      expect(result.diff.removed).toEqual(['cluster1/retired/deployment-retired.yaml']);
      expect(fs.existsSync(path.dirname(stale))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('with --site, writes the selected site and the edge, and reports other sites the change also affects', () => {
    const { root, cleanup } = rootWithGitops();
    try {
      const gitops = path.join(root, 'gitops');
      const before = readTree(gitops);
      // cluster1's ingress address and a node address move: the edge and cluster2's policies depend on them.
      const moved = SITES.map((s) =>
        s.name === 'cluster1'
          ? withChange(s, (d) => {
              const pool = d.loadBalancer as { fixed: Record<string, string> };
              pool.fixed = { ...pool.fixed, ingress: '192.0.2.103' };
              (d.nodes as { address: string }[])[0]!.address = '192.0.2.21';
            })
          : s,
      );
      const result = synth({ root, model: { ...PLATFORM, sites: moved }, only: ['cluster1'] });
      const after = readTree(gitops);
      expect(after.get('edge/haproxy.cfg')).toContain('192.0.2.103');
      expect(result.othersStale.length).toBeGreaterThan(0);
      expect(result.othersStale.every((p) => p.startsWith('cluster2/'))).toBe(true);
      for (const p of [...before.keys()].filter((p) => p.startsWith('cluster2/'))) expect(after.get(p)).toBe(before.get(p));
    } finally {
      cleanup();
    }
  });

  it.each([
    ['staged', 'discarded', 'old'],
    ['between-renames', 'rolled forward', 'new'],
  ])('recovers from a crash at %s (%s)', (point, _outcome, expected) => {
    // A stale tree, and a run crashed at `point` while swapping the rendered one in.
    const { root, renderedDigest, staleDigest, crashed, cleanup } = crashedCopy(point);
    try {
      const gitops = path.join(root, 'gitops');
      expect(crashed.status).toBe(70);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(true);
      expect(recover(root)).toBe(point === 'staged' ? 'discarded' : 'rolled-forward');
      expect(treeDigest(gitops)).toBe(expected === 'old' ? staleDigest : renderedDigest);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('rolls back when gitops/ was moved away but the new tree was never completed', () => {
    const { root, cleanup } = rootWithGitops();
    try {
      const gitops = path.join(root, 'gitops');
      const digest = treeDigest(gitops);
      fs.mkdirSync(path.join(root, STAGING_DIR, 'next'), { recursive: true });
      fs.renameSync(gitops, path.join(root, STAGING_DIR, 'previous'));
      expect(recover(root)).toBe('rolled-back');
      expect(treeDigest(gitops)).toBe(digest);
    } finally {
      cleanup();
    }
  });
});

/** A synth child process that has taken the lock on `root` and waits for its stdin (test/fixtures/interrupted-synth.ts). */
async function startHoldingSynth(
  root: string,
): Promise<{ child: ChildProcessWithoutNullStreams; exited: Promise<number | NodeJS.Signals> }> {
  const child = spawn(process.execPath, interrupted(root, 'hold'), { cwd: REPO_ROOT });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal!)));
  child.stdout.resume();
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`holding the lock (pid ${child.pid})`)) resolve();
    });
    void exited.then((how) => reject(new Error(`synth exited (${how}) before taking the lock:\n${stderr}`)));
  });
  return { child, exited };
}

describe('writer lock', () => {
  // A failed assertion must not leave a paused synth behind.
  const holders: ChildProcessWithoutNullStreams[] = [];
  afterAll(() => {
    for (const child of holders.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  // One scenario, a test per step, each running one synth that renders at most: a synth holds the
  // lock on a stale tree while a second writer and a --check run, then goes on and writes.
  describe('while a synth holds the lock', () => {
    let root: string;
    let cleanup: () => void;
    let renderedDigest: string;
    let staleDigest: string;
    let stagingDigest: string;
    let holder: Awaited<ReturnType<typeof startHoldingSynth>>;
    beforeAll(async () => {
      ({ root, cleanup } = rootWithGitops());
      const gitops = path.join(root, 'gitops');
      renderedDigest = treeDigest(gitops);
      fs.writeFileSync(path.join(gitops, 'cluster1', 'apps', 'kustomization.yaml'), 'stale\n');
      staleDigest = treeDigest(gitops);
      holder = await startHoldingSynth(root);
      holders.push(holder.child);
      stagingDigest = treeDigest(path.join(root, STAGING_DIR));
    });
    afterAll(() => {
      if (holder?.child.exitCode === null && holder.child.signalCode === null) holder.child.kill('SIGKILL');
      cleanup?.();
    });

    it('records its pid as the owner', () => {
      expect(fs.readFileSync(path.join(root, STAGING_DIR, 'owner'), 'utf8')).toBe(`${holder.child.pid}\n`);
    });

    it('refuses a second synth with exit 2, touching nothing', async () => {
      const second = await runSynthAsync(['--out', root]);
      expect(second.status).toBe(2);
      expect(second.stderr).toContain(`another synth (pid ${holder.child.pid}) is writing ${path.join(root, 'gitops')}/; wait for it`);
      expect(treeDigest(path.join(root, 'gitops'))).toBe(staleDigest);
      expect(treeDigest(path.join(root, STAGING_DIR))).toBe(stagingDigest);
    });

    it('lets --check read meanwhile, touching nothing', async () => {
      const check = await runSynthAsync(['--out', root, '--check']);
      expect(check.status).toBe(1);
      expect(check.stdout).toMatch(/differs +gitops\/cluster1\/apps\/kustomization\.yaml/);
      expect(treeDigest(path.join(root, 'gitops'))).toBe(staleDigest);
      expect(treeDigest(path.join(root, STAGING_DIR))).toBe(stagingDigest);
    });

    it('then lets the holder go on: it writes its tree and gives the lock up', async () => {
      holder.child.stdin.end();
      expect(await holder.exited).toBe(0);
      expect(treeDigest(path.join(root, 'gitops'))).toBe(renderedDigest);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(false);
    });
  });

  it('takes over the lock of a synth that was killed holding it', async () => {
    const { root, cleanup } = rootWithGitops();
    try {
      const gitops = path.join(root, 'gitops');
      const renderedDigest = treeDigest(gitops);
      fs.writeFileSync(path.join(gitops, 'cluster1', 'apps', 'kustomization.yaml'), 'stale\n');
      const { child, exited } = await startHoldingSynth(root);
      holders.push(child);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(fs.readFileSync(path.join(root, STAGING_DIR, 'owner'), 'utf8')).toBe(`${child.pid}\n`);

      const next = runSynth(['--out', root]);
      expect(next.status).toBe(0);
      expect(next.stderr).toContain(`took over the lock of synth pid ${child.pid}, which is no longer running`);
      expect(treeDigest(gitops)).toBe(renderedDigest);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(false);
    } finally {
      cleanup();
    }
  });

  // A run crashed at `point` while swapping the rendered tree in over a stale one; a test per step
  // on one copy of what it left (--check changes nothing of it), each running one synth.
  describe.each([
    ['staged', 'discarded'],
    ['between-renames', 'rolled-forward'],
  ])('after a run crashed holding the lock (at %s)', (point, outcome) => {
    let crash: ReturnType<typeof crashedCopy>;
    let owner: string;
    beforeAll(() => {
      crash = crashedCopy(point);
      owner = fs.readFileSync(path.join(crash.root, STAGING_DIR, 'owner'), 'utf8');
    });
    afterAll(() => crash.cleanup());

    it('--check reads what is there and leaves the leftovers, lock included, for a writing run', () => {
      expect(crash.crashed.status).toBe(70);
      expect(owner).toBe(`${crash.crashed.pid}\n`);
      const leftovers = treeDigest(path.join(crash.root, STAGING_DIR));
      const check = runSynth(['--out', crash.root, '--check']);
      expect(check.status).toBe(1);
      expect(fs.readFileSync(path.join(crash.root, STAGING_DIR, 'owner'), 'utf8')).toBe(owner);
      expect(treeDigest(path.join(crash.root, STAGING_DIR))).toBe(leftovers);
    });

    it(`the next synth takes the lock over and recovers the swap (${outcome})`, () => {
      expect(owner).toBe(`${crash.crashed.pid}\n`);
      const next = runSynth(['--out', crash.root]);
      expect(next.status).toBe(0);
      expect(next.stderr).toContain(`took over the lock of synth pid ${crash.crashed.pid}`);
      expect(next.stderr).toContain(`(${outcome})`);
      // The run renders again after recovering, so gitops/ ends up rendered either way; what the
      // recovery alone leaves is checked by the recover() test above.
      expect(treeDigest(path.join(crash.root, 'gitops'))).toBe(crash.renderedDigest);
      expect(fs.existsSync(path.join(crash.root, STAGING_DIR))).toBe(false);
    });
  });

  // A lock file in the staging directory, written by hand: refused while its process is alive, taken when it names this process.
  describe('in process', () => {
    let root: string;
    let cleanup: () => void;
    let owner: string;
    beforeAll(() => {
      ({ root, cleanup } = rootWithGitops());
      fs.writeFileSync(path.join(root, 'gitops', 'cluster1', 'apps', 'kustomization.yaml'), 'stale\n');
      owner = path.join(root, STAGING_DIR, 'owner');
      fs.mkdirSync(path.dirname(owner));
    });
    afterAll(() => cleanup());

    it('refuses to write while a live process owns the lock', () => {
      const staleDigest = treeDigest(path.join(root, 'gitops'));
      // The parent (jest) is alive and is not this process.
      fs.writeFileSync(owner, `${process.ppid}\n`);
      expect(() => synth({ root, model: PLATFORM })).toThrow(SynthBusyError);
      expect(treeDigest(path.join(root, 'gitops'))).toBe(staleDigest);
      expect(fs.readFileSync(owner, 'utf8')).toBe(`${process.ppid}\n`);
    });

    it('treats a lock naming its own pid as a stale owner', () => {
      // A lock file naming this very process, which does not hold it, was left by an earlier
      // process with the same pid (containers restart with the same small pids).
      fs.writeFileSync(owner, `${process.pid}\n`);
      expect(synth({ root, model: PLATFORM }).diff.changed).toEqual(['cluster1/apps/kustomization.yaml']);
      expect(fs.existsSync(path.join(root, STAGING_DIR))).toBe(false);
    });
  });
});
