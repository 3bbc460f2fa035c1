/** The semantic diff as Markdown (a merge-request comment) or plain text (a terminal). */
import type { RatedChange, Risk } from './risk';

const MAX_VALUE = 120;

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

const ICON: Record<Risk, string> = { high: '🔴 high', medium: '🟠 medium', low: '🟢 low' };

function grouped(changes: readonly RatedChange[]): Map<string, Map<string, RatedChange[]>> {
  const sites = new Map<string, Map<string, RatedChange[]>>();
  for (const c of changes) {
    const components = sites.get(c.site) ?? new Map<string, RatedChange[]>();
    sites.set(c.site, components);
    components.set(c.component, [...(components.get(c.component) ?? []), c]);
  }
  return sites;
}

function summary(changes: readonly RatedChange[]): string {
  const count = (r: Risk) => changes.filter((c) => c.risk === r).length;
  return `${changes.length} object(s) changed: ${count('high')} high, ${count('medium')} medium, ${count('low')} low risk`;
}

export function toMarkdown(changes: readonly RatedChange[], base: string): string {
  const out = [`### Rendered diff against \`${base}\``, '', summary(changes), ''];
  if (changes.length === 0) return [...out, 'No change to the rendered objects.', ''].join('\n');
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
        for (const f of c.fields) out.push(`  - \`${f.path}\`: \`${show(f.before)}\` → \`${show(f.after)}\``);
      }
      out.push('', '</details>', '');
    }
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
        for (const f of c.fields) out.push(`      ${f.path}: ${show(f.before)} -> ${show(f.after)}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
