/**
 * Validation of the rendered platform, run by every synth between render and write (and by
 * `npm run validate`): schema, policy, sync order and capacity per site, then the cross-site invariants. All
 * findings of all sites are collected into one PlatformError; gitops/ is not touched.
 */
import type { Finding } from '../errors';
import type { RenderedSite } from '../render';
import { checkCapacity, type CapacityReport } from './capacity';
import { objectId } from './context';
import { checkCrossSite, crossSiteSummary, type CrossSiteSummary } from './cross-site';
import { checkPolicy, namespaceLevels } from './policy';
import { checkSchema } from './schema';
import { checkSyncOrder } from './sync-order';

/** What validation found, and the exceptions and acceptances it honoured (for the report). */
export interface ValidationReport {
  readonly findings: readonly Finding[];
  readonly capacity: readonly CapacityReport[];
  /** Exceptions in force, each with its reason: lower Pod Security levels, policy exceptions, accepted overcommit, opt-outs. */
  readonly exceptions: readonly string[];
}

function exceptionsOf(site: RenderedSite, capacity: CapacityReport): string[] {
  const name = site.site.name;
  const out: string[] = [];
  for (const [ns, { level, reason, component }] of namespaceLevels(site)) {
    if (level !== 'restricted') out.push(`${name}: namespace ${ns} (${component}) runs at Pod Security level ${level}: ${reason ?? ''}`);
  }
  for (const c of site.components) {
    for (const e of c.construct.declarations.policyExceptions)
      out.push(`${name}: ${c.name} ${e.object} is exempt from [${e.rule}]: ${e.reason}`);
  }
  if (capacity.accepted) out.push(`${name}: ${capacity.accepted}`);
  for (const [component, reason] of Object.entries(site.site.components?.optOut ?? {}))
    out.push(`${name}: runs without ${component}: ${reason}`);
  return out;
}

/** What one site's own checks found: schema, policy and capacity. */
export interface SiteValidation {
  readonly findings: readonly Finding[];
  readonly capacity: CapacityReport;
  readonly exceptions: readonly string[];
}

/** Schema, policy and capacity of one rendered site (everything but the cross-site invariants). */
export function validateSite(site: RenderedSite): SiteValidation {
  const findings: Finding[] = [];
  for (const component of site.components) {
    component.objects.forEach((object, i) => {
      findings.push(...checkSchema(object, { site: site.site.name, component: component.name }, component.patchIndexes.has(i)));
    });
  }
  findings.push(...checkPolicy(site));
  findings.push(...checkSyncOrder(site));
  const capacity = checkCapacity(site);
  findings.push(...capacity.findings);
  return { findings, capacity, exceptions: exceptionsOf(site, capacity) };
}

/**
 * Validates `rendered` (the sites being synthesized); `all` is every site, rendered or
 * summarized, for the cross-site invariants (the same list when every site is synthesized).
 */
export function validateRendered(
  rendered: readonly RenderedSite[],
  all: readonly CrossSiteSummary[] = rendered.map(crossSiteSummary),
): ValidationReport {
  const perSite = rendered.map(validateSite);
  return {
    findings: [...perSite.flatMap((v) => v.findings), ...checkCrossSite(all)],
    capacity: perSite.map((v) => v.capacity),
    exceptions: perSite.flatMap((v) => v.exceptions),
  };
}

export { objectId, checkCrossSite, crossSiteSummary, type CrossSiteSummary };
