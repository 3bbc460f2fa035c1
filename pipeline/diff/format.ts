/** The semantic diff as Markdown (a merge-request comment) or plain text (a terminal). */
import type { RatedChange, RatedFileChange, RatedObjectChange, Risk } from './risk';
import { hunkHeader, lineDiff } from './text';

const MAX_VALUE = 120;
/** Diff lines shown per file; the rest is counted (a merge-request comment has a size limit). */
const MAX_LINES = 300;

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  // One line: inline code and the terminal row cannot hold a line break.
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s*\n\s*/g, ' ⏎ ');
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

type FieldChange = RatedObjectChange['fields'][number];

/** Multi-line text (a configuration file inside a ConfigMap): shown as a line diff, not truncated. */
function textDiff(f: FieldChange): string[] | undefined {
  const multiLine = (v: unknown) => typeof v === 'string' && v.includes('\n');
  if (!multiLine(f.before) && !multiLine(f.after)) return undefined;
  const asText = (v: unknown) => (v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
  const lines = lineDiff(asText(f.before), asText(f.after)).flatMap((h) => [hunkHeader(h), ...h.lines]);
  return lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… ${lines.length - MAX_LINES} more line(s)`] : lines;
}

/** A fence longer than any run of backticks in `lines`, so their content cannot close it. */
function fenceFor(lines: readonly string[]): string {
  return '`'.repeat(Math.max(3, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length + 1)))));
}

function fieldMarkdown(f: FieldChange): string[] {
  const text = textDiff(f);
  if (!text) return [`  - \`${f.path}\`: \`${show(f.before)}\` → \`${show(f.after)}\``];
  const fence = fenceFor(text);
  return [`  - \`${f.path}\`:`, '', `    ${fence}diff`, ...text.map((l) => `    ${l}`), `    ${fence}`, ''];
}

function fieldText(f: FieldChange): string[] {
  const text = textDiff(f);
  if (!text) return [`      ${f.path}: ${show(f.before)} -> ${show(f.after)}`];
  return [`      ${f.path}:`, ...text.map((l) => `        ${l}`)];
}

const ICON: Record<Risk, string> = { high: '🔴 high', medium: '🟠 medium', low: '🟢 low' };

function grouped(changes: readonly RatedChange[]): Map<string, Map<string, RatedObjectChange[]>> {
  const sites = new Map<string, Map<string, RatedObjectChange[]>>();
  for (const c of changes) {
    if (c.scope !== 'object') continue;
    const components = sites.get(c.site) ?? new Map<string, RatedObjectChange[]>();
    sites.set(c.site, components);
    components.set(c.component, [...(components.get(c.component) ?? []), c]);
  }
  return sites;
}

function filesOf(changes: readonly RatedChange[]): RatedFileChange[] {
  return changes.filter((c): c is RatedFileChange => c.scope === 'file');
}

function summary(changes: readonly RatedChange[]): string {
  const count = (r: Risk) => changes.filter((c) => c.risk === r).length;
  const files = filesOf(changes).length;
  return `${changes.length - files} object(s) and ${files} other file(s) changed: ${count('high')} high, ${count('medium')} medium, ${count('low')} low risk`;
}

/** Unified-diff lines of a file change, at most MAX_LINES, then how many were left out. */
function diffLines(c: RatedFileChange): string[] {
  const out: string[] = [];
  let total = 0;
  for (const h of c.hunks) {
    for (const line of [hunkHeader(h), ...h.lines]) {
      if (total++ < MAX_LINES) out.push(line);
    }
  }
  if (total > MAX_LINES) out.push(`… ${total - MAX_LINES} more line(s)`);
  return out;
}

const counts = (c: RatedFileChange) => `+${c.added} -${c.removed}`;

export function toMarkdown(changes: readonly RatedChange[], base: string): string {
  const out = [`### Rendered diff against \`${base}\``, '', summary(changes), ''];
  if (changes.length === 0) return [...out, 'No change to the rendered tree.', ''].join('\n');
  for (const [site, components] of grouped(changes)) {
    out.push(`#### Site \`${site}\``, '');
    for (const [component, list] of components) {
      out.push(
        `<details${list.some((c) => c.risk !== 'low') ? ' open' : ''}><summary><b>${component}</b>: ${list.length} object(s)</summary>`,
        '',
      );
      for (const c of list) {
        out.push(`- **${c.type}** \`${c.id}\`: ${ICON[c.risk]}`);
        for (const n of c.notes) out.push(`  - ${ICON[n.risk]}: ${n.path ? `\`${n.path}\` ` : ''}${n.reason}`);
        for (const f of c.fields) out.push(...fieldMarkdown(f));
      }
      out.push('', '</details>', '');
    }
  }
  const files = filesOf(changes);
  if (files.length > 0) out.push('#### Other files', '');
  for (const c of files) {
    const lines = diffLines(c);
    const fence = fenceFor(lines);
    out.push(
      `<details${c.risk !== 'low' ? ' open' : ''}><summary><b>${c.path}</b>: ${c.type}, ${ICON[c.risk]} (${counts(c)})</summary>`,
      '',
    );
    for (const n of c.notes) out.push(`- ${ICON[n.risk]}: ${n.reason}`);
    if (c.notes.length > 0) out.push('');
    out.push(`${fence}diff`, ...lines, fence, '', '</details>', '');
  }
  return out.join('\n');
}

export function toText(changes: readonly RatedChange[], base: string): string {
  const out = [`rendered diff against ${base}: ${summary(changes)}`];
  for (const [site, components] of grouped(changes)) {
    out.push(`site ${site}`);
    for (const [component, list] of components) {
      out.push(`  ${component}`);
      for (const c of list) {
        out.push(`    ${c.type.padEnd(8)} ${c.id}  [${c.risk}]`);
        for (const n of c.notes) out.push(`      ! ${n.risk}: ${n.path ? `${n.path}: ` : ''}${n.reason}`);
        for (const f of c.fields) out.push(...fieldText(f));
      }
    }
  }
  for (const c of filesOf(changes)) {
    out.push(`file ${c.path}`, `    ${c.type.padEnd(8)} ${counts(c)}  [${c.risk}]`);
    for (const n of c.notes) out.push(`      ! ${n.risk}: ${n.reason}`);
    for (const line of diffLines(c)) out.push(`      ${line}`);
  }
  return `${out.join('\n')}\n`;
}
