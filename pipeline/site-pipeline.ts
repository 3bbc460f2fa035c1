/**
 * One site from model to files: render, validate what can be validated on the site alone,
 * serialize, and keep only plain data (files, findings, the cross-site summary). The cdk8s App is
 * dropped as soon as the site is done, so memory grows only with the files, not with the sites'
 * construct trees.
 */
import type { StackOutputs } from '../charts/lib/object-store';
import type { PlatformModel, Site } from '../sites';
import type { Finding } from '../model/errors';
import { siteFiles, type FileBodies } from './files';
import type { ObjectMemo } from './object-text';
import { renderSite, type PlatformExtension, type RenderedSite } from './render';
import { crossSiteSummary, validateSite, type CrossSiteSummary, type SchemaCache } from './validate';
import { checkCapacity } from './validate/capacity';
import { siteFailureFacts, type KeptOnce, type SiteFailureFacts } from './report/failures';

/** What the rest of the pipeline needs of one site. */
export interface SiteOutput {
  readonly site: string;
  /** Files, path relative to gitops/ -> content, in render order. */
  readonly files: readonly (readonly [string, string])[];
  /** Schema, policy and capacity findings of this site. */
  readonly findings: readonly Finding[];
  /** For the cross-site invariants. */
  readonly summary: CrossSiteSummary;
  /** For the failure report (gitops/REPORT.md). */
  readonly failure: SiteFailureFacts;
  readonly components: number;
  readonly objects: number;
}

export interface SiteOptions {
  /**
   * CloudFormation outputs fetched beforehand, for sites whose object store is `aws`.
   * @default none
   */
  readonly stackOutputs?: StackOutputs;
  /**
   * Run the site's own validation.
   * @default true
   */
  readonly validate?: boolean;
  /**
   * The record of schema checks passed before (pipeline/validate/schema-cache.ts).
   * @default none (every object checked)
   */
  readonly schemaCache?: SchemaCache;
  /**
   * Where the documents of each file are recorded as plain JSON (npm run diff).
   * @default not recorded
   */
  readonly bodies?: FileBodies;
  /**
   * Where equal failure facts of different sites are kept once.
   * @default none (each site keeps its own)
   */
  readonly facts?: KeptOnce;
  /**
   * This run's verdicts and YAML of the objects rendered so far, reused for objects with the same bytes.
   * @default none (each object checked and written on its own)
   */
  readonly memo?: ObjectMemo;
  /**
   * Components added to the site's platform (tests).
   * @default none
   */
  readonly extend?: PlatformExtension;
  /**
   * Render threads for processSites (pipeline/site-workers.ts); 0 renders in this thread.
   * @default 2 on two cores or more for a model of more than 20 sites run from the bundles, else 0
   */
  readonly threads?: number;
}

/** Processes one site; `keep` receives the rendered site for callers that read the constructs. */
export function processSite(site: Site, model: PlatformModel, options: SiteOptions = {}, keep?: (r: RenderedSite) => void): SiteOutput {
  const rendered = renderSite(site, model, { stackOutputs: options.stackOutputs, extend: options.extend });
  keep?.(rendered);
  const validation =
    options.validate === false ? undefined : validateSite(rendered, { schemaCache: options.schemaCache, memo: options.memo });
  return {
    site: site.name,
    files: [...siteFiles(rendered, options.bodies, options.memo)],
    findings: validation?.findings ?? [],
    summary: crossSiteSummary(rendered),
    // The placement after each node loss: the validation's, or computed for the report alone.
    failure: siteFailureFacts(rendered, validation?.capacity ?? checkCapacity(rendered), options.facts),
    components: rendered.components.length,
    objects: rendered.components.reduce((n, c) => n + c.objects.length, 0),
  };
}
