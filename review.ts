/**
 * The review commands (bundled into dist/review.js by tools/build.mjs), each with a strict
 * command line (tools/cli.ts; `--help` on each):
 *   npm run validate [-- --capacity]          schema, policy, capacity and cross-site checks; lists the exceptions in force
 *   npm run capacity [-- --site NAME]...      per-site capacity table (every node up, after losing each node, autoscalers at maximum)
 *   npm run report [-- --full]               the failure report's summary (--full: all of gitops/REPORT.md); exit 1 if the committed one is stale
 *   npm run diff [-- --base REF] [--format markdown|text] [--output FILE] [--fail-on high|medium [--override]] ...
 * Exit codes: 0 fine; 1 the diff reaches --fail-on (without --override); 2 findings or bad input.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
// The platform and the pipeline are imported by each command once its command line is known
// good: a bad one or --help answers without them (test/cli.test.ts).
import type { RatedChange, Risk } from './pipeline/diff';
import type { StackOutputs } from './charts/lib/object-store';
import { formatFinding, PlatformError, type Finding } from './model/errors';
import type { FileBodies } from './pipeline/files';
import type { CapacityReport } from './pipeline/validate/capacity';
import type { PlatformModel } from './sites';
import { CommandLineExit, parseCommandLine, runCommand, usageError } from './tools/cli';

const root = path.resolve(__dirname, '..');

/** Width of a usage bar; with the seeds' node names a row is 78 columns. */
const BAR = 8;
/** Width the tables and their notes are made for (a terminal, a CI log). */
const COLUMNS = 80;

/**
 * A bar of requests against allocatable on a scale of `scalePercent` (100, or more when a node
 * is overcommitted), with `|` where allocatable ends when the scale goes past it.
 */
function usageBar(percent: number, scalePercent: number): string {
  const filled = Math.min(BAR, Math.round((percent / scalePercent) * BAR));
  const cells = [...'█'.repeat(filled).padEnd(BAR, '·')];
  const limit = Math.round((100 / scalePercent) * BAR);
  if (scalePercent > 100 && limit < BAR) cells[limit] = cells[limit] === '█' ? '▌' : '|';
  return cells.join('');
}

const percentOf = (used: number, allocatable: number) => (allocatable > 0 ? Math.round((used / allocatable) * 100) : 0);

/** `text` as lines of at most COLUMNS, broken at spaces, later lines indented by `indent`. */
function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  const lead = /^ */.exec(text)![0];
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    if (line !== lead && line.length + 1 + word.length > COLUMNS) {
      lines.push(line);
      line = indent + word;
    } else line = line === lead ? `${lead}${word}` : `${line} ${word}`;
  }
  return [...lines, line];
}

/** One scenario as a table: a header row, then per node its CPU and memory requests against allocatable, with a bar each. */
function scenarioTable(s: CapacityReport['scenarios'][number]): string[] {
  const rows = s.nodes.map((n) => ({
    node: n.node,
    cpu: { text: `${Math.round(n.cpuMillis)}m/${n.cpuAllocatable}m`, percent: percentOf(n.cpuMillis, n.cpuAllocatable) },
    memory: { text: `${Math.round(n.memoryMiB)}Mi/${n.memoryAllocatable}Mi`, percent: percentOf(n.memoryMiB, n.memoryAllocatable) },
    pods: n.pods,
  }));
  // One scale for the whole table, so that bars compare between nodes and resources.
  const scale = Math.max(100, Math.ceil(Math.max(...rows.flatMap((r) => [r.cpu.percent, r.memory.percent])) / 100) * 100);
  const nodeWidth = Math.max(4, ...rows.map((r) => r.node.length));
  const cell = (c: { text: string; percent: number }, width: number) =>
    `${c.text.padStart(width)} ${`${c.percent}%`.padStart(4)} ${usageBar(c.percent, scale)}`;
  const cpuWidth = Math.max(...rows.map((r) => r.cpu.text.length));
  const memoryWidth = Math.max(...rows.map((r) => r.memory.text.length));
  const header = (title: string, width: number) => title.padEnd(width + 5 + 1 + BAR);
  const lines = [`  ${s.name}${scale > 100 ? ` (bars up to ${scale}%, | marks allocatable)` : ''}`];
  lines.push(
    `    ${'node'.padEnd(nodeWidth)}  ${header('cpu requests/alloc.', cpuWidth)}  ${header('memory requests/alloc.', memoryWidth)} pods`,
  );
  for (const r of rows)
    lines.push(`    ${r.node.padEnd(nodeWidth)}  ${cell(r.cpu, cpuWidth)}  ${cell(r.memory, memoryWidth)} ${String(r.pods).padStart(4)}`);
  const pages = s.nodes.filter((n) => n.hugepagesMiB > 0 || n.hugepagesAllocatable);
  const notes = [
    ...(pages.length > 0
      ? [
          `hugepages-2Mi requests/alloc.: ${pages.map((n) => `${n.node} ${Math.round(n.hugepagesMiB)}/${n.hugepagesAllocatable ?? 0}Mi`).join(', ')}`,
        ]
      : []),
    ...(s.unplaced.length > 0 ? [`unplaced: ${s.unplaced.join(', ')}`] : []),
    ...(s.waiting.length > 0 ? [`waiting for their node (node-local volume): ${s.waiting.join(', ')}`] : []),
  ];
  for (const note of notes) lines.push(...wrap(`    ${note}`, '      '));
  return lines;
}

function capacityTable(report: CapacityReport): string {
  const lines = [`site ${report.site}`];
  for (const s of report.scenarios) lines.push(...scenarioTable(s));
  lines.push(
    ...wrap(
      `  storage: ${report.storage.neededGiB.toFixed(1)} GiB of claims x replication, ${report.storage.poolGiB} GiB of DiskPools`,
      '    ',
    ),
  );
  lines.push(
    ...wrap(
      `  node-local volumes: up to ${report.storage.nodeLocalGiB.toFixed(1)} GiB per node, on system disks of ${report.storage.systemDiskGB} GB`,
      '    ',
    ),
  );
  if (report.accepted) lines.push(...wrap(`  accepted: ${report.accepted}`, '    '));
  lines.push('  counted:');
  for (const g of report.groups) {
    const count = g.replicas === 'perNode' ? 'one per node' : `${g.replicas} x`;
    const pages = g.requests.hugepagesMiB ? ` / ${g.requests.hugepagesMiB}Mi hugepages` : '';
    lines.push(
      ...wrap(
        `    ${g.name}: ${count} ${Math.round(g.requests.cpuMillis)}m / ${Math.round(g.requests.memoryMiB)}Mi${pages}${g.transient ? ' (job, not steady)' : ''}`,
        '      ',
      ),
    );
  }
  return lines.join('\n');
}

const VALIDATE = {
  name: 'validate',
  usage: 'npm run validate -- [--capacity]',
  options: { capacity: { type: 'boolean' } },
  help: { capacity: 'also print the capacity table of every site' },
} as const;

const CAPACITY = {
  name: 'capacity',
  usage: 'npm run capacity -- [--site NAME]...',
  options: { site: { type: 'string', multiple: true } },
  help: { site: "print only this site's table and findings (repeatable); every site is rendered, for the cross-site checks" },
} as const;

const REPORT = {
  name: 'report',
  usage: 'npm run report -- [--full]',
  options: { full: { type: 'boolean' } },
  help: { full: 'print the whole failure report (gitops/REPORT.md as synth renders it), not the one-screen summary' },
} as const;

const FORMATS = ['markdown', 'text'] as const;
const RISKS = ['high', 'medium'] as const;

/** The diff's command line; its help names the diff's default number of low changes listed. */
const diffCommand = (listedLows: number) =>
  ({
    name: 'diff',
    usage:
      'npm run diff -- [--base REF] [--format markdown|text] [--output FILE] [--fail-on high|medium [--override]] [--main-branch NAME] [--branch NAME] [--max-chars N] [--full]',
    options: {
      base: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string' },
      'fail-on': { type: 'string' },
      override: { type: 'boolean' },
      'main-branch': { type: 'string' },
      branch: { type: 'string' },
      'max-chars': { type: 'string' },
      full: { type: 'boolean' },
    },
    help: {
      base: 'git ref to compare with (default: the merge base with the main branch)',
      format: 'markdown or text (default: text on a terminal, markdown otherwise)',
      output: "write the report to FILE instead of stdout (nothing else, such as npm's banner, can get into it)",
      'fail-on': 'exit 1 when a change reaches this risk: high or medium',
      override: 'with --fail-on: report the risk but exit 0 (the risk-accepted label)',
      'main-branch': 'the main branch for the default base (default: $DIFF_MAIN_BRANCH or main)',
      branch: "the branch named in the header (default: the checked-out branch; CI passes the merge request's)",
      'max-chars': 'markdown: at most N characters (a merge-request note has a limit); the lead table is always whole',
      full: `markdown: list every change (by default, past ${listedLows} low changes no rule explains, the others are counted per component)`,
    },
  }) as const;

const REVIEW_USAGE = 'node dist/review.js <validate|capacity|report|diff> [options] (npm run validate, capacity, report, diff)';
const REVIEW_HELP = [
  `usage: ${REVIEW_USAGE}`,
  '  validate    schema, policy, capacity and cross-site checks; the exceptions in force',
  '  capacity    per-site capacity tables',
  '  report      what the loss of each node, site, the link, the edge or the primary database does (gitops/REPORT.md)',
  '  diff        risk-rated semantic diff of the render against a git ref',
  '  <command> --help prints the options of that command',
  '  --help, -h  print this help and exit',
].join('\n');

/** Renders every site (unvalidated), then runs every check; prints the findings. */
async function validate(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(VALIDATE, argv);
  const { rendered, report } = await renderAndCheck(await loadPlatform());
  if (args.capacity) for (const c of report.capacity) console.log(capacityTable(c));
  const objects = rendered.reduce((n, s) => n + s.components.reduce((m, c) => m + c.objects.length, 0), 0);
  if (report.exceptions.length > 0) console.log(`exceptions in force:\n${report.exceptions.map((e) => `  ${e}`).join('\n')}`);
  console.log(`validate: ${rendered.length} sites, ${objects} objects, ${report.findings.length} finding(s)`);
  return printFindings(report.findings);
}

async function capacity(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(CAPACITY, argv);
  const only = args.site ?? [];
  const platform = await loadPlatform();
  const known = platform.sites.map((s) => s.name);
  const unknown = only.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw usageError(CAPACITY, `no site named ${unknown.join(', ')}; known sites: ${known.join(', ')}`);
  const { report } = await renderAndCheck(platform);
  const shown = (site: string | undefined) => only.length === 0 || site === undefined || only.includes(site);
  for (const c of report.capacity.filter((r) => shown(r.site))) console.log(capacityTable(c));
  return printFindings(report.findings.filter((f) => shown(f.site)));
}

/** Prints the failure report (rendered and validated as synth does); exit 1 when the committed gitops/REPORT.md differs. */
async function report(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(REPORT, argv);
  const [platform, { renderTree }, { reportSummary }] = await Promise.all([
    loadPlatform(),
    import('./pipeline/synth'),
    import('./pipeline/report'),
  ]);
  const { tree, failures } = renderTree(platform, { stackOutputs: await stackOutputs(platform) });
  const rendered = tree.get('REPORT.md')!;
  process.stdout.write(args.full ? rendered : `${reportSummary(failures, platform.edge)}\n`);
  const committed = path.join(root, 'gitops', 'REPORT.md');
  if (!fs.existsSync(committed) || fs.readFileSync(committed, 'utf8') !== rendered) {
    console.error('report: gitops/REPORT.md differs from what the model renders: run npm run synth and commit gitops/');
    return 1;
  }
  return 0;
}

/** The site model, for a command whose command line is good. */
const loadPlatform = async (): Promise<PlatformModel> => (await import('./sites')).PLATFORM;

/** Sites whose object store is `aws` render with their stacks' outputs, as in synth (fetched once the command line is known good). */
async function stackOutputs(platform: PlatformModel): Promise<StackOutputs> {
  const { fetchStackOutputs } = await import('./pipeline/aws-outputs');
  return fetchStackOutputs(platform.sites);
}

async function renderAndCheck(platform: PlatformModel) {
  const [{ renderTree }, { validateRendered }] = await Promise.all([import('./pipeline/synth'), import('./pipeline/validate')]);
  const { rendered } = renderTree(platform, { validate: false, keepRendered: true, stackOutputs: await stackOutputs(platform) });
  return { rendered, report: validateRendered(rendered) };
}

function printFindings(findings: readonly Finding[]): number {
  if (findings.length === 0) return 0;
  console.error(findings.map(formatFinding).join('\n'));
  return 2;
}

/** `value` if it is one of `allowed`, else a usage error of `command` naming them. */
function oneOf<T extends string>(
  command: ReturnType<typeof diffCommand>,
  option: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw usageError(command, `--${option} takes ${allowed.join(' or ')}, not '${value}'`);
}

async function diff(argv: readonly string[]): Promise<number> {
  // Of the diff, only its report's module is loaded for the command line: the help names its default.
  const DIFF = diffCommand((await import('./pipeline/diff/format')).LISTED_LOWS);
  const args = parseCommandLine(DIFF, argv);
  const format = oneOf(DIFF, 'format', args.format, FORMATS) ?? (process.stdout.isTTY ? 'text' : 'markdown');
  const failOn: Risk | undefined = oneOf(DIFF, 'fail-on', args['fail-on'], RISKS);
  if (args.override && failOn === undefined) throw usageError(DIFF, '--override only makes sense with --fail-on');
  const maxChars = args['max-chars'] === undefined ? undefined : Number(args['max-chars']);
  if (maxChars !== undefined && !(Number.isInteger(maxChars) && maxChars > 0))
    throw usageError(DIFF, `--max-chars takes a whole number above 0, not '${args['max-chars']}'`);
  const [
    platform,
    { renderTree },
    { defaultBase, describeHead, filesByDirectory, GitTree, highestRisk, reaches, RenderedDiff, resolveCommit, toMarkdown, toText },
  ] = await Promise.all([loadPlatform(), import('./pipeline/synth'), import('./pipeline/diff')]);
  const base = args.base ?? defaultBase(root, args['main-branch'] ?? process.env.DIFF_MAIN_BRANCH ?? 'main');
  const baseCommit = resolveCommit(root, base);
  const baseTree = new GitTree(root, baseCommit);
  let changes: RatedChange[];
  try {
    const diff = new RenderedDiff(baseTree);
    // The rendered side is read from the render's own objects: its YAML is never parsed.
    const bodies: FileBodies = new Map();
    const { tree } = renderTree(platform, { validate: false, stackOutputs: await stackOutputs(platform), bodies });
    for (const files of filesByDirectory(tree, bodies)) diff.add(files);
    changes = diff.finish();
  } finally {
    // git writes the base in the background from the listing on: stopped whatever happens.
    baseTree.close();
  }
  const head = describeHead(root, args.branch);
  const header = { baseRef: base, baseCommit, headCommit: head.commit, headBranch: head.branch, uncommitted: head.uncommitted };
  const markdown = {
    maxChars,
    listedLows: args.full ? Infinity : undefined,
    fullCommand: `\`npm run diff -- --base ${baseCommit.slice(0, 12)} --full\``,
  };
  const report = format === 'markdown' ? toMarkdown(changes, header, markdown) : toText(changes, header);
  if (args.output !== undefined) fs.writeFileSync(args.output, report);
  else process.stdout.write(report);
  if (failOn && reaches(changes, failOn)) {
    if (args.override) {
      console.error(`diff: ${highestRisk(changes)}-risk changes accepted by override (risk-accepted label)`);
      return 0;
    }
    console.error(
      `diff: ${highestRisk(changes)}-risk changes; review them, then add the risk-accepted label to the merge request and start a new pipeline (GitLab reads labels when a pipeline is created: retrying this job keeps the old labels)`,
    );
    return 1;
  }
  return 0;
}

const COMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = { validate, capacity, report, diff };

async function main(): Promise<number> {
  const [command, ...argv] = process.argv.slice(2);
  if (command === '--help' || command === '-h') throw new CommandLineExit(REVIEW_HELP, 0);
  const run = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) throw new CommandLineExit(`review: unknown command '${command ?? ''}'\nusage: ${REVIEW_USAGE}`, 2);
  try {
    return await run(argv);
  } catch (err) {
    if (err instanceof PlatformError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

runCommand(main);
