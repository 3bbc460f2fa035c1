import { COMPONENT } from '../../model/components';
/** Argo CD facts shared by the Argo CD component and the app-of-apps. */
export const ARGOCD_NAMESPACE = 'argocd';
/** The in-cluster API server: each site's Argo CD manages only its own cluster. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';
/** One project per site, named the same everywhere so renders of two sites line up. */
export const PROJECT = 'platform';
/** Directory (under gitops/<site>/) holding the child Applications the root Application syncs. */
export const APPS_DIRECTORY = COMPONENT.apps;
/** Directory (under gitops/<site>/) applied once with kubectl before Argo CD runs: Argo CD itself and the root. */
export const BOOTSTRAP_DIRECTORY = COMPONENT.bootstrap;
/** The root of the app-of-apps: it syncs APPS_DIRECTORY, itself included. */
export const ROOT_APPLICATION = 'root';
/** The root's own project: it may only create Applications and AppProjects in the argocd namespace. */
export const ROOT_PROJECT = 'platform-root';

export function sitePath(site: string, component: string): string {
  return `gitops/${site}/${component}`;
}

/** The argocd-cm key restoring the health of Application resources (without it, waves between child Applications gate nothing). */
export const APPLICATION_HEALTH_SETTING = 'resource.customizations.health.argoproj.io_Application';
