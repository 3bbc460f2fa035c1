import type { ReleasedWorkload, UpstreamManifests } from '../lib/upstream';

/** One released workload of Argo CD, its main container and what we give it (the patch merges it in). */
function workload(
  name: string,
  kind: 'Deployment' | 'StatefulSet',
  container: string,
  [cpuMillis, memoryMiB, memoryLimitMiB]: readonly [number, number, number],
  service?: ReleasedWorkload['service'],
): ReleasedWorkload {
  return {
    name,
    kind,
    replicas: 1,
    podLabels: { 'app.kubernetes.io/name': name },
    ...(service ? { service } : {}),
    containers: [{ name: container, cpuMillis, memoryMiB, memoryLimitMiB }],
  };
}

/** Argo CD, from the manifests of its release (kustomize remote resources). */
export const ARGOCD: UpstreamManifests = {
  name: 'argo-cd',
  project: 'Argo CD',
  release: { repo: 'argoproj/argo-cd', ref: 'v3.5.1' },
  manifests: ['manifests/install.yaml'],
  // "Tested versions": 3.5 is tested on v1.36, v1.35, v1.34 and v1.33.
  kubernetes: {
    oldest: '1.33',
    newest: '1.36',
    basis: 'tested',
    source: 'argoproj/argo-cd@v3.5.1:docs/operator-manual/tested-kubernetes-versions.md',
  },
  // The released install.yaml sets no requests or limits: these are sized for a small site.
  workloads: [
    workload('argocd-application-controller', 'StatefulSet', 'argocd-application-controller', [250, 512, 1024]),
    workload('argocd-repo-server', 'Deployment', 'argocd-repo-server', [100, 256, 512]),
    workload('argocd-server', 'Deployment', 'argocd-server', [50, 128, 256], { name: 'argocd-server', ports: [80, 443] }),
    workload('argocd-redis', 'Deployment', 'redis', [50, 64, 128]),
    workload('argocd-dex-server', 'Deployment', 'dex', [10, 32, 64]),
    workload('argocd-applicationset-controller', 'Deployment', 'argocd-applicationset-controller', [20, 64, 128]),
    workload('argocd-notifications-controller', 'Deployment', 'argocd-notifications-controller', [10, 32, 64]),
  ],
  creates: {
    cluster: { 'apiextensions.k8s.io': ['CustomResourceDefinition'], 'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'] },
    namespaced: {
      '': ['ConfigMap', 'Secret', 'Service', 'ServiceAccount'],
      apps: ['Deployment', 'StatefulSet'],
      'networking.k8s.io': ['NetworkPolicy'],
      'rbac.authorization.k8s.io': ['Role', 'RoleBinding'],
    },
    ownSecrets: [
      { name: 'argocd-secret', reason: 'rendered empty; argocd-server writes its own session signing key into it on first start' },
      { name: 'argocd-notifications-secret', reason: 'rendered empty; the notification services we configure none of read it' },
    ],
    source: 'argoproj/argo-cd@v3.5.1:manifests/install.yaml',
  },
};
