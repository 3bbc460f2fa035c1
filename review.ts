/**
 * The review commands (bundled into dist/review.js by tools/build.mjs):
 *   npm run validate                          schema, policy, capacity and cross-site checks; lists the exceptions in force
 *   npm run capacity                          per-site capacity table (every node up, and after losing each node)
 *   npm run diff [-- --base REF] [--format markdown|text] [--fail-on high|medium] [--override] [--main-branch NAME]
 * Exit codes: 0 fine; 1 the diff reaches --fail-on (without --override); 2 findings or bad input.
 */
import * as path from 'node:path';
import { defaultBase, highestRisk, reaches, readTreeAtRef, semanticDiff, toMarkdown, toText, type Risk } from './pipeline/diff';
import type { StackOutputs } from './charts/lib/object-store';
import { fetchStackOutputs } from './pipeline/aws-outputs';
import { formatFinding, PlatformError } from './pipeline/errors';
import { renderTree } from './pipeline/synth';
import type { CapacityReport } from './pipeline/validate/capacity';
import { validateRendered } from './pipeline/validate';
import { PLATFORM } from './sites';

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

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1];
  const inline = argv.find((a) => a.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

function validate(argv: readonly string[], capacityOnly: boolean, stackOutputs: StackOutputs): number {
  const { rendered } = renderTree(PLATFORM, { validate: false, keepRendered: true, stackOutputs });
  const report = validateRendered(rendered);
  if (capacityOnly || argv.includes('--capacity')) for (const c of report.capacity) console.log(capacityTable(c));
  if (!capacityOnly) {
    const objects = rendered.reduce((n, s) => n + s.components.reduce((m, c) => m + c.objects.length, 0), 0);
    if (report.exceptions.length > 0) console.log(`exceptions in force:\n${report.exceptions.map((e) => `  ${e}`).join('\n')}`);
    console.log(`validate: ${rendered.length} sites, ${objects} objects, ${report.findings.length} finding(s)`);
  }
  if (report.findings.length > 0) {
    console.error(report.findings.map(formatFinding).join('\n'));
    return 2;
  }
  return 0;
}

function diff(argv: readonly string[], stackOutputs: StackOutputs): number {
  const base = option(argv, '--base') ?? defaultBase(root, option(argv, '--main-branch') ?? process.env.DIFF_MAIN_BRANCH ?? 'main');
  const format = option(argv, '--format') ?? (process.stdout.isTTY ? 'text' : 'markdown');
  const failOn = option(argv, '--fail-on') as Risk | undefined;
  if (failOn !== undefined && failOn !== 'high' && failOn !== 'medium')
    throw new PlatformError([{ message: '--fail-on takes high or medium' }]);
  const before = readTreeAtRef(root, base);
  const { tree } = renderTree(PLATFORM, { validate: false, stackOutputs });
  const changes = semanticDiff(before, tree);
  process.stdout.write(format === 'markdown' ? toMarkdown(changes, base) : toText(changes, base));
  if (failOn && reaches(changes, failOn)) {
    if (argv.includes('--override')) {
      console.error(`diff: ${highestRisk(changes)}-risk changes accepted by override (risk-accepted label)`);
      return 0;
    }
    console.error(
      `diff: ${highestRisk(changes)}-risk changes; review them, then add the risk-accepted label to the merge request to proceed`,
    );
    return 1;
  }
  return 0;
}

async function main(): Promise<number> {
  const [command, ...argv] = process.argv.slice(2);
  try {
    // Sites whose object store is `aws` render with their stacks' outputs, as in synth.
    const stackOutputs =
      command === 'validate' || command === 'capacity' || command === 'diff' ? await fetchStackOutputs(PLATFORM.sites) : new Map();
    if (command === 'validate') return validate(argv, false, stackOutputs);
    if (command === 'capacity') return validate(argv, true, stackOutputs);
    if (command === 'diff') return diff(argv, stackOutputs);
    throw new PlatformError([{ message: `unknown command '${command ?? ''}'; usage: review validate|capacity|diff [options]` }]);
  } catch (err) {
    if (err instanceof PlatformError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

void main().then((code) => (process.exitCode = code));
