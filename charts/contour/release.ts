import type { UpstreamChart } from '../lib/upstream';

/** Contour from the chart of projectcontour/helm-charts: 0.7.0 ships Contour 1.33.6 and its CRDs. */
export const CONTOUR: UpstreamChart = {
  name: 'contour',
  project: 'Contour',
  release: { repo: 'projectcontour/contour', ref: 'v1.33.6' },
  chart: {
    repoURL: 'https://projectcontour.github.io/helm-charts/',
    name: 'contour',
    version: '0.7.0',
    source: { repo: 'projectcontour/helm-charts', ref: 'contour-0.7.0', path: 'charts/contour' },
  },
  // The release notes: "Contour v1.33.6 is tested against Kubernetes 1.32 through 1.34" (the
  // compatibility matrix on main says the same; main, unreleased, tests 1.34 to 1.36).
  kubernetes: {
    oldest: '1.32',
    newest: '1.34',
    basis: 'tested',
    source: 'projectcontour/contour@31c4bb38:changelogs/CHANGELOG-v1.33.6.md',
  },
  workloads: [
    // Two controllers, never on the same node (`contour.podAntiAffinityPreset: hard`).
    {
      name: 'contour-contour',
      replicas: 2,
      replicasValue: 'contour.replicaCount',
      onePerNode: true,
      containers: [{ values: 'contour.resources', cpuMillis: 50, memoryMiB: 128, memoryLimitMiB: 256 }],
    },
    // Envoy on every node, with its shutdown manager beside it in the pod.
    {
      name: 'contour-envoy',
      kind: 'DaemonSet',
      replicas: 'perNode',
      containers: [
        { values: 'envoy.resources', cpuMillis: 100, memoryMiB: 256, memoryLimitMiB: 512 },
        { values: 'envoy.shutdownManager.resources', cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 },
      ],
    },
  ],
  creates: {
    cluster: {
      'apiextensions.k8s.io': ['CustomResourceDefinition'],
      'networking.k8s.io': ['IngressClass'],
      'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
    },
    namespaced: {
      '': ['ConfigMap', 'Service', 'ServiceAccount'],
      apps: ['DaemonSet', 'Deployment'],
      batch: ['Job'],
      'networking.k8s.io': ['NetworkPolicy'],
      policy: ['PodDisruptionBudget'],
      'rbac.authorization.k8s.io': ['Role', 'RoleBinding'],
    },
    ownSecrets: [
      {
        name: 'contourcert',
        reason: "the certgen Job's certificates between Contour and Envoy (xDS over TLS), generated in the cluster",
      },
      {
        name: 'envoycert',
        reason: "the certgen Job's certificates between Contour and Envoy (xDS over TLS), generated in the cluster",
      },
    ],
    source: 'helm template of the pinned chart with our values (cluster1), --include-crds --kube-version 1.33',
  },
};
