/**
 * The rows of the lead table: every note a rule wrote (every high and medium one, and the low ones
 * that say why a change that looks risky is not: a hook re-created by Argo CD, a reloaded
 * PostgreSQL parameter), where one finding (same risk, field and reason) on several sites or
 * objects is one row. A selector label changed on every workload is
 * then one row naming how many objects of which kinds, not one row per object.
 */
import { RISK_ORDER, type RatedChange, type Risk } from './risk-types';
import { FAILURE_REPORT } from './risk-report';

export interface LeadRow {
  readonly risk: Risk;
  readonly sites: readonly string[];
  readonly components: readonly string[];
  /** The object (or file), or how many of which kinds when there are more than three. */
  readonly objects: string;
  readonly path?: string;
  readonly reason: string;
}

/** Objects listed by name in a row; above this, counted by kind. */
const LISTED = 3;

function objectsCell(ids: readonly string[]): string {
  if (ids.length <= LISTED) return ids.join(', ');
  const kinds = new Map<string, number>();
  for (const id of ids) kinds.set(id.split('/')[0]!, (kinds.get(id.split('/')[0]!) ?? 0) + 1);
  const byKind = [...kinds].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([k, n]) => `${n} ${k}`);
  return `${ids.length} objects (${byKind.join(', ')}; each listed below)`;
}

export function leadRows(changes: readonly RatedChange[]): LeadRow[] {
  const groups = new Map<
    string,
    { risk: Risk; path?: string; reason: string; sites: Set<string>; components: Set<string>; ids: Set<string>; first: number }
  >();
  changes.forEach((c, i) => {
    for (const n of c.notes) {
      const key = `${n.risk}\0${n.path ?? ''}\0${n.reason}`;
      const g = groups.get(key) ?? {
        risk: n.risk,
        path: n.path,
        reason: n.reason,
        sites: new Set(),
        components: new Set(),
        ids: new Set(),
        first: i,
      };
      groups.set(key, g);
      if (c.scope === 'object') {
        g.sites.add(c.site);
        g.components.add(c.component);
        g.ids.add(c.type === 'changed' ? c.id : `${c.id} (${c.type})`);
      } else {
        g.sites.add('all');
        g.components.add(c.path === FAILURE_REPORT ? 'failure report' : 'edge');
        g.ids.add(`${c.path} (${c.type})`);
      }
    }
  });
  return [...groups.values()]
    .sort((a, b) => RISK_ORDER[b.risk] - RISK_ORDER[a.risk] || a.first - b.first)
    .map((g) => ({
      risk: g.risk,
      sites: [...g.sites],
      components: [...g.components],
      objects: objectsCell([...g.ids]),
      path: g.path,
      reason: g.reason,
    }));
}
