/** What every component is built with: its site, the others, and where to report findings. */
import type { EdgeProxy, PlatformModel, Site } from '../sites';
import { ACCESS, type AccessConfig } from '../sites/access';
import { RenderFindings } from './lib/findings';
import type { StackOutputs } from './lib/object-store';

/** What every component receives: its own site and, read-only, all the others. */
export interface SiteContext {
  /** The site being rendered. */
  readonly site: Site;
  /** Every registered site, for cross-site facts (peer addresses, the database primary). */
  readonly sites: readonly Site[];
  /** The edge proxy in front of every site (its addresses reach Envoy). */
  readonly edge: EdgeProxy;
  /** Who may do what in the site's Argo CD. */
  readonly access: AccessConfig;
  /** CloudFormation outputs fetched before rendering, for sites whose object store is `aws`. */
  readonly stackOutputs?: StackOutputs;
  /** Where the site's components report what is wrong with the model (the render throws them). */
  readonly findings: RenderFindings;
}

/** The context of `site` in `model`, with a fresh list of findings. */
export function siteContext(site: Site, model: PlatformModel, stackOutputs?: StackOutputs): SiteContext {
  return {
    site,
    sites: model.sites,
    edge: model.edge,
    access: model.access ?? ACCESS,
    stackOutputs,
    findings: new RenderFindings(site.name),
  };
}
