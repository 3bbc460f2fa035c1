/**
 * Invariants that span sites: every component runs on every site unless a site opts out with a
 * reason, and the facts components state about cross-site links (the database pair, the bus link
 * ends) agree between the sites that state them.
 */
import type { CrossSiteFact } from '../../charts/lib/declarations';
import type { Site } from '../../sites';
import type { Finding } from '../../model/errors';
import { publicRouteFindings } from '../validate-ingress';
import type { RenderedSite } from '../render';
import { byText } from './context';
import { optOutReason } from '../../model/components';

/**
 * What the cross-site check needs of a rendered site: its components and the facts they state.
 * Plain data, so a site rendered in a worker thread can be checked with the others.
 */
export interface CrossSiteSummary {
  readonly site: Site;
  readonly components: readonly { readonly name: string; readonly facts: readonly CrossSiteFact[] }[];
}

export function crossSiteSummary(rendered: RenderedSite): CrossSiteSummary {
  return {
    site: rendered.site,
    components: rendered.components.map((c) => ({ name: c.name, facts: c.declarations.crossSiteFacts })),
  };
}

/** A stated fact with the site and component that stated it. */
interface Stated {
  readonly site: string;
  readonly component: string;
  readonly fact: CrossSiteFact;
}

function componentPresence(sites: readonly CrossSiteSummary[]): Finding[] {
  const findings: Finding[] = [];
  const present = new Map(sites.map((s) => [s.site.name, new Set(s.components.map((c) => c.name))]));
  const all = [...new Set(sites.flatMap((s) => s.components.map((c) => c.name)))].sort(byText);
  for (const s of sites) {
    const here = present.get(s.site.name)!;
    const optOut = s.site.components?.optOut ?? {};
    for (const name of all) {
      if (here.has(name) || optOutReason(optOut, name)) continue;
      const elsewhere = sites.filter((o) => present.get(o.site.name)!.has(name)).map((o) => o.site.name);
      findings.push({
        site: s.site.name,
        component: name,
        field: 'components.optOut',
        message: `component ${name} runs on ${elsewhere.join(', ')} but not here; render it here too, or opt out in sites/${s.site.name}.ts with components.optOut.${name}: '<reason>'`,
      });
    }
    for (const name of Object.keys(optOut).sort(byText)) {
      if (here.has(name)) {
        findings.push({
          site: s.site.name,
          component: name,
          field: `components.optOut.${name}`,
          message: `the site opts out of ${name} but still renders it`,
        });
      } else if (!all.includes(name) && !sites.every((o) => optOutReason(o.site.components?.optOut, name))) {
        // No site renders it and not every site opts out: most likely a misspelt name.
        findings.push({
          site: s.site.name,
          field: `components.optOut.${name}`,
          message: `no site renders a component named ${name} (known: ${all.join(', ')})`,
        });
      }
    }
  }
  return findings;
}

function factAgreement(sites: readonly CrossSiteSummary[]): Finding[] {
  const stated: Stated[] = sites.flatMap((s) =>
    s.components.flatMap((c) => c.facts.map((fact) => ({ site: s.site.name, component: c.name, fact }))),
  );
  const findings: Finding[] = [];
  // Grouped once: a key per link end or slot makes the keys grow with the sites.
  const byKey = new Map<string, Stated[]>();
  for (const x of stated) {
    const group = byKey.get(x.fact.key);
    if (group) group.push(x);
    else byKey.set(x.fact.key, [x]);
  }
  for (const key of [...byKey.keys()].sort(byText)) {
    const facts = byKey.get(key)!;
    const first = facts[0]!;
    const where = (x: Stated, field?: string): Finding => ({
      site: x.site,
      component: x.component,
      object: `cross-site fact ${key}`,
      field,
      message: '',
    });
    const fields = [...new Set(facts.flatMap((x) => Object.keys(x.fact.agree)))].sort(byText);
    for (const field of fields) {
      const withField = facts.filter((x) => x.fact.agree[field] !== undefined);
      const reference = withField[0]!;
      for (const x of withField.slice(1)) {
        if (x.fact.agree[field] !== reference.fact.agree[field]) {
          findings.push({
            ...where(x, field),
            message: `${x.site} (${x.fact.role}) says ${JSON.stringify(x.fact.agree[field])}, ${reference.site} (${reference.fact.role}) says ${JSON.stringify(reference.fact.agree[field])}: both ends must agree`,
          });
        }
      }
    }
    const expectations = facts.filter((x) => x.fact.expect !== undefined);
    const expect = expectations[0]?.fact.expect ?? {};
    for (const x of expectations.slice(1)) {
      if (JSON.stringify(x.fact.expect) !== JSON.stringify(expect)) {
        findings.push({
          ...where(x, 'expect'),
          message: `expects roles ${JSON.stringify(x.fact.expect)}, ${first.site} expects ${JSON.stringify(expect)}`,
        });
      }
    }
    for (const role of Object.keys(expect).sort(byText)) {
      const holders = facts.filter((x) => x.fact.role === role).map((x) => x.site);
      if (holders.length !== expect[role]) {
        findings.push({
          ...where(facts.find((x) => x.fact.role === role) ?? first, 'role'),
          message: `exactly ${expect[role]} site(s) must be ${role}, found ${holders.length}${holders.length ? ` (${holders.join(', ')})` : ''}`,
        });
      }
    }
  }
  return findings;
}

/** Every cross-site finding over the rendered sites (all of them: a partial set proves nothing). */
export function checkCrossSite(sites: readonly CrossSiteSummary[]): Finding[] {
  if (sites.length < 2) return factAgreement(sites);
  return [...componentPresence(sites), ...factAgreement(sites), ...publicRouteFindings(sites)];
}
