import { renderSite } from '../pipeline/render';
import { validateRendered } from '../pipeline/validate';
import { PLATFORM, SITES, type Site } from '../sites';
import { demos, type DemosBySite } from './fixtures/extras';
import { withChange } from './helpers';
import { ROOMY } from './validation-helpers';

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

describe('cross-site invariants, on demo components', () => {
  it('wants every component on every site unless the site opts out with a reason', () => {
    const onCluster2 = demos({ cluster2: [{}] });
    const rendered = ROOMY.map((s) => renderSite(s, { ...PLATFORM, sites: ROOMY }, { extend: onCluster2 }));
    expect(validateRendered(rendered).findings).toEqual([
      expect.objectContaining({
        site: 'cluster1',
        component: 'demo',
        field: 'components.optOut',
        message: expect.stringMatching(/runs on cluster2 but not here/),
      }),
    ]);
    const optedOut = ROOMY.map((s) => (s.name === 'cluster1' ? withChange(s, (d) => (d.components = { optOut: { demo: 'test' } })) : s));
    expect(validateRendered(optedOut.map((s) => renderSite(s, { ...PLATFORM, sites: optedOut }, { extend: onCluster2 }))).findings).toEqual(
      [],
    );
  });

  it('compares the facts both ends state, and the roles each must hold', () => {
    const fact = (role: string, address: string) => ({
      key: 'demo-link',
      role,
      agree: { primaryAddress: address },
      expect: { primary: 1 },
    });
    const stating = (bySite: DemosBySite) =>
      validateRendered(ROOMY.map((s) => renderSite(s, { ...PLATFORM, sites: ROOMY }, { extend: demos(bySite) }))).findings;
    expect(
      stating({
        cluster1: [{ facts: [fact('standby', '198.51.100.101')] }],
        cluster2: [{ facts: [fact('primary', '198.51.100.101')] }],
      }),
    ).toEqual([]);

    const found = stating({
      cluster1: [{ facts: [fact('standby', '192.0.2.101')] }],
      cluster2: [{ facts: [fact('standby', '198.51.100.101')] }],
    });
    expect(found.map((f) => [f.site, f.field, f.message])).toEqual([
      [
        'cluster2',
        'primaryAddress',
        expect.stringMatching(/cluster2 \(standby\) says "198.51.100.101", cluster1 \(standby\) says "192.0.2.101": both ends must agree/),
      ],
      ['cluster1', 'role', 'exactly 1 site(s) must be primary, found 0'],
    ]);
  });
});
