/**
 * What the site files must agree on for the database to have a primary: exactly one site is it,
 * and that site runs PostgreSQL. Run with the other checks of the sites before anything is
 * rendered (pipeline/validate-sites.ts).
 */
import { COMPONENT } from '../../model/components';
import type { Finding } from '../../model/errors';
import type { Site } from '../../sites';

export function databaseSiteFindings(sites: readonly Site[]): Finding[] {
  const findings: Finding[] = [];
  for (const site of sites) {
    if (site.database.role === 'primary' && site.components?.optOut?.[COMPONENT.postgres] !== undefined) {
      findings.push({
        site: site.name,
        field: `components.optOut.${COMPONENT.postgres}`,
        message: 'the database primary site cannot leave PostgreSQL out: make another site the primary first (database.role)',
      });
    }
  }
  const primaries = sites.filter((s) => s.database.role === 'primary').map((s) => s.name);
  if (sites.length > 0 && primaries.length !== 1) {
    findings.push({
      site: primaries[1] ?? sites[0]!.name,
      field: 'database.role',
      message: `exactly one site must be the database primary, found ${primaries.length}${primaries.length ? ` (${primaries.join(', ')})` : ''}`,
    });
  }
  return findings;
}
