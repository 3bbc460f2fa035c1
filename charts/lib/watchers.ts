/**
 * Which sites watch which: each site's blackbox exporter probes the floating addresses of a few
 * other sites and alerts (SiteUnreachable) when none answers. Probing every other site would make
 * the platform's probes, alerts and report grow with the square of the sites; a bounded ring keeps
 * them linear and still sees every loss from more than one place. Run with the other checks of the
 * sites before anything is rendered (pipeline/validate-sites.ts).
 */
import { COMPONENT, optOutReason } from '../../model/components';
import type { Finding } from '../../model/errors';
import type { Site } from '../../sites';
import { oncePerModel } from './per-model';

/** How many other sites watch each site by default: a watcher lost still leaves one. */
export const DEFAULT_WATCHERS = 2;

/** Whether the site runs monitoring, and so can watch others. */
const runsMonitoring = (site: Site): boolean => optOutReason(site.components?.optOut, COMPONENT.monitoring) === undefined;

/**
 * Every site, in the ring of names, is watched by the nearest min(2, w) sites before it that run
 * monitoring (w: those other than itself), so a site that leaves monitoring out hands its watch to
 * the next watcher instead of leaving the sites after it with fewer. Each watcher lists what it
 * watches nearest first; with every site running monitoring, a site watches the next two.
 */
const ringOf = oncePerModel((sites: readonly Site[]): { ring: Map<string, readonly string[]>; byName: Map<string, Site> } => {
  const byName = new Map(sites.map((s) => [s.name, s]));
  // Compared by code unit: the same ring whatever the locale.
  const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const watches = new Map<string, { name: string; distance: number }[]>();
  names.forEach((name, i) => {
    const found: string[] = [];
    for (let back = 1; back < names.length && found.length < DEFAULT_WATCHERS; back++) {
      const watcher = names[(i - back + names.length) % names.length]!;
      if (!runsMonitoring(byName.get(watcher)!)) continue;
      found.push(watcher);
      watches.set(watcher, [...(watches.get(watcher) ?? []), { name, distance: back }]);
    }
  });
  const ring = new Map(names.map((name) => [name, (watches.get(name) ?? []).sort((a, b) => a.distance - b.distance).map((w) => w.name)]));
  return { ring, byName };
});

/**
 * The sites `site` probes: its `monitoring.watches`, or by default those it watches in the ring of
 * site names (each site watched by the nearest min(2, w) sites before it that run monitoring).
 */
export function watchedSites(site: Site, sites: readonly Site[]): readonly string[] {
  return site.monitoring?.watches ?? ringOf(sites).ring.get(site.name) ?? [];
}

/** The sites running monitoring whose watch list names each site, in the order of the sites. */
const watchersByWatched = oncePerModel((sites: readonly Site[]): Map<string, Site[]> => {
  const byWatched = new Map<string, Site[]>();
  for (const w of sites.filter(runsMonitoring)) {
    for (const name of new Set(watchedSites(w, sites))) {
      const list = byWatched.get(name);
      if (list) list.push(w);
      else byWatched.set(name, [w]);
    }
  }
  return byWatched;
});

/** The sites that probe `site`: those running monitoring whose watch list names it. */
export function watchersOf(site: Site, sites: readonly Site[]): Site[] {
  return (watchersByWatched(sites).get(site.name) ?? []).filter((w) => w !== site);
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
      if (runsMonitoring(site) && name !== site.name) watched.add(name);
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
