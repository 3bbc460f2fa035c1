/**
 * What a change does to the failure report (gitops/REPORT.md): each row of its summary table
 * (one per failure) that changes is named, medium when a failure now stops or freezes more
 * components, or leaves less public traffic or fewer database writes, than before.
 */
import type { RiskNote } from './risk-types';
import type { FileChange } from './text';

export const FAILURE_REPORT = 'REPORT.md';

/** Cells of the summary table: loss of | down | read-only | degraded | public traffic | database writes. */
type Row = readonly [string, string, string, string, string, string];

function summaryRows(change: FileChange, sign: '+' | '-'): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of change.hunks.flatMap((h) => h.lines)) {
    if (!line.startsWith(`${sign}| `)) continue;
    const cells = line
      .slice(1)
      .split(' | ')
      .map((c) => c.replace(/^\| ?| ?\|$/g, '').trim());
    // Summary rows have six cells and begin with a failure's title (the per-failure tables have four).
    if (cells.length === 6 && /^(node|site|the) /.test(cells[0]!)) rows.set(cells[0]!, cells as unknown as Row);
  }
  return rows;
}

const count = (cell: string | undefined) => (cell === undefined || cell === 'none' ? 0 : cell.split(', ').length);

/** The notes for a change of REPORT.md: one per failure whose summary row changed. */
export function rateFailureReport(change: FileChange): RiskNote[] {
  const before = summaryRows(change, '-');
  const after = summaryRows(change, '+');
  const notes: RiskNote[] = [];
  for (const title of [...new Set([...before.keys(), ...after.keys()])]) {
    const b = before.get(title);
    const a = after.get(title);
    if (!a || !b) continue;
    const worse = count(a[1]) > count(b[1]) || count(a[2]) > count(b[2]) || count(a[4]) < count(b[4]) || count(a[5]) < count(b[5]);
    const moved = (['down', 'read-only', 'degraded', 'public traffic', 'database writes'] as const)
      .map((name, i) => (a[i + 1] !== b[i + 1] ? `${name} ${b[i + 1]} → ${a[i + 1]}` : undefined))
      .filter((x): x is string => x !== undefined);
    notes.push({
      risk: worse ? 'medium' : 'low',
      reason: `failure report, loss of ${title}: ${moved.join('; ')}`,
    });
  }
  return notes;
}
