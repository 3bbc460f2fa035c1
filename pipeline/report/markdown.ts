/**
 * gitops/REPORT.md: what each failure does to every component of every site, from the failure
 * view (failures.ts), rendered on every synth with the rest of gitops/ so that a merge request
 * shows how a change moves it; and the one-screen summary `npm run report` prints.
 */
import type { EdgeProxy } from '../../sites';
import { mermaidBlock, platformDiagram } from './diagram';
import {
  failureIndex,
  failureOutcomes,
  failuresOf,
  isDefaultOutcome,
  outcomeOf,
  type ComponentOutcome,
  type FailureOutcome,
  type SiteFailureFacts,
} from './failures';

const ORDER = ['down', 'unknown', 'read-only', 'degraded'] as const;

/** Components not `up` in an outcome, by state, as `site/component`. */
function byState(o: FailureOutcome): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const c of o.components) {
    if (c.impact.state === 'up') continue;
    map.set(c.impact.state, [...(map.get(c.impact.state) ?? []), `${c.site}/${c.component}`]);
  }
  return map;
}

const list = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : 'none');

/** One cell: a site lost shows its own components as `site/*` rather than one by one. */
function compact(o: FailureOutcome, items: readonly string[]): string {
  if (o.failure.kind !== 'site') return list(items);
  const lost = o.failure.site;
  const rest = items.filter((i) => !i.startsWith(`${lost}/`));
  return list([...(items.length > rest.length ? [`${lost}/* (site lost)`] : []), ...rest]);
}

const escape = (text: string) => text.replace(/\|/g, '\\|');

/** Sites named one by one, or `every site (but ...)` when that is shorter: lists stay short however many sites there are. */
function sitesPhrase(sites: readonly string[], all: readonly string[]): string {
  // The lists are of distinct sites: as long as every site, they are every site.
  if (all.length > 2 && sites.length === all.length) return 'every site';
  if (all.length > 4 && sites.length < all.length - 2) return sites.join(', ');
  const named = new Set(sites);
  const missing = all.filter((s) => !named.has(s));
  if (all.length > 2 && missing.length === 0) return 'every site';
  if (all.length > 4 && missing.length <= 2) return `every site but ${missing.join(', ')}`;
  return sites.join(', ');
}

/** One row per component, state and reason: the sites where it is the same are listed together. */
function componentRows(outcomes: readonly ComponentOutcome[]): string[] {
  const rows = new Map<string, { sites: string[]; c: ComponentOutcome }>();
  for (const c of outcomes) {
    const key = [c.component, c.impact.state, c.impact.reason, c.impact.loses ?? ''].join('\0');
    const row = rows.get(key) ?? { sites: [], c };
    row.sites.push(c.site);
    rows.set(key, row);
  }
  return [...rows.values()].map(({ sites, c }) => {
    const loses = c.impact.loses ? ` **Lost:** ${c.impact.loses}.` : '';
    return `| ${sites.join(', ')} | ${c.component} | ${c.impact.state} | ${escape(c.impact.reason)}${escape(loses)} |`;
  });
}

/**
 * One failure's section. `like` is the first node lost on the same site: the components whose state
 * and reason are the same as there are named in one line, so the report grows with the nodes, not
 * with the nodes times the components.
 */
function section(o: FailureOutcome, all: readonly string[], others: number, like?: FailureOutcome): string[] {
  const lines = [`### Loss of ${o.title}`, ''];
  const on = (sites: readonly string[]) => sitesPhrase(sites, all);
  lines.push(`- Public traffic: ${o.publicTraffic.length > 0 ? `to ${on(o.publicTraffic)}` : 'stops (nothing takes it)'}.`);
  lines.push(
    `- Database: writes ${o.database.writes.length > 0 ? `on ${on(o.database.writes)}` : 'stop'}; reads ${o.database.reads.length > 0 ? `on ${on(o.database.reads)}` : 'stop'}.`,
  );
  if (o.capacityLeft) lines.push(`- Capacity left (the capacity check's placement after the loss): ${o.capacityLeft}.`);
  const lost = o.components.filter((c) => c.impact.loses);
  lines.push(
    `- Lost for good: ${lost.length > 0 ? lost.map((c) => `${c.site}/${c.component}: ${c.impact.loses}`).join('; ') : 'nothing'}.`,
  );

  const key = (c: ComponentOutcome) => [c.site, c.component, c.impact.state, c.impact.reason, c.impact.loses ?? ''].join('\0');
  const same = new Set(like ? like.components.map(key) : []);
  const shown = o.components.filter((c) => !isDefaultOutcome(c) && !same.has(key(c)));
  if (shown.length > 0) lines.push('', '| site | component | state | why |', '| --- | --- | --- | --- |', ...componentRows(shown));
  if (like && same.size > 0) {
    const alike = o.components.filter((c) => same.has(key(c))).map((c) => c.component);
    if (alike.length > 0) lines.push('', `As on the loss of ${like.title}: ${alike.join(', ')}.`);
  }
  const defaults = o.components.filter(isDefaultOutcome).length;
  if (defaults > 0) lines.push('', `The ${defaults} other component(s) of the sites: up, they state nothing that needs what was lost.`);
  if (o.failure.kind === 'node') lines.push('', 'Components of the other sites: up (a node of another site).');
  else if (others > 0) lines.push('', `Components of the ${others} other site(s): up, none of them states a need on what was lost.`);
  lines.push('');
  return lines;
}

/** A failure that stops writes, public traffic or a component of a site still up: its weight and line; undefined for none. */
function worstCase(o: FailureOutcome): { score: number; line: string } | undefined {
  const lost = o.failure.kind === 'site' ? o.failure.site : undefined;
  const hit = o.components.filter(
    (c) => c.site !== lost && (c.impact.state === 'down' || c.impact.state === 'read-only' || c.impact.state === 'unknown'),
  );
  const score = hit.length + (o.database.writes.length === 0 ? 10 : 0) + (o.publicTraffic.length === 0 ? 10 : 0);
  if (score === 0) return undefined;
  const what = [
    ...(o.database.writes.length === 0 ? ['database writes stop'] : []),
    ...(o.publicTraffic.length === 0 ? ['public traffic stops'] : []),
    ...hit.map((c) => `${c.site}/${c.component} ${c.impact.state}`),
  ];
  return { score, line: `- **Loss of ${o.title}**: ${what.join(', ')}.` };
}

/** The text of gitops/REPORT.md. */
export function renderReport(sites: readonly SiteFailureFacts[], edge: EdgeProxy): string {
  const lines = [
    '# Failure report',
    '',
    'Rendered by `npm run synth` from the model (the sites, the edge and what each component states about how it fails,',
    'charts/lib/resilience.ts): do not edit by hand. `npm run report` prints the summary; `npm run rehearse` runs the data',
    'paths as real processes, injects these failures and compares what happens with this report.',
    '',
    'States: **up** serves as before; **degraded** serves with less redundancy or after a short interruption;',
    '**read-only** answers reads, refuses writes; **down** does not serve; **unknown** states nothing (a validation error).',
    '',
    '## The platform',
    '',
    mermaidBlock(platformDiagram(sites, edge)),
    '',
    '## Summary',
    '',
    '| loss of | down | read-only | degraded | public traffic | database writes |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  // One failure at a time, each computed once: what is kept is the report's lines, not the outcomes.
  const all = sites.map((s) => s.site.name);
  const index = failureIndex(sites, edge);
  const worst: { score: number; line: string }[] = [];
  const sections: string[] = [];
  let firstNode: { site: string; outcome: FailureOutcome } | undefined;
  for (const f of failuresOf(sites)) {
    const o = outcomeOf(f, sites, edge, index);
    const s = byState(o);
    const down = [...(s.get('down') ?? []), ...(s.get('unknown') ?? []).map((x) => `${x} (unknown)`)];
    const traffic = o.publicTraffic.length > 0 ? sitesPhrase(o.publicTraffic, all) : 'none';
    lines.push(
      `| ${o.title} | ${compact(o, down)} | ${list(s.get('read-only') ?? [])} | ${list(s.get('degraded') ?? [])} | ${traffic} | ${list(o.database.writes)} |`,
    );
    const w = worstCase(o);
    if (w) worst.push(w);
    // The node losses of a site come one after the other: the first is what the next are compared with.
    let like: FailureOutcome | undefined;
    if (f.kind === 'node') {
      if (firstNode?.site === f.site) like = firstNode.outcome;
      else firstNode = { site: f.site, outcome: o };
    }
    const others = all.length - new Set(o.components.map((c) => c.site)).size;
    sections.push(...section(o, all, f.kind === 'site' ? others : 0, like));
  }
  const worstLines =
    worst.length === 0
      ? ['No failure stops writes, public traffic or a component of a site that is still up.']
      : worst.sort((a, b) => b.score - a.score).map((w) => w.line);
  lines.push('', '## Worst cases', '', ...worstLines, '', '## Each failure', '');
  return `${lines.concat(sections).join('\n').trimEnd()}\n`;
}

/** `text` broken at spaces into lines of at most `width`, later lines indented by `indent`. */
function wrap(text: string, indent: string, width = 80): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** `site: a, b; other: c` from `site/component` items. */
function bySite(items: readonly string[]): string {
  const sites = new Map<string, string[]>();
  for (const item of items) {
    const [site, component] = item.split('/') as [string, string];
    sites.set(site, [...(sites.get(site) ?? []), component]);
  }
  return [...sites].map(([site, components]) => `${site} ${components.join(', ')}`).join('; ');
}

/** The one-screen summary: per failure what is not up, where public traffic and database writes go. */
export function reportSummary(sites: readonly SiteFailureFacts[], edge: EdgeProxy): string {
  const outcomes = failureOutcomes(sites, edge);
  const lines = ['failure report: what is not up on each loss (reasons: npm run report -- --full)'];
  for (const o of outcomes) {
    const s = byState(o);
    const lostSite = o.failure.kind === 'site' ? o.failure.site : undefined;
    const parts = ORDER.filter((state) => s.has(state)).map((state) => {
      const items = s.get(state)!.filter((i) => lostSite === undefined || !i.startsWith(`${lostSite}/`));
      const whole = lostSite !== undefined && items.length < s.get(state)!.length ? [`all of ${lostSite} (site lost)`] : [];
      return `${state}: ${[...whole, ...(items.length > 0 ? [bySite(items)] : [])].join('; ')}`;
    });
    const traffic = [
      o.publicTraffic.length > 0 ? `public traffic to ${o.publicTraffic.join(', ')}` : 'no public traffic',
      o.database.writes.length > 0 ? `database writes on ${o.database.writes.join(', ')}` : 'no database writes',
    ].join(', ');
    lines.push(...wrap(`${o.title}: ${[...parts, traffic].join('. ')}.`, '    '));
  }
  return lines.join('\n');
}
