import type { UpstreamChart } from '../lib/upstream';

const VERSION = '0.16.1';

/** MetalLB from its chart (the CRDs in imports/ come from the same release). */
export const METALLB: UpstreamChart = {
  name: 'metallb',
  project: 'MetalLB',
  release: { repo: 'metallb/metallb', ref: `v${VERSION}` },
  chart: {
    repoURL: 'https://metallb.github.io/metallb',
    name: 'metallb',
    version: VERSION,
    source: { repo: 'metallb/metallb', ref: `v${VERSION}`, path: 'charts/metallb' },
  },
  // "Kubernetes compatibility": the maintainers aim to stay compatible with the Kubernetes
  // releases in support (best effort once one is out of support), and state no upper bound. In
  // support when 0.16.1 came out (2026-05-27): 1.33 to 1.36.
  kubernetes: { oldest: '1.33', basis: 'supported', source: `metallb/metallb@v${VERSION}:website/content/concepts/maturity.md` },
  workloads: [
    {
      name: 'metallb-controller',
      replicas: 1,
      containers: [{ values: 'controller.resources', cpuMillis: 20, memoryMiB: 64, memoryLimitMiB: 128 }],
    },
    {
      name: 'metallb-speaker',
      kind: 'DaemonSet',
      replicas: 'perNode',
      containers: [{ values: 'speaker.resources', cpuMillis: 20, memoryMiB: 64, memoryLimitMiB: 128 }],
    },
  ],
  creates: {
    cluster: {
      'admissionregistration.k8s.io': ['ValidatingWebhookConfiguration'],
      'apiextensions.k8s.io': ['CustomResourceDefinition'],
      'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
    },
    namespaced: {
      '': ['ConfigMap', 'Secret', 'Service', 'ServiceAccount'],
      apps: ['DaemonSet', 'Deployment'],
      'rbac.authorization.k8s.io': ['Role', 'RoleBinding'],
    },
    ownSecrets: [{ name: 'metallb-webhook-cert', reason: 'rendered empty; the controller writes its webhook certificate into it' }],
    source: 'helm template of the pinned chart with our values (cluster1), --include-crds --kube-version 1.33',
  },
};
