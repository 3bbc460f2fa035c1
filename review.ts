/**
 * The review commands (bundled into dist/review.js by tools/build.mjs), each with a strict
 * command line (tools/cli.ts; `--help` on each):
 *   npm run validate [-- --capacity]          schema, policy, capacity and cross-site checks; lists the exceptions in force
 *   npm run capacity [-- --site NAME]...      per-site capacity table (every node up, after losing each node, autoscalers at maximum)
 *   npm run diff [-- --base REF] [--format markdown|text] [--output FILE] [--fail-on high|medium [--override]] ...
 * Exit codes: 0 fine; 1 the diff reaches --fail-on (without --override); 2 findings or bad input.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import {
  defaultBase,
  describeHead,
  highestRisk,
  reaches,
  readTreeAtRef,
  resolveCommit,
  semanticDiff,
  toMarkdown,
  toText,
  type Risk,
} from './pipeline/diff';
import type { StackOutputs } from './charts/lib/object-store';
import { fetchStackOutputs } from './pipeline/aws-outputs';
import { formatFinding, PlatformError, type Finding } from './pipeline/errors';
import { renderTree } from './pipeline/synth';
import type { CapacityReport } from './pipeline/validate/capacity';
import { validateRendered } from './pipeline/validate';
import { PLATFORM } from './sites';
import { CommandLineExit, parseCommandLine, runCommand, usageError } from './tools/cli';

const root = path.resolve(__dirname, '..');

function capacityTable(report: CapacityReport): string {
  const lines = [`site ${report.site}`];
  const pct = (a: number, b: number) => `${b > 0 ? Math.round((a / b) * 100) : 0}%`.padStart(5);
  for (const s of report.scenarios) {
    lines.push(`  ${s.name}`);
    for (const n of s.nodes) {
      lines.push(
        `    ${n.node.padEnd(24)} cpu ${`${Math.round(n.cpuMillis)}m`.padStart(7)} / ${`${n.cpuAllocatable}m`.padEnd(7)}${pct(n.cpuMillis, n.cpuAllocatable)}` +
          `   memory ${`${Math.round(n.memoryMiB)}Mi`.padStart(8)} / ${`${n.memoryAllocatable}Mi`.padEnd(8)}${pct(n.memoryMiB, n.memoryAllocatable)}` +
          `${n.hugepagesMiB > 0 || n.hugepagesAllocatable ? `   hugepages ${Math.round(n.hugepagesMiB)}Mi / ${n.hugepagesAllocatable ?? 0}Mi` : ''}   ${n.pods} pods`,
      );
    }
    if (s.unplaced.length > 0) lines.push(`    unplaced: ${s.unplaced.join(', ')}`);
    if (s.waiting.length > 0) lines.push(`    waiting for their node (node-local volume): ${s.waiting.join(', ')}`);
  }
  lines.push(`  storage: ${report.storage.neededGiB.toFixed(1)} GiB of claims x replication, ${report.storage.poolGiB} GiB of DiskPools`);
  lines.push(
    `  node-local volumes: up to ${report.storage.nodeLocalGiB.toFixed(1)} GiB per node, on system disks of ${report.storage.systemDiskGB} GB`,
  );
  if (report.accepted) lines.push(`  accepted: ${report.accepted}`);
  lines.push('  counted:');
  for (const g of report.groups) {
    lines.push(
      `    ${g.name}: ${g.replicas === 'perNode' ? 'one per node' : `${g.replicas} x`} ${Math.round(g.requests.cpuMillis)}m / ${Math.round(g.requests.memoryMiB)}Mi${g.requests.hugepagesMiB ? ` / ${g.requests.hugepagesMiB}Mi hugepages` : ''}${g.transient ? ' (job, not steady)' : ''}`,
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

const FORMATS = ['markdown', 'text'] as const;
const RISKS = ['high', 'medium'] as const;

const DIFF = {
  name: 'diff',
  usage:
    'npm run diff -- [--base REF] [--format markdown|text] [--output FILE] [--fail-on high|medium [--override]] [--main-branch NAME] [--branch NAME] [--max-chars N]',
  options: {
    base: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string' },
    'fail-on': { type: 'string' },
    override: { type: 'boolean' },
    'main-branch': { type: 'string' },
    branch: { type: 'string' },
    'max-chars': { type: 'string' },
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
  },
} as const;

const REVIEW_USAGE = 'node dist/review.js <validate|capacity|diff> [options] (npm run validate, npm run capacity, npm run diff)';
const REVIEW_HELP = [
  `usage: ${REVIEW_USAGE}`,
  '  validate    schema, policy, capacity and cross-site checks; the exceptions in force',
  '  capacity    per-site capacity tables',
  '  diff        risk-rated semantic diff of the render against a git ref',
  '  <command> --help prints the options of that command',
  '  --help, -h  print this help and exit',
].join('\n');

/** Renders every site (unvalidated), then runs every check; prints the findings. */
async function validate(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(VALIDATE, argv);
  const { rendered, report } = await renderAndCheck();
  if (args.capacity) for (const c of report.capacity) console.log(capacityTable(c));
  const objects = rendered.reduce((n, s) => n + s.components.reduce((m, c) => m + c.objects.length, 0), 0);
  if (report.exceptions.length > 0) console.log(`exceptions in force:\n${report.exceptions.map((e) => `  ${e}`).join('\n')}`);
  console.log(`validate: ${rendered.length} sites, ${objects} objects, ${report.findings.length} finding(s)`);
  return printFindings(report.findings);
}

async function capacity(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(CAPACITY, argv);
  const only = args.site ?? [];
  const known = PLATFORM.sites.map((s) => s.name);
  const unknown = only.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw usageError(CAPACITY, `no site named ${unknown.join(', ')}; known sites: ${known.join(', ')}`);
  const { report } = await renderAndCheck();
  const shown = (site: string | undefined) => only.length === 0 || site === undefined || only.includes(site);
  for (const c of report.capacity.filter((r) => shown(r.site))) console.log(capacityTable(c));
  return printFindings(report.findings.filter((f) => shown(f.site)));
}

/** Sites whose object store is `aws` render with their stacks' outputs, as in synth (fetched once the command line is known good). */
const stackOutputs = (): Promise<StackOutputs> => fetchStackOutputs(PLATFORM.sites);

async function renderAndCheck() {
  const { rendered } = renderTree(PLATFORM, { validate: false, keepRendered: true, stackOutputs: await stackOutputs() });
  return { rendered, report: validateRendered(rendered) };
}

function printFindings(findings: readonly Finding[]): number {
  if (findings.length === 0) return 0;
  console.error(findings.map(formatFinding).join('\n'));
  return 2;
}

/** `value` if it is one of `allowed`, else a usage error naming them. */
function oneOf<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw usageError(DIFF, `--${option} takes ${allowed.join(' or ')}, not '${value}'`);
}

async function diff(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(DIFF, argv);
  const format = oneOf('format', args.format, FORMATS) ?? (process.stdout.isTTY ? 'text' : 'markdown');
  const failOn: Risk | undefined = oneOf('fail-on', args['fail-on'], RISKS);
  if (args.override && failOn === undefined) throw usageError(DIFF, '--override only makes sense with --fail-on');
  const maxChars = args['max-chars'] === undefined ? undefined : Number(args['max-chars']);
  if (maxChars !== undefined && !(Number.isInteger(maxChars) && maxChars > 0))
    throw usageError(DIFF, `--max-chars takes a whole number above 0, not '${args['max-chars']}'`);
  const base = args.base ?? defaultBase(root, args['main-branch'] ?? process.env.DIFF_MAIN_BRANCH ?? 'main');
  const baseCommit = resolveCommit(root, base);
  const before = readTreeAtRef(root, baseCommit);
  const { tree } = renderTree(PLATFORM, { validate: false, stackOutputs: await stackOutputs() });
  const changes = semanticDiff(before, tree);
  const head = describeHead(root, args.branch);
  const header = { baseRef: base, baseCommit, headCommit: head.commit, headBranch: head.branch, uncommitted: head.uncommitted };
  const report = format === 'markdown' ? toMarkdown(changes, header, { maxChars }) : toText(changes, header);
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

const COMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = { validate, capacity, diff };

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
