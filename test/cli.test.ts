import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatRow, summary, type Row } from '../bench/report';
import { REPO_ROOT, tempDir, treeDigest } from './helpers';

// Every entry point, run as the npm scripts run it (`node tools/run.mjs <entry>`: the bundle
// dist/<entry>.js with its code cache), with a strict command line: a bad one prints what is
// wrong and the usage line, exit 2. Each run also says which bundles of dist/ and which packages
// it loaded (test/loaded-modules.js).
const { dir: loadedDir, cleanup: removeLoadedDir } = tempDir();
afterAll(removeLoadedDir);
let runs = 0;

function run(bundle: string, args: string[]) {
  const entry = bundle.replace(/\.js$/, '');
  const file = path.join(loadedDir, `${++runs}.txt`);
  const r = spawnSync(
    process.execPath,
    ['--require', path.join(REPO_ROOT, 'test', 'loaded-modules.js'), path.join(REPO_ROOT, 'tools', 'run.mjs'), entry, ...args],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, LOADED_MODULES_FILE: file } },
  );
  const loaded = fs.readFileSync(file, 'utf8').trim().split('\n');
  const bundles = loaded.flatMap((f) => (path.dirname(f) === path.join(REPO_ROOT, 'dist') ? [path.basename(f)] : [])).sort();
  const packages = [...new Set(loaded.flatMap((f) => /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(f)?.[1] ?? []))].sort();
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, bundles, packages };
}

/**
 * What a command line that is refused or asks for --help may load: the site model (dist/model.js,
 * for the checks that name the sites) and the package of "did you mean"; `diff` also its report's
 * module (pipeline/diff/format, whose default its help names), from dist/pipeline-diff.js, with
 * the `diff` package it uses. Never cdk8s (dist/vendor.js), the charts or the rest of the pipeline.
 */
function expectLightLoad(bundle: string, args: string[], r: ReturnType<typeof run>) {
  const isDiff = bundle === 'review.js' && args[0] === 'diff';
  expect(r.bundles.filter((b) => b !== 'model.js' && !(isDiff && b === 'pipeline-diff.js'))).toEqual([]);
  expect(r.packages.filter((p) => p !== 'fastest-levenshtein' && !(isDiff && p === 'diff'))).toEqual([]);
}

describe('strict command lines', () => {
  it.each<[string, string, string[], RegExp]>([
    ['synth', 'main.js', ['--chek'], /^synth: unknown option --chek \(did you mean --check\?\)\nusage: npm run synth -- /],
    ['synth', 'main.js', ['--site'], /^synth: option --site needs a value\n/],
    ['synth', 'main.js', ['--out', '--check'], /^synth: option --out needs a value\n/],
    ['synth', 'main.js', ['cluster1'], /^synth: unexpected argument 'cluster1'/],
    [
      'diff',
      'review.js',
      ['diff', '--failon', 'high'],
      /^diff: unknown option --failon \(did you mean --fail-on\?\)\nusage: npm run diff -- /,
    ],
    ['diff', 'review.js', ['diff', '--fail-on'], /^diff: option --fail-on needs a value\n/],
    ['diff', 'review.js', ['diff', '--fail-on', '--override'], /^diff: option --fail-on needs a value\n/],
    ['diff', 'review.js', ['diff', '--fail-on', 'low'], /^diff: --fail-on takes high or medium, not 'low'\n/],
    ['diff', 'review.js', ['diff', '--format', 'html'], /^diff: --format takes markdown or text, not 'html'\n/],
    ['diff', 'review.js', ['diff', '--override'], /^diff: --override only makes sense with --fail-on\n/],
    ['capacity', 'review.js', ['capacity', '--site', 'cluster9'], /^capacity: no site named cluster9; known sites: cluster1, cluster2\n/],
    ['capacity', 'review.js', ['capacity', '--format', 'html'], /^capacity: unknown option --format\nusage: npm run capacity -- /],
    ['report', 'review.js', ['report', '--ful'], /^report: unknown option --ful \(did you mean --full\?\)\n/],
    ['validate', 'review.js', ['validate', '--capacty'], /^validate: unknown option --capacty \(did you mean --capacity\?\)\n/],
    ['review', 'review.js', ['lint'], /^review: unknown command 'lint'\nusage: /],
    ['review', 'review.js', [], /^review: unknown command ''\nusage: /],
    ['bench', 'bench-render.js', ['--runs'], /^bench: option --runs needs a value\n/],
    ['bench', 'bench-render.js', ['--runs', 'many'], /^bench: --runs takes a whole number >= 1, not 'many'\n/],
    ['bench', 'bench-render.js', ['--only', 'everything'], /^bench: --only takes startup, cdk8s, render, diff, ci, not 'everything'\n/],
    ['aws-stack', 'aws-stack.js', [], /^aws-stack: --site is required; sites with an aws object store: none\n/],
    ['aws-stack', 'aws-stack.js', ['--site', 'cluster1'], /^aws-stack: site cluster1 stores objects in s3, not aws; /],
    ['aws-stack', 'aws-stack.js', ['--sites', 'cluster1'], /^aws-stack: unknown option --sites \(did you mean --site\?\)\n/],
  ])('%s (%s) refuses %j: the problem, the usage line, exit 2', (_command, bundle, args, message) => {
    const r = run(bundle, args);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^usage: /);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expectLightLoad(bundle, args, r);
  });

  it.each<[string, string[], RegExp]>([
    ['main.js', ['--help'], /^usage: npm run synth -- \[--site NAME\]\.\.\. \[--check\] \[--out DIR\]\n {2}--site <value> /],
    ['review.js', ['--help'], /^usage: node dist\/review\.js <validate\|capacity\|report\|diff>/],
    ['review.js', ['report', '--help'], /^usage: npm run report -- \[--full\]\n {2}--full /],
    ['review.js', ['validate', '--help'], /^usage: npm run validate -- \[--capacity\]\n/],
    ['review.js', ['capacity', '-h'], /^usage: npm run capacity -- \[--site NAME\]\.\.\.\n/],
    ['review.js', ['diff', '--help'], /^usage: npm run diff -- .*\n {2}--base <value> /],
    ['bench-render.js', ['--help'], /^usage: npm run bench -- \[--runs N\] \[--only startup,cdk8s,render,diff,ci\]\n/],
    ['aws-stack.js', ['--help'], /^usage: npm run aws-stack -- --site NAME\n/],
  ])('%s %j prints the usage and exits 0 without doing anything else', (bundle, args, usage) => {
    const r = run(bundle, args);
    expect(r.stdout).toMatch(usage);
    expect(r.stdout).toMatch(/ {2}--help, -h +print this help and exit\n$/);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectLightLoad(bundle, args, r);
  });

  it('refuses a bad synth flag before taking the lock or touching gitops/', () => {
    const { dir, cleanup } = tempDir();
    try {
      const before = treeDigest(dir);
      expect(run('main.js', ['--out', dir, '--chek']).status).toBe(2);
      expect(treeDigest(dir)).toBe(before);
    } finally {
      cleanup();
    }
  });

  // Each of these renders and validates every site, as synth does (about a second): one run per test.
  it('report prints the one-screen summary of the committed gitops/REPORT.md', () => {
    const r = run('review.js', ['report']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // A command that runs loads what the light ones may not: what they load is seen.
    expect(r.bundles).toEqual(expect.arrayContaining(['vendor.js', 'pipeline.js', 'charts.js']));
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^failure report: /);
    expect(lines.length).toBeLessThan(50);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(r.stdout).toMatch(/^site cluster2: down: all of cluster2 \(site lost\)\. read-only: cluster1 postgres\./m);
  });

  it('report --full prints the whole of the committed gitops/REPORT.md', () => {
    const full = run('review.js', ['report', '--full']);
    expect(full.stdout).toBe(fs.readFileSync(path.join(REPO_ROOT, 'gitops', 'REPORT.md'), 'utf8'));
  });

  it('capacity --site prints that site only', () => {
    const r = run('review.js', ['capacity', '--site', 'cluster2']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^site cluster2\n {2}all nodes up /);
    expect(r.stdout).not.toMatch(/site cluster1/);
  });
});

describe('npm run bench', () => {
  // One run of the smallest group (it renders, rebundles twice and starts npm: a few seconds),
  // whose output each test below reads a part of.
  let bench: ReturnType<typeof run>;
  let lines: string[];
  beforeAll(() => {
    bench = run('bench-render.js', ['--runs', '1', '--only', 'startup']);
    lines = bench.stdout.trim().split('\n');
  }, 120_000);

  it('runs the startup group and says what it measures on stderr', () => {
    expect(bench.status).toBe(0);
    expect(bench.stderr.trim().split('\n')).toEqual([
      'bench: measuring F and S side by side: nothing changed, touched, rendered, one file edited, one chart edited, through npm (1 run)',
    ]);
  });

  it("prints each figure as it is measured: F, then each case of S with its CPU-time ratio and its target, then npm's share", () => {
    expect(lines[0]).toMatch(/^bench \(node v\d+/);
    expect(lines[1]).toMatch(/^F {2}load cdk8s \+ cdk8s-plus-28 +\d+ ms$/);
    const ratio = (limit: string) => `CPU-time ratio \\d+\\.\\d\\d, S/F = \\d+\\.\\d\\d \\(target <= ${limit}(, MISSED)?\\)$`;
    expect(lines[2]).toMatch(new RegExp(`^S {2}synth, nothing changed +\\d+ ms {2}${ratio('1.5')}`));
    expect(lines[3]).toMatch(new RegExp(`^S {2}synth, every source touched \\(same bytes\\) +\\d+ ms {2}${ratio('1.5')}`));
    expect(lines[4]).toMatch(/^S {2}synth, rendered \(no record matches\) +\d+ ms {2}CPU-time ratio \d+\.\d\d, S\/F = \d+\.\d\d$/);
    expect(lines[5]).toMatch(new RegExp(`^S {2}synth, one source file edited \\(rebundle\\) +\\d+ ms {2}${ratio('2')}`));
    expect(lines[6]).toMatch(new RegExp(`^S {2}synth, one chart file edited \\(rebundle\\) +\\d+ ms {2}${ratio('2')}`));
    expect(lines[7]).toMatch(
      /^npm's own share of npm run synth +-?\d+ ms {2}npm run synth \d+ ms \(\d+\.\d\d x F\); node tools\/run\.mjs main skips it$/,
    );
  });

  it('closes with a line on the targets', () => {
    expect(lines[8]).toMatch(/^bench: (all 4 targets met|\d of 4 targets MISSED: .*)$/);
    expect(lines).toHaveLength(9);
  });

  it('flags a figure that misses its target, in its row and in the closing line', () => {
    const target = (value: number) => ({ label: 'S/F', value, op: '<=', limit: 3, digits: 2 }) as const;
    const rows: Row[] = [
      { what: 'S  fast', figure: '100 ms', targets: [target(2.5)] },
      { what: 'S  slow', figure: '400 ms', targets: [target(3.9)] },
      { what: 'C  ratio', figure: '9 s', targets: [{ label: 'C/S', value: 7, op: '>=', limit: 8, digits: 1 }] },
    ];
    expect(formatRow(rows[0]!)).toMatch(/S\/F = 2\.50 \(target <= 3\)$/);
    expect(formatRow(rows[1]!)).toMatch(/S\/F = 3\.90 \(target <= 3, MISSED\)$/);
    expect(formatRow(rows[2]!)).toMatch(/C\/S = 7\.0 \(target >= 8, MISSED\)$/);
    expect(summary(rows)).toBe(
      'bench: 2 of 3 targets MISSED: S  slow: S/F = 3.90 (target <= 3, MISSED); C  ratio: C/S = 7.0 (target >= 8, MISSED)',
    );
    expect(summary(rows.slice(0, 1))).toBe('bench: all 1 targets met');
  });
});
