/**
 * Which sites watch which: each site's blackbox exporter probes the floating addresses of a few
 * other sites and alerts (SiteUnreachable) when none answers. Probing every other site would make
 * the platform's probes, alerts and report grow with the square of the sites; a bounded ring keeps
 * them linear and still sees every loss from more than one place. Run with the other checks of the
 * sites before anything is rendered (pipeline/validate-sites.ts).
 */
import { COMPONENT } from '../../model/components';
import type { Finding } from '../../model/errors';
import type { Site } from '../../sites';

/** How many other sites watch each site by default: a watcher lost still leaves one. */
export const DEFAULT_WATCHERS = 2;

/** The default ring (the sites by name, each followed by the next ones) and the sites by name, once per list of sites. */
const rings = new WeakMap<readonly Site[], { ring: Map<string, readonly string[]>; byName: Map<string, Site> }>();

function ringOf(sites: readonly Site[]): { ring: Map<string, readonly string[]>; byName: Map<string, Site> } {
  const known = rings.get(sites);
  if (known) return known;
  // Compared by code unit: the same ring whatever the locale.
  const names = [...new Set(sites.map((s) => s.name))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const k = Math.min(DEFAULT_WATCHERS, names.length - 1);
  const ring = new Map(names.map((name, i) => [name, Array.from({ length: k }, (_, j) => names[(i + 1 + j) % names.length]!)]));
  const made = { ring, byName: new Map(sites.map((s) => [s.name, s])) };
  rings.set(sites, made);
  return made;
}

/**
 * The sites `site` probes: its `monitoring.watches`, or by default the next min(2, n - 1) sites
 * after it in the ring of site names (so every site is watched by as many others).
 */
export function watchedSites(site: Site, sites: readonly Site[]): readonly string[] {
  return site.monitoring?.watches ?? ringOf(sites).ring.get(site.name) ?? [];
}

/** The models of the sites `site` watches (validated beforehand: every name is a site). */
export function watchedSiteModels(site: Site, sites: readonly Site[]): Site[] {
  const { byName } = ringOf(sites);
  return watchedSites(site, sites).flatMap((name) => byName.get(name) ?? []);
}

/** A site's own watch list that names no site, itself or a site twice; and a site that no other watches. */
export function watcherSiteFindings(sites: readonly Site[]): Finding[] {
  const findings: Finding[] = [];
  const names = new Set(sites.map((s) => s.name));
  const watched = new Set<string>();
  for (const site of sites) {
    const list = watchedSites(site, sites);
    const seen = new Set<string>();
    list.forEach((name, i) => {
      const at = { site: site.name, component: COMPONENT.monitoring, field: `monitoring.watches[${i}]` };
      if (!names.has(name)) findings.push({ ...at, message: `no site named ${name} to watch; known sites: ${[...names].join(', ')}` });
      else if (name === site.name) findings.push({ ...at, message: 'a site cannot watch itself: its loss would blind its own probes' });
      else if (seen.has(name)) findings.push({ ...at, message: `${name} is listed twice` });
      seen.add(name);
      if (site.components?.optOut?.[COMPONENT.monitoring] === undefined && name !== site.name) watched.add(name);
    });
  }
  if (sites.length < 2) return findings;
  for (const site of sites) {
    if (watched.has(site.name)) continue;
    findings.push({
      site: site.name,
      component: COMPONENT.monitoring,
      field: 'monitoring.watches',
      message: `no other site running monitoring watches ${site.name}: its loss would go unnoticed; list it in another site's monitoring.watches`,
    });
  }
  return findings;
}
