import type { ReleasedWorkload, UpstreamChart } from '../lib/upstream';

/**
 * What KEDA runs and what we give it: the chart's defaults ask for 1 GiB limits, a small site needs
 * a fraction. The operator runs two replicas (leader election) so that losing a node does not stop
 * scaling.
 */
export const KEDA_WORKLOADS = {
  operator: {
    name: 'keda-operator',
    replicas: 2,
    replicasValue: 'operator.replicaCount',
    containers: [{ values: 'resources.operator', cpuMillis: 50, memoryMiB: 128, memoryLimitMiB: 256 }],
  },
  metricsApiserver: {
    name: 'keda-operator-metrics-apiserver',
    replicas: 1,
    replicasValue: 'metricsServer.replicaCount',
    containers: [{ values: 'resources.metricServer', cpuMillis: 50, memoryMiB: 96, memoryLimitMiB: 256 }],
  },
  webhooks: {
    name: 'keda-admission-webhooks',
    replicas: 1,
    replicasValue: 'webhooks.replicaCount',
    containers: [{ values: 'resources.webhooks', cpuMillis: 10, memoryMiB: 48, memoryLimitMiB: 128 }],
  },
} as const satisfies Record<string, ReleasedWorkload>;

const VERSION = '2.20.2';

/** KEDA from its chart, whose version follows KEDA's (chart 2.x.y ships KEDA 2.x.y). */
export const KEDA: UpstreamChart = {
  name: 'keda',
  project: 'KEDA',
  release: { repo: 'kedacore/keda', ref: `v${VERSION}` },
  chart: {
    repoURL: 'https://kedacore.github.io/charts',
    name: 'keda',
    version: VERSION,
    source: { repo: 'kedacore/charts', ref: `v${VERSION}`, path: 'keda' },
  },
  // "Kubernetes Compatibility" (N-2 tested): v2.20 on v1.33 to v1.35; v2.21 is unreleased, "TBD".
  kubernetes: {
    oldest: '1.33',
    newest: '1.35',
    basis: 'tested',
    source: 'kedacore/keda-docs@a55c5d34:content/docs/2.20/operate/cluster.md',
  },
  workloads: Object.values(KEDA_WORKLOADS),
  creates: {
    cluster: {
      'admissionregistration.k8s.io': ['ValidatingWebhookConfiguration'],
      'apiextensions.k8s.io': ['CustomResourceDefinition'],
      'apiregistration.k8s.io': ['APIService'],
      'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
    },
    namespaced: { '': ['Service', 'ServiceAccount'], apps: ['Deployment'], 'rbac.authorization.k8s.io': ['Role', 'RoleBinding'] },
    ownSecrets: [
      {
        name: 'kedaorg-certs',
        reason: "the operator's self-signed certificates for its webhooks and metrics API, which it generates and rotates",
      },
    ],
    source: 'helm template of the pinned chart with our values (cluster1), --include-crds --kube-version 1.33',
  },
};
