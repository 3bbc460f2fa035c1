/**
 * Checks the whole set of sites before anything is rendered, in three steps: the shape of every
 * site file (pipeline/site-shape.ts: the schema generated from sites/types.ts, unknown fields
 * refused), then the values of each (validate-site-values.ts), then the facts that span sites:
 * here, and next to the chart they serve (charts/postgres/site-checks.ts, charts/bus/site-checks.ts).
 * Each finding names the site, the field and what is expected.
 */
import { busSiteFindings } from '../charts/bus/site-checks';
import { watcherSiteFindings } from '../charts/lib/watchers';
import { databaseSiteFindings } from '../charts/postgres/site-checks';
import type { EdgeProxy, Site } from '../sites';
import { rangesOverlap, type AddressRange } from '../model/addresses';
import { PlatformError, type Finding } from '../model/errors';
import { edgeShapeFindings, siteShapeFindings } from './site-shape';
import { checkSiteValues } from './validate-site-values';
import { certificateFindings } from './validate-ingress';

/**
 * The pairs of sites whose pools overlap, [earlier, later] in the order given, each pair once:
 * a sweep over the ranges sorted by first address, so that sites that overlap nothing cost a sort,
 * not a comparison with every other site.
 */
function overlappingPools(entries: readonly (readonly [string, readonly AddressRange[]])[]): [string, string][] {
  const ranges = entries
    .flatMap(([, list], site) => list.map((range) => ({ site, range })))
    .sort((x, y) => x.range.family - y.range.family || (x.range.first < y.range.first ? -1 : x.range.first > y.range.first ? 1 : 0));
  const pairs = new Set<number>();
  const open: { site: number; range: AddressRange }[] = [];
  for (const current of ranges) {
    // Ranges ending before this one starts overlap nothing from here on.
    for (let i = open.length - 1; i >= 0; i--) if (!rangesOverlap(open[i]!.range, current.range)) open.splice(i, 1);
    for (const other of open) {
      // Entries come from a map by site name: one index is one site.
      if (other.site === current.site) continue;
      const [i, j] = other.site < current.site ? [other.site, current.site] : [current.site, other.site];
      pairs.add(i * entries.length + j);
    }
    open.push(current);
  }
  return [...pairs].sort((x, y) => x - y).map((p) => [entries[Math.floor(p / entries.length)]![0], entries[p % entries.length]![0]]);
}

/**
 * Validates every site (and the edge, when given) and the facts that span sites; throws one
 * PlatformError listing them all. Shapes come first: the value checks read the fields they ensure.
 */
export function validateSites(sites: readonly Site[], edge?: EdgeProxy): void {
  const shapes = [...sites.flatMap((s, i) => siteShapeFindings(s, i)), ...(edge ? edgeShapeFindings(edge) : [])];
  if (shapes.length > 0) throw new PlatformError(shapes);
  const findings: Finding[] = [];
  if (sites.length === 0) findings.push({ message: 'sites/index.ts registers no site' });
  const pools = new Map<string, AddressRange[]>();
  const siteNames = new Map<string, number>();
  const nodeOwners = new Map<string, string>();
  for (const site of sites) {
    const result = checkSiteValues(site);
    findings.push(...result.findings, ...certificateFindings(site));
    pools.set(site.name, result.pools);
    siteNames.set(site.name, (siteNames.get(site.name) ?? 0) + 1);
    for (const [i, node] of site.nodes.entries()) {
      const owner = nodeOwners.get(node.name);
      if (owner !== undefined && owner !== site.name) {
        findings.push({ site: site.name, field: `nodes[${i}].name`, message: `node '${node.name}' is also a node of site ${owner}` });
      }
      nodeOwners.set(node.name, site.name);
    }
  }
  for (const [name, count] of siteNames) {
    if (count > 1) findings.push({ site: name, field: 'name', message: `${count} sites are named '${name}'; site names must be unique` });
  }
  for (const [a, b] of overlappingPools([...pools.entries()])) {
    findings.push({
      site: b,
      field: 'loadBalancer',
      message: `its address pool overlaps site ${a}'s; each site needs its own floating addresses`,
    });
  }
  const hostnames = new Map<string, string>();
  for (const site of sites) {
    const name = site.dns.siteHostname;
    if (name === undefined) continue;
    const other = hostnames.get(name);
    if (other !== undefined) {
      findings.push({
        site: site.name,
        field: 'dns.siteHostname',
        message: `${name} is already site ${other}'s name; each site needs its own`,
      });
    } else if (name === site.dns.publicDomain) {
      findings.push({
        site: site.name,
        field: 'dns.siteHostname',
        message: `${name} is the public domain every site serves; a per-site name must differ`,
      });
    }
    hostnames.set(name, site.name);
  }
  findings.push(...databaseSiteFindings(sites), ...busSiteFindings(sites), ...watcherSiteFindings(sites));
  if (findings.length > 0) throw new PlatformError(findings);
}
