import type { ReleasedWorkload, UpstreamChart } from '../lib/upstream';

/**
 * Reloader's one controller. One replica: it acts only on a Secret's update event, so a change
 * made while it is down (a node lost, its own rollout) is not acted on (`reloadOnCreate` and
 * `syncAfterRestart` stay off: with them its first start would restart every annotated workload
 * once); the runbook (docs/runbooks/rotate-a-credential.md) restarts by hand then. The chart sets
 * no resources; it caches the cluster's Secrets (ConfigMaps are ignored), a few hundred a site.
 */
export const RELOADER_WORKLOAD = {
  name: 'reloader-reloader',
  replicas: 1,
  replicasValue: 'reloader.deployment.replicas',
  // The chart's selector labels (templates/_helpers.tpl, `reloader-labels.chart` and the Deployment's selector).
  podLabels: { app: 'reloader-reloader', release: 'reloader' },
  containers: [{ values: 'reloader.deployment.resources', cpuMillis: 10, memoryMiB: 64, memoryLimitMiB: 128 }],
} as const satisfies ReleasedWorkload;

const CHART_VERSION = '2.2.16';

/** Stakater Reloader from its chart: chart 2.2.16 ships Reloader v1.4.21. */
export const RELOADER: UpstreamChart = {
  name: 'reloader',
  project: 'Reloader',
  release: { repo: 'stakater/Reloader', ref: 'v1.4.21' },
  chart: {
    repoURL: 'https://stakater.github.io/stakater-charts',
    name: 'reloader',
    version: CHART_VERSION,
    source: { repo: 'stakater/Reloader', ref: `chart-v${CHART_VERSION}`, path: 'deployments/kubernetes/chart/reloader' },
  },
  // "Compatibility": "Reloader is compatible with Kubernetes >= 1.19", no tested range.
  kubernetes: { oldest: '1.19', basis: 'prerequisite', source: 'stakater/Reloader@v1.4.21:README.md' },
  workloads: [RELOADER_WORKLOAD],
  creates: {
    cluster: { 'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'] },
    namespaced: { '': ['ServiceAccount'], apps: ['Deployment'], 'rbac.authorization.k8s.io': ['Role', 'RoleBinding'] },
    source: 'helm template of the pinned chart with our values (cluster1), --kube-version 1.36',
  },
};
