import type { ReleasedWorkload, UpstreamChart } from '../lib/upstream';

/**
 * Two replicas on different nodes: the HPAs and `kubectl top` keep working through a node loss,
 * and the APIService stays Available (an unavailable aggregated API fails API discovery for every
 * client). Requests: upstream's defaults (100m, 200Mi) are sized for 100 nodes and scale with them
 * ("Scaling" in the README); a 3-node site needs a fraction.
 */
export const METRICS_SERVER_WORKLOAD = {
  name: 'metrics-server',
  replicas: 2,
  replicasValue: 'replicas',
  spread: true,
  // The chart's pod labels (templates/_helpers.tpl, selectorLabels), for spreading and policies.
  podLabels: { 'app.kubernetes.io/name': 'metrics-server', 'app.kubernetes.io/instance': 'metrics-server' },
  containers: [{ values: 'resources', cpuMillis: 20, memoryMiB: 64, memoryLimitMiB: 128 }],
} as const satisfies ReleasedWorkload;

const CHART_VERSION = '3.13.1';

/** metrics-server from its chart: chart 3.13.1 ships metrics-server 0.8.1. */
export const METRICS_SERVER_RELEASE: UpstreamChart = {
  name: 'metrics-server',
  project: 'metrics-server',
  release: { repo: 'kubernetes-sigs/metrics-server', ref: 'v0.8.1' },
  chart: {
    repoURL: 'https://kubernetes-sigs.github.io/metrics-server/',
    name: 'metrics-server',
    version: CHART_VERSION,
    source: { repo: 'kubernetes-sigs/metrics-server', ref: `metrics-server-helm-chart-${CHART_VERSION}`, path: 'charts/metrics-server' },
  },
  // "Compatibility Matrix": 0.8.x supports Kubernetes 1.31+.
  kubernetes: {
    oldest: '1.31',
    basis: 'supported',
    source: `kubernetes-sigs/metrics-server@metrics-server-helm-chart-${CHART_VERSION}:README.md`,
  },
  workloads: [METRICS_SERVER_WORKLOAD],
  creates: {
    cluster: { 'apiregistration.k8s.io': ['APIService'], 'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'] },
    namespaced: {
      '': ['Service', 'ServiceAccount'],
      apps: ['Deployment'],
      policy: ['PodDisruptionBudget'],
      'rbac.authorization.k8s.io': ['RoleBinding'],
    },
    source: 'helm template of the pinned chart with our values (cluster1), --include-crds --kube-version 1.33',
  },
};
