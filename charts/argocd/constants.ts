/** Argo CD facts shared by the Argo CD component and the app-of-apps. */
export const ARGOCD_VERSION = 'v3.5.1';
export const ARGOCD_NAMESPACE = 'argocd';
/** The in-cluster API server: each site's Argo CD manages only its own cluster. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';
/** One project per site, named the same everywhere so renders of two sites line up. */
export const PROJECT = 'platform';
/** Directory (under gitops/<site>/) holding the child Applications the root Application syncs. */
export const APPS_DIRECTORY = 'apps';

export function sitePath(site: string, component: string): string {
  return `gitops/${site}/${component}`;
}
