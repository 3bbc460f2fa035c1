import type { ReleasedContainer, ReleasedWorkload, UpstreamChart } from '../lib/upstream';

/** The Helm release name, which the chart prefixes every object with (`fullnameOverride`). */
export const MONITORING_RELEASE_NAME = 'monitoring';

/**
 * The config reloader the operator adds to Prometheus and Alertmanager pods: one values key
 * (`prometheusOperator.prometheusConfigReloader.resources`) sets both.
 */
const CONFIG_RELOADER: ReleasedContainer = {
  values: 'prometheusOperator.prometheusConfigReloader.resources',
  cpuMillis: 10,
  memoryMiB: 32,
  memoryLimitMiB: 64,
};

/**
 * What kube-prometheus-stack runs under our release name and what we give it, for a 3-node site
 * with a few hundred series per component. Prometheus and Alertmanager run two replicas on
 * different nodes: each Prometheus scrapes everything (a node loss leaves one with the full
 * history since it started), the two Alertmanagers gossip silences and deduplicate notifications.
 * Grafana is one replica: its dashboards and datasource are provisioned from git, its database
 * holds sessions only, and a second replica would need a shared database.
 */
export const MONITORING_WORKLOADS = {
  operator: {
    name: `${MONITORING_RELEASE_NAME}-operator`,
    replicas: 1,
    containers: [{ values: 'prometheusOperator.resources', cpuMillis: 50, memoryMiB: 64, memoryLimitMiB: 128 }],
  },
  prometheus: {
    name: `prometheus-${MONITORING_RELEASE_NAME}-prometheus`,
    kind: 'StatefulSet',
    replicas: 2,
    replicasValue: 'prometheus.prometheusSpec.replicas',
    onePerNode: true,
    podLabels: { 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': `${MONITORING_RELEASE_NAME}-prometheus` },
    service: { name: `${MONITORING_RELEASE_NAME}-prometheus`, ports: [9090] },
    containers: [{ values: 'prometheus.prometheusSpec.resources', cpuMillis: 200, memoryMiB: 768, memoryLimitMiB: 1536 }, CONFIG_RELOADER],
  },
  alertmanager: {
    name: `alertmanager-${MONITORING_RELEASE_NAME}-alertmanager`,
    kind: 'StatefulSet',
    replicas: 2,
    replicasValue: 'alertmanager.alertmanagerSpec.replicas',
    onePerNode: true,
    podLabels: { 'app.kubernetes.io/name': 'alertmanager', alertmanager: `${MONITORING_RELEASE_NAME}-alertmanager` },
    service: { name: `${MONITORING_RELEASE_NAME}-alertmanager`, ports: [9093] },
    containers: [{ values: 'alertmanager.alertmanagerSpec.resources', cpuMillis: 20, memoryMiB: 64, memoryLimitMiB: 128 }, CONFIG_RELOADER],
  },
  grafana: {
    name: `${MONITORING_RELEASE_NAME}-grafana`,
    replicas: 1,
    podLabels: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': MONITORING_RELEASE_NAME },
    service: { name: `${MONITORING_RELEASE_NAME}-grafana`, ports: [80] },
    containers: [
      { values: 'grafana.resources', cpuMillis: 50, memoryMiB: 192, memoryLimitMiB: 384 },
      // The dashboards and datasources sidecars (grafana-sc-dashboard, grafana-sc-datasources) share one key.
      { values: 'grafana.sidecar.resources', cpuMillis: 10, memoryMiB: 64, memoryLimitMiB: 128 },
      { values: 'grafana.sidecar.resources', cpuMillis: 10, memoryMiB: 64, memoryLimitMiB: 128 },
    ],
  },
  kubeStateMetrics: {
    name: `${MONITORING_RELEASE_NAME}-kube-state-metrics`,
    replicas: 1,
    containers: [{ values: 'kube-state-metrics.resources', cpuMillis: 20, memoryMiB: 64, memoryLimitMiB: 128 }],
  },
  nodeExporter: {
    name: `${MONITORING_RELEASE_NAME}-prometheus-node-exporter`,
    kind: 'DaemonSet',
    replicas: 'perNode',
    containers: [{ values: 'prometheus-node-exporter.resources', cpuMillis: 20, memoryMiB: 32, memoryLimitMiB: 64 }],
  },
} as const satisfies Record<string, ReleasedWorkload>;

const VERSION = '88.3.0';

/**
 * kube-prometheus-stack: chart 88.3.0 ships prometheus-operator v0.93.0 (the release whose
 * monitoring.coreos.com CRDs tools/upstream-inputs.ts imports), Prometheus v3.13.2, Alertmanager
 * v0.33.1, Grafana 13.1.3 (grafana chart 12.10.4), kube-state-metrics v2.19.1 (chart 8.2.0) and
 * node-exporter v1.12.1 (chart 4.56.1), checked with `helm template` on the chart at its tag.
 */
export const MONITORING: UpstreamChart = {
  name: 'kube-prometheus-stack',
  project: 'Prometheus Operator',
  release: { repo: 'prometheus-operator/prometheus-operator', ref: 'v0.93.0' },
  chart: {
    repoURL: 'https://prometheus-community.github.io/helm-charts',
    name: 'kube-prometheus-stack',
    version: VERSION,
    source: { repo: 'prometheus-community/helm-charts', ref: `kube-prometheus-stack-${VERSION}`, path: 'charts/kube-prometheus-stack' },
  },
  // "Kubernetes": v0.84.0 and later require 1.25 (CEL in the CRDs); the operator is built with
  // client-go v0.36.3, and further compatibility is "best effort": a lower bound only.
  kubernetes: {
    oldest: '1.25',
    basis: 'prerequisite',
    source: 'prometheus-operator/prometheus-operator@v0.93.0:Documentation/getting-started/compatibility.md',
  },
  workloads: Object.values(MONITORING_WORKLOADS),
  creates: {
    cluster: {
      'apiextensions.k8s.io': ['CustomResourceDefinition'],
      'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
    },
    namespaced: {
      '': ['ConfigMap', 'Secret', 'Service', 'ServiceAccount'],
      apps: ['DaemonSet', 'Deployment'],
      'monitoring.coreos.com': ['Alertmanager', 'Prometheus', 'ServiceMonitor'],
      policy: ['PodDisruptionBudget'],
    },
    ownSecrets: [
      {
        name: `alertmanager-${MONITORING_RELEASE_NAME}-alertmanager`,
        reason:
          "Alertmanager's configuration, which the chart renders as a Secret from our values; it holds no credential (the SMTP password is read from a file filled by External Secrets)",
      },
    ],
    source:
      'helm template of the pinned chart and its subcharts with our values (cluster1 and cluster2), --include-crds --kube-version 1.33',
  },
};
