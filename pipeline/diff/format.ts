/**
 * The rated diff as Markdown (a merge-request note) or plain text (a terminal). Both lead with
 * what matters: the header (what is compared, by commit), the counts, and one table of every rated
 * change, high then medium then the lows a rule explains (site, component, object, field, why),
 * where the same finding on several objects or sites is one row. Then every change by site, component and object. Values are never
 * cut; a long line diff is folded in Markdown, not shortened. The same changes give the same bytes.
 */
import type { FieldChange } from './fields';
import { type RatedChange, type RatedFileChange, type RatedObjectChange, type Risk } from './risk-types';
import { leadRows, type LeadRow } from './lead';
import { hunkHeader, lineDiff } from './text';

/** First line of every Markdown report: CI finds its own note by it. */
export const REPORT_MARKER = '<!-- platform-rendered-diff -->';

/** What was compared: the base commit and the rendered head. */
export interface DiffHeader {
  readonly baseRef: string;
  readonly baseCommit: string;
  readonly headCommit: string;
  readonly headBranch?: string;
  /** Sources differ from headCommit (a developer's working tree). */
  readonly uncommitted?: boolean;
}

/** A line diff longer than this is folded (Markdown) under its field. */
const FOLD_LINES = 30;
const ICON: Record<Risk, string> = { high: '🔴 high', medium: '🟠 medium', low: '🟢 low' };

const short = (sha: string) => sha.slice(0, 12);

function headerText(h: DiffHeader): { head: string; base: string } {
  const head = `${h.headBranch ? `${h.headBranch} @ ` : ''}${short(h.headCommit)}${h.uncommitted ? ' with uncommitted changes' : ''}`;
  const base =
    h.baseRef === h.baseCommit || h.baseRef.startsWith(short(h.baseCommit)) ? short(h.baseCommit) : `${h.baseRef} @ ${short(h.baseCommit)}`;
  return { head, base };
}

function counts(changes: readonly RatedChange[]): string {
  const n: Record<Risk, number> = { high: 0, medium: 0, low: 0 };
  let files = 0;
  for (const c of changes) {
    n[c.risk]++;
    if (c.scope === 'file') files++;
  }
  return `${n.high} high, ${n.medium} medium, ${n.low} low: ${changes.length - files} object(s) and ${files} other file(s) changed`;
}

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const isMultiLine = (v: unknown) => typeof v === 'string' && v.includes('\n');

/** Inline code that holds any text (a longer backtick fence than the text's own runs). */
function code(text: string): string {
  if (!text.includes('`') && !text.startsWith(' ') && !text.endsWith(' ')) return `\`${text}\``;
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 || text.startsWith(' ') || text.endsWith(' ') ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** A code block fence longer than any backtick run in `lines`. */
function fenceFor(lines: readonly string[]): string {
  return '`'.repeat(Math.max(3, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length + 1)))));
}

const cell = (text: string) => (text.includes('|') ? text.replace(/\|/g, '\\|') : text);

function textLines(f: FieldChange): string[] {
  const side = (v: unknown) => (v === undefined ? undefined : asText(v));
  return lineDiff(side(f.before), side(f.after)).flatMap((h) => [hunkHeader(h), ...h.lines]);
}

/** One field change, as Markdown lines (indented under its object). */
function fieldMarkdown(f: FieldChange): string[] {
  if (isMultiLine(f.before) || isMultiLine(f.after)) {
    const lines = textLines(f);
    const fence = fenceFor(lines);
    const block = [`    ${fence}diff`, ...lines.map((l) => `    ${l}`), `    ${fence}`];
    const added = lines.filter((l) => l.startsWith('+')).length;
    const removed = lines.filter((l) => l.startsWith('-')).length;
    if (lines.length <= FOLD_LINES) return [`  - ${code(f.path)}:`, '', ...block, ''];
    return [
      `  - ${code(f.path)}: +${added} -${removed} lines`,
      '',
      `    <details><summary>line diff</summary>`,
      '',
      ...block,
      '',
      '    </details>',
      '',
    ];
  }
  if (f.before === undefined) return [`  - ${code(f.path)}: added ${code(asText(f.after))}`];
  if (f.after === undefined) return [`  - ${code(f.path)}: removed ${code(asText(f.before))}`];
  return [`  - ${code(f.path)}: ${code(asText(f.before))} → ${code(asText(f.after))}`];
}

function fieldText(f: FieldChange): string[] {
  if (isMultiLine(f.before) || isMultiLine(f.after)) return [`      ${f.path}:`, ...textLines(f).map((l) => `        ${l}`)];
  if (f.before === undefined) return [`      ${f.path}: added ${asText(f.after)}`];
  if (f.after === undefined) return [`      ${f.path}: removed ${asText(f.before)}`];
  return [`      ${f.path}: ${asText(f.before)} -> ${asText(f.after)}`];
}

/** Object changes by site, then component, in order. */
function bySite(changes: readonly RatedChange[]): Map<string, Map<string, RatedObjectChange[]>> {
  const sites = new Map<string, Map<string, RatedObjectChange[]>>();
  for (const c of changes) {
    if (c.scope !== 'object') continue;
    const components = sites.get(c.site) ?? new Map<string, RatedObjectChange[]>();
    sites.set(c.site, components);
    const list = components.get(c.component);
    if (list) list.push(c);
    else components.set(c.component, [c]);
  }
  return sites;
}

const filesOf = (changes: readonly RatedChange[]) => changes.filter((c): c is RatedFileChange => c.scope === 'file');
/** Added or removed objects with nothing to say but their name: listed on one line per component. */
const isBare = (c: RatedObjectChange) => c.type !== 'changed' && c.notes.length === 0;

function fileLines(c: RatedFileChange): string[] {
  return c.hunks.flatMap((h) => [hunkHeader(h), ...h.lines]);
}

function rowWhere(r: LeadRow): { sites: string; components: string; objects: string } {
  return { sites: r.sites.join(', '), components: r.components.join(', '), objects: r.objects };
}

function markdownTable(rows: readonly LeadRow[]): string[] {
  if (rows.length === 0) return ['No change a rule has something to say about.', ''];
  const out = ['| risk | site | component | object | field | why |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const w = rowWhere(r);
    out.push(
      `| ${ICON[r.risk]} | ${cell(w.sites)} | ${cell(w.components)} | ${cell(w.objects)} | ${r.path ? cell(code(r.path)) : ''} | ${cell(r.reason)} |`,
    );
  }
  return [...out, ''];
}

/** Options of the Markdown report. */
export interface MarkdownOptions {
  /** Most characters: the changes by site stop at a component boundary, saying how many are left out (the table is always whole). */
  readonly maxChars?: number;
  /**
   * Most low-risk changes that no rule explains listed with their fields; past it they are
   * counted per component (every high, medium and explained low is always listed).
   * @default LISTED_LOWS
   */
  readonly listedLows?: number;
  /** How a reader gets every change, named where some are left out. */
  readonly fullCommand?: string;
}

/**
 * Low-risk changes listed with their fields by default: a reviewer reads every high and medium
 * change, and a sample of the rest (a label changed on 74,400 objects of 200 sites is the same
 * few field changes again and again); the others are counted where they are.
 */
export const LISTED_LOWS = 300;

/** A low change no rule says anything about, added/removed ones excepted (they are one line per component). */
const isPlainLow = (c: RatedObjectChange) => c.risk === 'low' && c.notes.length === 0 && !isBare(c);

/** How many changes of each kind, most first: `310 ConfigMap, 62 Service`. */
function byKind(changes: readonly RatedObjectChange[]): string {
  const kinds = new Map<string, number>();
  for (const c of changes) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
  return [...kinds]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

/** Per component: on how many sites it changed, and its changes by risk (a report too long to list every change). */
function componentTable(bySiteChanges: Map<string, Map<string, RatedObjectChange[]>>): string[] {
  const rows = new Map<string, { sites: string[]; n: Record<Risk, number> }>();
  for (const [site, components] of bySiteChanges)
    for (const [component, list] of components) {
      const row = rows.get(component) ?? { sites: [], n: { high: 0, medium: 0, low: 0 } };
      rows.set(component, row);
      row.sites.push(site);
      for (const c of list) row.n[c.risk]++;
    }
  const sites = (names: string[]) => (names.length <= 3 ? names.join(', ') : `${names.length} sites`);
  const out = ['| component | sites | high | medium | low |', '| --- | --- | --- | --- | --- |'];
  for (const [component, r] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1)))
    out.push(`| ${cell(component)} | ${cell(sites(r.sites))} | ${r.n.high} | ${r.n.medium} | ${r.n.low} |`);
  return [...out, ''];
}

export function toMarkdown(changes: readonly RatedChange[], header: DiffHeader, options: MarkdownOptions = {}): string {
  const h = headerText(header);
  const lead = [REPORT_MARKER, `### Rendered diff of \`${h.head}\` against \`${h.base}\``, '', `**${counts(changes)}**`, ''];
  if (changes.length === 0) return [...lead, 'No change to the rendered tree.', ''].join('\n');
  lead.push(...markdownTable(leadRows(changes)));
  const sites = bySite(changes);
  let lows = options.listedLows ?? LISTED_LOWS;
  let unlisted = 0;
  const sections: string[][] = [];
  for (const [site, components] of sites) {
    // Components of which nothing is listed: one line for the site.
    const quiet: string[] = [];
    let quietChanges = 0;
    for (const [component, list] of components) {
      const out = [`#### \`${site}\` / ${component}`, ''];
      const left: RatedObjectChange[] = [];
      for (const c of list) {
        if (isBare(c)) continue;
        if (isPlainLow(c) && lows-- <= 0) {
          left.push(c);
          continue;
        }
        out.push(`- **${c.type}** ${code(c.id)}: ${ICON[c.risk]}`);
        for (const n of c.notes) out.push(`  - ${ICON[n.risk]}: ${n.path ? `${code(n.path)} ` : ''}${n.reason}`);
        for (const f of c.fields) out.push(...fieldMarkdown(f));
      }
      unlisted += left.length;
      const bare = (['removed', 'added'] as const).map((type) => list.filter((x) => isBare(x) && x.type === type));
      if (out.length === 2 && bare.every((b) => b.length === 0)) {
        quiet.push(`${component} ${left.length} (${byKind(left)})`);
        quietChanges += left.length;
        continue;
      }
      if (left.length > 0) out.push(`- … ${left.length} more low change(s), not listed: ${byKind(left)}`);
      bare.forEach((b, i) => {
        if (b.length > 0) out.push(`- **${i === 0 ? 'removed' : 'added'}** (${b.length}): ${b.map((x) => code(x.id)).join(', ')}`);
      });
      sections.push([...out, '']);
    }
    if (quiet.length > 0) sections.push([`#### \`${site}\`: ${quietChanges} low change(s), not listed`, '', quiet.join('; '), '']);
  }
  if (unlisted > 0) lead.push(...componentTable(sites));
  for (const c of filesOf(changes)) {
    const lines = fileLines(c);
    const fence = fenceFor(lines);
    const out = [`#### File \`${c.path}\`: ${c.type}, ${ICON[c.risk]} (+${c.added} -${c.removed})`, ''];
    for (const n of c.notes) out.push(`- ${ICON[n.risk]}: ${n.reason}`);
    if (c.notes.length > 0) out.push('');
    sections.push([...out, `${fence}diff`, ...lines, fence, '']);
  }
  const body = ['### Every change', ''];
  if (unlisted > 0) {
    const listed = options.listedLows ?? LISTED_LOWS;
    body.push(
      `Every high and medium change is listed, and every change a rule explains; of the ${listed + unlisted} other low changes the first ${listed} are, and the ${unlisted} others are counted where they are. Every change: ${options.fullCommand ?? '`npm run diff -- --full`'}.`,
      '',
    );
  }
  // Sizes are counted, not joined: lines and the newlines between them.
  const sizeOf = (lines: readonly string[]) => lines.reduce((n, l) => n + l.length + 1, 0);
  let size = sizeOf(lead) + sizeOf(body) - 1;
  let shown = 0;
  for (const s of sections) {
    const length = options.maxChars === undefined ? 0 : sizeOf(s) - 1;
    if (options.maxChars !== undefined && size + length > options.maxChars) break;
    for (const line of s) body.push(line);
    size += length + 1;
    shown++;
  }
  if (shown < sections.length)
    body.push(
      `… ${sections.length - shown} more component(s) and file(s) not shown here (size limit): every change is in ${options.fullCommand ?? '`npm run diff -- --full`'} (in CI, the job's diff-full.md artifact).`,
      '',
    );
  return lead.concat(body).join('\n');
}

export function toText(changes: readonly RatedChange[], header: DiffHeader): string {
  const h = headerText(header);
  const out = [`rendered diff of ${h.head} against ${h.base}`, counts(changes)];
  const rows = leadRows(changes);
  if (rows.length > 0) out.push('', 'what matters:');
  for (const r of rows) {
    const w = rowWhere(r);
    out.push(`  ${r.risk.padEnd(7)}${w.sites} ${w.components} ${w.objects}${r.path ? ` ${r.path}` : ''}`, `         ${r.reason}`);
  }
  for (const [site, components] of bySite(changes)) {
    out.push('', `site ${site}`);
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
    out.push('', `file ${c.path}`, `    ${c.type.padEnd(8)} +${c.added} -${c.removed}  [${c.risk}]`);
    for (const n of c.notes) out.push(`      ! ${n.risk}: ${n.reason}`);
    for (const line of fileLines(c)) out.push(`      ${line}`);
  }
  return `${out.join('\n')}\n`;
}
