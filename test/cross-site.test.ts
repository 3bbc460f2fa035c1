import { renderSite } from '../pipeline/render';
import { validateRendered } from '../pipeline/validate';
import { PLATFORM, SITES, type Site } from '../sites';
import { withChange } from './helpers';

/** Renders each site as it would be rendered from its own copy of the model. */
function renderEach(views: Record<string, readonly Site[]>) {
  return SITES.map((site) => {
    const sites = views[site.name] ?? SITES;
    return renderSite(
      sites.find((s) => s.name === site.name)!,
      { ...PLATFORM, sites },
    );
  });
}

const cluster2Moved = (field: 'database' | 'bus') =>
  SITES.map((s) =>
    s.name === 'cluster2'
      ? withChange(s, (d) => {
          const pool = d.loadBalancer as { fixed: Record<string, string> };
          pool.fixed = { ...pool.fixed, [field]: '198.51.100.107' };
        })
      : s,
  );

describe('cross-site invariants of the real components', () => {
  it('holds for the committed sites: one primary, the standby dialling it, slots and bus link agreeing', () => {
    const findings = validateRendered(renderEach({})).findings.filter((f) => /agree|must be|slot|bus-link|database/.test(f.message));
    expect(findings).toEqual([]);
  });

  it('catches a standby dialling another address than the one the primary exposes', () => {
    // cluster1 was rendered from a model where cluster2 exposes the database elsewhere.
    const findings = validateRendered(renderEach({ cluster1: cluster2Moved('database') })).findings;
    expect(findings.map((f) => `${f.field}: ${f.message}`)).toContainEqual(
      expect.stringMatching(/^primaryAddress: .*"198.51.100.101".*"198.51.100.107".*both ends must agree/),
    );
  });

  it('catches the two ends of the bus link disagreeing on the hub address', () => {
    const findings = validateRendered(renderEach({ cluster1: cluster2Moved('bus') })).findings;
    expect(findings.map((f) => `${f.field}: ${f.message}`)).toContainEqual(expect.stringMatching(/^address: .*both ends must agree/));
  });

  it('catches a standby whose slot the primary does not declare', () => {
    // cluster2 (the primary) rendered from a model where cluster1 is named otherwise: it declares another slot.
    const renamed = SITES.map((s) => (s.name === 'cluster1' ? withChange(s, (d) => (d.name = 'illkirch')) : s));
    const findings = validateRendered(renderEach({ cluster2: renamed })).findings;
    expect(findings.map((f) => f.message)).toContainEqual(expect.stringMatching(/exactly 1 site\(s\) must be declared, found 0/));
  });
});
