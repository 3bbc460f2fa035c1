import type { UpstreamManifests } from '../lib/upstream';

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
};
