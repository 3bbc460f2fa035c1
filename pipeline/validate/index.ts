/**
 * Validation of the rendered platform, run by every synth between render and write (and by
 * `npm run validate`): Kubernetes-version compatibility, schema, policy, sync order and capacity
 * per site, then the cross-site invariants. All findings of all sites are collected into one
 * PlatformError; gitops/ is not touched.
 */
import type { Finding } from '../../model/errors';
import type { ObjectMemo } from '../object-text';
import type { RenderedSite } from '../render';
import { checkCapacity, type CapacityReport } from './capacity';
import { checkCompatibility } from './compatibility';
import { objectId } from './context';
import { checkCrossSite, crossSiteSummary, type CrossSiteSummary } from './cross-site';
import { checkPolicy, namespaceLevels } from './policy';
import { checkPlaintext } from './plaintext';
import { checkProjects } from './projects';
import { importedKubernetesReleases } from './schema';
import { checkSchemaCached, type SchemaCache } from './schema-cache';
import { checkSecretConsumers } from './secret-consumers';
import { checkSecretReload } from './secret-reload';
import { checkSyncOrder } from './sync-order';
import { componentFailureFacts, unknownFailureFindings } from '../report/failures';

/** What validation found, and the exceptions and acceptances it honoured (for the report). */
export interface ValidationReport {
  readonly findings: readonly Finding[];
  readonly capacity: readonly CapacityReport[];
  /** Exceptions in force, each with its reason: lower Pod Security levels, policy exceptions, accepted overcommit, opt-outs, pins run outside their Kubernetes range. */
  readonly exceptions: readonly string[];
}

function exceptionsOf(site: RenderedSite, capacity: CapacityReport, outsideRange: readonly string[]): string[] {
  const name = site.site.name;
  const out: string[] = [...outsideRange];
  for (const [ns, { level, reason, component }] of namespaceLevels(site)) {
    if (level !== 'restricted') out.push(`${name}: namespace ${ns} (${component}) runs at Pod Security level ${level}: ${reason ?? ''}`);
  }
  for (const c of site.components) {
    for (const e of c.declarations.policyExceptions) out.push(`${name}: ${c.name} ${e.object} is exempt from [${e.rule}]: ${e.reason}`);
  }
  if (capacity.accepted) out.push(`${name}: ${capacity.accepted}`);
  for (const [component, reason] of Object.entries(site.site.components?.optOut ?? {}))
    out.push(`${name}: runs without ${component}: ${reason}`);
  return out;
}

/** What one site's own checks found: compatibility, schema, policy, sync order and capacity. */
export interface SiteValidation {
  readonly findings: readonly Finding[];
  readonly capacity: CapacityReport;
  readonly exceptions: readonly string[];
}

/** The objects of a site against the schema of its Kubernetes release, which must have been imported. */
function checkSchemas(site: RenderedSite, cache: SchemaCache | undefined, memo: ObjectMemo | undefined): Finding[] {
  const release = site.site.kubernetesVersion;
  const imported = importedKubernetesReleases();
  if (!imported.includes(release)) {
    return [
      {
        site: site.site.name,
        field: 'kubernetesVersion',
        message: `no Kubernetes ${release} schema is imported (imports/validators/ holds ${imported.join(', ')}): add its _definitions.json to KUBERNETES_SCHEMAS in tools/upstream-inputs.ts and run npm run import`,
      },
    ];
  }
  return site.components.flatMap((component) =>
    component.objects.flatMap((object, i) =>
      checkSchemaCached(
        object,
        { site: site.site.name, component: component.name, kubernetesRelease: release },
        component.patchIndexes.has(i),
        cache,
        memo,
      ),
    ),
  );
}

export interface SiteValidationOptions {
  /**
   * The record of schema checks passed and clean plaintext verdicts before: an object whose bytes passed is not checked again.
   * @default none (every object checked)
   */
  readonly schemaCache?: SchemaCache;
  /**
   * This run's verdicts on objects already checked, by their JSON: an object with the same bytes is not checked again.
   * @default none (every object checked)
   */
  readonly memo?: ObjectMemo;
}

/** Compatibility, schema, policy, sync order and capacity of one rendered site (everything but the cross-site invariants). */
export function validateSite(site: RenderedSite, options: SiteValidationOptions = {}): SiteValidation {
  const compatibility = checkCompatibility(site);
  const findings: Finding[] = [...compatibility.findings, ...checkSchemas(site, options.schemaCache, options.memo)];
  findings.push(...checkPolicy(site));
  findings.push(...checkSyncOrder(site));
  findings.push(...checkProjects(site));
  findings.push(...checkPlaintext(site, options.memo, options.schemaCache));
  findings.push(...checkSecretConsumers(site));
  findings.push(...checkSecretReload(site));
  findings.push(...unknownFailureFindings({ site: site.site, components: componentFailureFacts(site) }));
  const capacity = checkCapacity(site);
  findings.push(...capacity.findings);
  return { findings, capacity, exceptions: exceptionsOf(site, capacity, compatibility.accepted) };
}

/**
 * Validates `rendered` (the sites being synthesized); `all` is every site, rendered or
 * summarized, for the cross-site invariants (the same list when every site is synthesized).
 */
export function validateRendered(
  rendered: readonly RenderedSite[],
  all: readonly CrossSiteSummary[] = rendered.map(crossSiteSummary),
): ValidationReport {
  const perSite = rendered.map((site) => validateSite(site));
  return {
    findings: [...perSite.flatMap((v) => v.findings), ...checkCrossSite(all)],
    capacity: perSite.map((v) => v.capacity),
    exceptions: perSite.flatMap((v) => v.exceptions),
  };
}

export { objectId, checkCrossSite, crossSiteSummary, type CrossSiteSummary };
export { openSchemaCache, SchemaCache } from './schema-cache';
