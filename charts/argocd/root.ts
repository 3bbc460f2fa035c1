import { AppProject, Application } from '../../imports/argocd-argoproj.io';
import type { PlatformComponent } from '../component';
import { commonLabels } from '../lib/labels';
import { ARGO_ANNOTATIONS } from '../lib/sync-order';
import { APPS_DIRECTORY, ARGOCD_NAMESPACE, IN_CLUSTER, ROOT_APPLICATION, ROOT_PROJECT, sitePath } from './constants';

/** The Argo CD sync-wave annotation, a string as Argo CD expects. */
export function waveAnnotation(wave: number): Record<string, string> {
  return { [ARGO_ANNOTATIONS.wave]: String(wave) };
}

/** Retry of a failed sync: 10 attempts, from 10 s doubling up to 5 min apart. */
export const SYNC_RETRY = { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } } as const;

/**
 * The root of the app-of-apps and its project, added to `component`: the `apps` component (the
 * root manages itself, so later changes to it go through git) and the one-time bootstrap render
 * the same objects.
 *
 * The root is managed by nobody but itself: Argo CD leaves an Application that manages itself out
 * of its own health (argoproj/argo-cd@v3.5.1:controller/health.go, isSelfReferencedApp), while an
 * Application managed by one of its own children would keep that child Progressing and be kept
 * Progressing by it. Its own object is in `lastWave`: gitops-engine waits for the health of every
 * wave but the last (gitops-engine/pkg/sync/sync_context.go, "successfully synced (all tasks
 * run)"), and the root's health is the worst of its children's.
 *
 * Its project lets it create only Applications and AppProjects, in the argocd namespace, from this
 * repository: what a child may do is the child's project's business.
 */
export function renderRoot(component: PlatformComponent, lastWave: number): void {
  const { repoUrl, revision } = component.site.gitops;
  const labels = commonLabels(APPS_DIRECTORY);
  new AppProject(component, 'root-project', {
    metadata: { name: ROOT_PROJECT, namespace: ARGOCD_NAMESPACE, labels, annotations: waveAnnotation(-1) },
    spec: {
      description: `The root Application of site ${component.site.name}: the child Applications and projects in ${sitePath(component.site.name, APPS_DIRECTORY)}`,
      sourceRepos: [repoUrl],
      destinations: [{ server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE }],
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: [
        { group: 'argoproj.io', kind: 'Application' },
        { group: 'argoproj.io', kind: 'AppProject' },
      ],
    },
  });
  new Application(component, 'root', {
    metadata: { name: ROOT_APPLICATION, namespace: ARGOCD_NAMESPACE, labels, annotations: waveAnnotation(lastWave) },
    spec: {
      project: ROOT_PROJECT,
      source: { repoUrl, targetRevision: revision, path: sitePath(component.site.name, APPS_DIRECTORY) },
      destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
      syncPolicy: { automated: { prune: true, selfHeal: true }, retry: SYNC_RETRY },
    },
  });
}
