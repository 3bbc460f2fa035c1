import { generateModel } from '../bench/generate-sites';
import { DEFAULT_WATCHERS, watchedSites } from '../charts/lib/watchers';
import { failureOutcomes, renderReport } from '../pipeline/report';
import { renderTree } from '../pipeline/synth';
import { PLATFORM, type PlatformModel, type Site } from '../sites';
import { refusedSynthMessage } from './synth-refusal';

/** The sites each site's rendered Probes target, from the objects themselves. */
function probedBy(model: PlatformModel): Map<string, string[]> {
  const { tree } = renderTree(model, { validate: false });
  const probes = new Map<string, string[]>();
  for (const p of tree.keys()) {
    const m = /^([^/]+)\/monitoring\/probe-site-(.+)\.yaml$/.exec(p);
    if (m) probes.set(m[1]!, [...(probes.get(m[1]!) ?? []), m[2]!]);
  }
  return probes;
}

describe('which sites watch which', () => {
  it('the committed sites watch each other', () => {
    expect(probedBy(PLATFORM)).toEqual(
      new Map([
        ['cluster1', ['cluster2']],
        ['cluster2', ['cluster1']],
      ]),
    );
  });

  it('by default every site is watched by 2 others and watches 2, in a ring over the names whatever their order', () => {
    const model = generateModel(7);
    const probes = probedBy(model);
    const watchers = new Map<string, number>();
    for (const [site, targets] of probes) {
      expect(targets).toHaveLength(DEFAULT_WATCHERS);
      expect(targets).not.toContain(site);
      for (const t of targets) watchers.set(t, (watchers.get(t) ?? 0) + 1);
    }
    expect([...watchers.values()]).toEqual(Array(7).fill(DEFAULT_WATCHERS));
    // site0 -> site1, site2; the last site wraps round.
    expect(probes.get('site0')).toEqual(['site1', 'site2']);
    expect(probes.get('site6')).toEqual(['site0', 'site1']);
    const reversed: Site[] = [...model.sites].reverse();
    for (const site of model.sites) expect(watchedSites(site, reversed)).toEqual(watchedSites(site, model.sites));
  });

  it('the probes per site stay the same however many sites there are', () => {
    expect(probedBy(generateModel(12)).get('site3')).toEqual(['site4', 'site5']);
  });

  it('a site that leaves monitoring out hands its watch on: every site is still watched by 2', () => {
    const model = generateModel(6);
    const leftOut = new Set(['site1', 'site2', 'site3']);
    const sites = model.sites.map((s) =>
      leftOut.has(s.name) ? { ...s, components: { ...s.components, optOut: { ...s.components?.optOut, monitoring: 'a test' } } } : s,
    );
    const probes = probedBy({ ...model, sites });
    expect([...probes.keys()].sort()).toEqual(['site0', 'site4', 'site5']);
    const watchers = new Map<string, string[]>();
    for (const [site, targets] of probes) for (const t of targets) watchers.set(t, [...(watchers.get(t) ?? []), site].sort());
    // site4's two nearest watchers before it are site0 and, round the ring, site5.
    expect(Object.fromEntries(watchers)).toEqual({
      site0: ['site4', 'site5'],
      site1: ['site0', 'site5'],
      site2: ['site0', 'site5'],
      site3: ['site0', 'site5'],
      site4: ['site0', 'site5'],
      site5: ['site0', 'site4'],
    });
    // Nearest first: site0 watches site1, site2, ... in ring order.
    expect(probes.get('site0')).toEqual(['site1', 'site2', 'site3', 'site4', 'site5']);
  });

  it('monitoring.watches overrides the ring', () => {
    const model = generateModel(3);
    const sites = model.sites.map((s) => (s.name === 'site0' ? { ...s, monitoring: { watches: ['site1', 'site2'] } } : s));
    expect(probedBy({ ...model, sites }).get('site0')).toEqual(['site1', 'site2']);
  });

  it('a site loss lists only the sites that watch or need the lost one', () => {
    const model = generateModel(6);
    const { failures } = renderTree(model, { validate: false });
    const loss = failureOutcomes(failures, model.edge).find((o) => o.failure.kind === 'site' && o.failure.site === 'site3')!;
    // Its watchers (site1, site2) and the hub/primary site0, which keeps a slot and a leaf link for it.
    expect([...new Set(loss.components.map((c) => c.site))]).toEqual(['site0', 'site1', 'site2', 'site3']);
    const monitoring = loss.components.filter((c) => c.component === 'monitoring' && c.site !== 'site3').map((c) => c.site);
    expect(monitoring).toEqual(['site0', 'site1', 'site2']);
    expect(loss.database.reads).toEqual(['site0', 'site1', 'site2', 'site4', 'site5']);
    const report = renderReport(failures, model.edge);
    expect(report).toContain('Components of the 2 other site(s): up, none of them states a need on what was lost.');
  });
});

describe('a wrong watch list', () => {
  /** The message of the refused synth of 3 generated sites changed by `change` (gitops/ checked untouched). */
  const refused = (change: (sites: Site[]) => Site[]): string => {
    const model = generateModel(3);
    return refusedSynthMessage(undefined, { ...model, sites: change([...model.sites]) });
  };
  const watching = (watches: string[]) => (sites: Site[]) => sites.map((s) => (s.name === 'site0' ? { ...s, monitoring: { watches } } : s));
  const at = (site: string, field: string) => `site ${site} (sites/${site}.ts), component monitoring, field ${field}: `;

  it('naming no site is refused with the site, component and field, gitops/ untouched', () => {
    expect(refused(watching(['site1', 'nowhere']))).toContain(`${at('site0', 'monitoring.watches[1]')}no site named nowhere to watch`);
  });

  it('watching itself or a site twice is refused', () => {
    const message = refused(watching(['site0', 'site1', 'site1']));
    expect(message).toContain(`${at('site0', 'monitoring.watches[0]')}a site cannot watch itself`);
    expect(message).toContain(`${at('site0', 'monitoring.watches[2]')}site1 is listed twice`);
  });

  it('a site nobody watches is refused on that site', () => {
    // Default ring of 3: site1 is watched by site0 and site2; both now watch elsewhere.
    const message = refused((sites) =>
      sites.map((s) =>
        s.name === 'site0'
          ? { ...s, monitoring: { watches: ['site2'] } }
          : s.name === 'site2'
            ? { ...s, monitoring: { watches: ['site0'] } }
            : s,
      ),
    );
    expect(message).toContain(
      `${at('site1', 'monitoring.watches')}no other site running monitoring watches site1: its loss would go unnoticed`,
    );
  });
});
