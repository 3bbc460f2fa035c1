/**
 * What the site files must agree on for the bus link (link.ts): exactly one site is the hub the
 * others dial. Run with the other checks of the sites before anything is rendered
 * (pipeline/validate-sites.ts).
 */
import type { Finding } from '../../model/errors';
import type { Site } from '../../sites';

export function busSiteFindings(sites: readonly Site[]): Finding[] {
  const hubs = sites.filter((s) => s.bus.role === 'hub').map((s) => s.name);
  if (sites.length === 0 || hubs.length === 1) return [];
  return [
    {
      site: hubs[1] ?? sites[0]!.name,
      field: 'bus.role',
      message: `exactly one site must be the bus hub (the others dial it as leaf nodes), found ${hubs.length}${hubs.length ? ` (${hubs.join(', ')})` : ''}`,
    },
  ];
}
