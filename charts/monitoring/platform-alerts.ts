/**
 * What the monitoring stack itself measures, and the alerts on it that belong to no one component:
 * pods crash-looping, nodes down, volumes nearly full, targets down, and what the blackbox probes
 * see (another site lost, a public route down, a certificate about to expire).
 */
import type { AlertRule } from '../lib/alerts';

const RUNBOOK = 'docs/runbooks/monitoring.md';

/**
 * The metrics the stack's own exporters serve, by exporter, that alerts and dashboards may read
 * (test/monitoring-exporters.test.ts runs node-exporter and blackbox-exporter and finds each of
 * theirs; the others are the stable metrics of kube-state-metrics' and the kubelet's docs).
 */
export const MONITORING_METRICS = {
  /** Written by Prometheus: a sample per target it scrapes, a series per pending or firing alert. */
  prometheus: ['up', 'ALERTS'],
  kubeStateMetrics: ['kube_pod_container_status_waiting_reason', 'kube_node_status_condition', 'kube_deployment_status_replicas_available'],
  kubelet: ['kubelet_volume_stats_available_bytes', 'kubelet_volume_stats_capacity_bytes'],
  nodeExporter: ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes', 'node_load1', 'node_memory_MemAvailable_bytes'],
  blackbox: ['probe_success', 'probe_duration_seconds', 'probe_ssl_earliest_cert_expiry'],
} as const;

/** Every metric name the stack's exporters serve. */
export const MONITORING_METRIC_NAMES: readonly string[] = Object.values(MONITORING_METRICS).flat();

/** The `probe` label of the blackbox Probes: a floating address of another site, or a public route. */
export const PROBE_KIND = { site: 'site-address', route: 'public-route' } as const;

/** The alert on any scrape target Prometheus cannot reach. */
export const TARGET_DOWN = 'TargetDown';

export const MONITORING_ALERTS: readonly AlertRule[] = [
  {
    name: TARGET_DOWN,
    expr: 'up == 0',
    for: '5m',
    severity: 'warning',
    summary: 'Prometheus cannot scrape {{ $labels.job }} on {{ $labels.instance }}: its metrics, and the alerts on them, are blind.',
    runbook: `${RUNBOOK}#targetdown`,
    proof: {
      failing: [{ series: 'up{job="bus",instance="10.0.0.1:7777"}', values: '0x10' }],
      healthy: [{ series: 'up{job="bus",instance="10.0.0.1:7777"}', values: '1x10' }],
      at: '10m',
      labels: { job: 'bus', instance: '10.0.0.1:7777' },
    },
  },
  {
    name: 'PodCrashLooping',
    expr: 'max by (namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m])) >= 1',
    for: '10m',
    severity: 'warning',
    summary: 'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} keeps crashing.',
    runbook: `${RUNBOOK}#podcrashlooping`,
    proof: {
      failing: [
        {
          series: 'kube_pod_container_status_waiting_reason{namespace="bus",pod="bus-0",container="nats",reason="CrashLoopBackOff"}',
          values: '1x20',
        },
      ],
      healthy: [
        {
          series: 'kube_pod_container_status_waiting_reason{namespace="bus",pod="bus-0",container="nats",reason="CrashLoopBackOff"}',
          values: '0x20',
        },
      ],
      at: '20m',
      labels: { namespace: 'bus', pod: 'bus-0', container: 'nats' },
    },
  },
  {
    name: 'NodeDown',
    expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0',
    for: '5m',
    severity: 'critical',
    summary: 'Node {{ $labels.node }} is not Ready: its pods are lost until it returns or is replaced.',
    runbook: 'docs/runbooks/replace-lost-node.md',
    proof: {
      failing: [{ series: 'kube_node_status_condition{node="n1",condition="Ready",status="true"}', values: '1 0x10' }],
      healthy: [{ series: 'kube_node_status_condition{node="n1",condition="Ready",status="true"}', values: '1x10' }],
      at: '10m',
      labels: { node: 'n1', condition: 'Ready', status: 'true' },
    },
  },
  {
    name: 'VolumeNearlyFull',
    expr: 'kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.1',
    for: '10m',
    severity: 'warning',
    summary: 'Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than 10 % free.',
    runbook: `${RUNBOOK}#volumenearlyfull`,
    proof: {
      failing: [
        { series: 'kubelet_volume_stats_available_bytes{namespace="bus",persistentvolumeclaim="data-bus-0"}', values: '500x20' },
        { series: 'kubelet_volume_stats_capacity_bytes{namespace="bus",persistentvolumeclaim="data-bus-0"}', values: '10000x20' },
      ],
      healthy: [
        { series: 'kubelet_volume_stats_available_bytes{namespace="bus",persistentvolumeclaim="data-bus-0"}', values: '5000x20' },
        { series: 'kubelet_volume_stats_capacity_bytes{namespace="bus",persistentvolumeclaim="data-bus-0"}', values: '10000x20' },
      ],
      at: '20m',
      labels: { namespace: 'bus', persistentvolumeclaim: 'data-bus-0' },
    },
  },
  {
    name: 'SiteUnreachable',
    expr: `max by (target_site) (probe_success{probe="${PROBE_KIND.site}"}) == 0`,
    for: '3m',
    severity: 'critical',
    summary:
      'No floating address of site {{ $labels.target_site }} answers from here: that site is lost or cut off. Its traffic must come here.',
    runbook: `${RUNBOOK}#siteunreachable`,
    proof: {
      // One address of the other site down is not the site down: only all of them.
      failing: [
        { series: `probe_success{probe="${PROBE_KIND.site}",target_site="cluster2",instance="192.0.2.200:443"}`, values: '0x10' },
        { series: `probe_success{probe="${PROBE_KIND.site}",target_site="cluster2",instance="192.0.2.201:5432"}`, values: '0x10' },
      ],
      healthy: [
        { series: `probe_success{probe="${PROBE_KIND.site}",target_site="cluster2",instance="192.0.2.200:443"}`, values: '0x10' },
        { series: `probe_success{probe="${PROBE_KIND.site}",target_site="cluster2",instance="192.0.2.201:5432"}`, values: '1x10' },
      ],
      at: '10m',
      labels: { target_site: 'cluster2' },
    },
  },
  {
    name: 'PublicRouteDown',
    expr: `probe_success{probe="${PROBE_KIND.route}"} == 0`,
    for: '5m',
    severity: 'critical',
    summary: 'The public route {{ $labels.instance }} does not answer through the edge.',
    runbook: `${RUNBOOK}#publicroutedown`,
    proof: {
      failing: [{ series: `probe_success{probe="${PROBE_KIND.route}",instance="https://images.chataik.fr/"}`, values: '0x10' }],
      healthy: [{ series: `probe_success{probe="${PROBE_KIND.route}",instance="https://images.chataik.fr/"}`, values: '1x10' }],
      at: '10m',
      labels: { probe: PROBE_KIND.route, instance: 'https://images.chataik.fr/' },
    },
  },
  {
    name: 'CertificateExpiringSoon',
    expr: `probe_ssl_earliest_cert_expiry{probe="${PROBE_KIND.route}"} - time() < 14 * 86400`,
    for: '1h',
    severity: 'warning',
    summary: 'The certificate of {{ $labels.instance }} expires in less than 14 days: cert-manager did not renew it.',
    runbook: `${RUNBOOK}#certificateexpiringsoon`,
    proof: {
      // At t = 2 h, time() is 7200: an expiry at 1,000,000 s is 11.5 days away, 10,000,000 s is 115.
      failing: [
        {
          series: `probe_ssl_earliest_cert_expiry{probe="${PROBE_KIND.route}",instance="https://images.chataik.fr/"}`,
          values: '1000000x120',
        },
      ],
      healthy: [
        {
          series: `probe_ssl_earliest_cert_expiry{probe="${PROBE_KIND.route}",instance="https://images.chataik.fr/"}`,
          values: '10000000x120',
        },
      ],
      at: '2h',
      labels: { probe: PROBE_KIND.route, instance: 'https://images.chataik.fr/' },
    },
  },
];
