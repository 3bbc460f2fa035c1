/** How `npm run bench` words its figures: one row per figure, each target met or MISSED. */

/** A goal a figure must meet, e.g. S/F <= 3. */
export interface Target {
  /** What is compared, e.g. `S/F`, `ms/object`. */
  readonly label: string;
  readonly value: number;
  readonly op: '<=' | '>=';
  readonly limit: number;
  /** Decimals printed for the value. */
  readonly digits: number;
}

export interface Row {
  readonly what: string;
  /** The measured figure, e.g. `527 ms` (empty for a derived row). */
  readonly figure: string;
  /** Free text before the targets, e.g. `peak RSS 157 MB`. */
  readonly note?: string;
  readonly targets?: readonly Target[];
}

export const met = (t: Target): boolean => (t.op === '<=' ? t.value <= t.limit : t.value >= t.limit);

function describeTarget(t: Target): string {
  return `${t.label} = ${t.value.toFixed(t.digits)} (target ${t.op} ${t.limit}${met(t) ? '' : ', MISSED'})`;
}

/** One printed line: what, the figure, the note and each target, flagged when missed. */
export function formatRow(row: Row): string {
  const notes = [row.note, ...(row.targets ?? []).map(describeTarget)].filter((n): n is string => n !== undefined && n !== '');
  return `${row.what.padEnd(52)} ${row.figure.padStart(9)}  ${notes.join(', ')}`.trimEnd();
}

/** The closing line: how many targets were met, and which were not. */
export function summary(rows: readonly Row[]): string {
  const targets = rows.flatMap((r) => (r.targets ?? []).map((t) => ({ row: r.what, target: t })));
  const missed = targets.filter(({ target }) => !met(target));
  if (missed.length === 0) return `bench: all ${targets.length} targets met`;
  const list = missed.map(({ row, target }) => `${row.trim()}: ${describeTarget(target)}`).join('; ');
  return `bench: ${missed.length} of ${targets.length} targets MISSED: ${list}`;
}
