/**
 * gitops/REPORT.md: what each failure does to every component of every site, from the failure
 * view (failures.ts), rendered on every synth with the rest of gitops/ so that a merge request
 * shows how a change moves it; and the one-screen summary `npm run report` prints.
 */
import type { EdgeProxy } from '../../sites';
import { mermaidBlock, platformDiagram } from './diagram';
import { failureOutcomes, isDefaultOutcome, type ComponentOutcome, type FailureOutcome, type SiteFailureFacts } from './failures';

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
  const missing = all.filter((s) => !sites.includes(s));
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
function section(o: FailureOutcome, all: readonly string[], like?: FailureOutcome): string[] {
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
  const others = o.components.filter(isDefaultOutcome).length;
  if (others > 0) lines.push('', `The ${others} other component(s) of the sites: up, they state nothing that needs what was lost.`);
  if (o.failure.kind === 'node') lines.push('', 'Components of the other sites: up (a node of another site).');
  lines.push('');
  return lines;
}

/** The failures that stop writes, public traffic or a component of a site still up, worst first. */
function worstCases(outcomes: readonly FailureOutcome[]): string[] {
  const weight = (o: FailureOutcome) => {
    const lost = o.failure.kind === 'site' ? o.failure.site : undefined;
    const hit = o.components.filter(
      (c) => c.site !== lost && (c.impact.state === 'down' || c.impact.state === 'read-only' || c.impact.state === 'unknown'),
    );
    return { o, hit, score: hit.length + (o.database.writes.length === 0 ? 10 : 0) + (o.publicTraffic.length === 0 ? 10 : 0) };
  };
  const worst = outcomes
    .map(weight)
    .filter((w) => w.score > 0)
    .sort((a, b) => b.score - a.score);
  if (worst.length === 0) return ['No failure stops writes, public traffic or a component of a site that is still up.'];
  return worst.map(({ o, hit }) => {
    const what = [
      ...(o.database.writes.length === 0 ? ['database writes stop'] : []),
      ...(o.publicTraffic.length === 0 ? ['public traffic stops'] : []),
      ...hit.map((c) => `${c.site}/${c.component} ${c.impact.state}`),
    ];
    return `- **Loss of ${o.title}**: ${what.join(', ')}.`;
  });
}

/** The text of gitops/REPORT.md. */
export function renderReport(sites: readonly SiteFailureFacts[], edge: EdgeProxy): string {
  const outcomes = failureOutcomes(sites, edge);
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
  for (const o of outcomes) {
    const s = byState(o);
    const down = [...(s.get('down') ?? []), ...(s.get('unknown') ?? []).map((x) => `${x} (unknown)`)];
    lines.push(
      `| ${o.title} | ${compact(o, down)} | ${list(s.get('read-only') ?? [])} | ${list(s.get('degraded') ?? [])} | ${list(o.publicTraffic)} | ${list(o.database.writes)} |`,
    );
  }
  lines.push('', '## Worst cases', '', ...worstCases(outcomes), '', '## Each failure', '');
  const all = sites.map((s) => s.site.name);
  const firstNodeOf = new Map<string, FailureOutcome>();
  for (const o of outcomes) {
    const site = o.failure.kind === 'node' ? o.failure.site : undefined;
    const like = site === undefined ? undefined : firstNodeOf.get(site);
    if (site !== undefined && !like) firstNodeOf.set(site, o);
    lines.push(...section(o, all, like));
  }
  return `${lines.join('\n').trimEnd()}\n`;
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
