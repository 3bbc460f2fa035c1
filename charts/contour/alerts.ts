/**
 * The ingress's metrics and alerts. Envoy serves its statistics at `/stats/prometheus`, a
 * cluster's upstream responses counted by status class (`envoy_cluster_upstream_rq_xx` with
 * `envoy_response_code_class`) beside the total (`envoy_cluster_upstream_rq_total`), the names
 * Contour's own dashboards read (projectcontour/contour@v1.33.6:examples/grafana/dashboards.yaml),
 * each labelled `envoy_cluster_name="<namespace>_<service>_<port>"` (Envoy's output quoted in
 * projectcontour/contour@v1.33.6:cmd/contour/shutdownmanager_test.go).
 * Contour counts the HTTPProxies it rejects (`contour_httpproxy_invalid`, by namespace:
 * projectcontour/contour@v1.33.6:internal/metrics/metrics.go).
 */
import type { AlertRule } from '../lib/alerts';

export const ENVOY_METRICS = ['envoy_cluster_upstream_rq_xx', 'envoy_cluster_upstream_rq_total'] as const;
export const CONTOUR_METRICS = ['contour_httpproxy_invalid'] as const;

const RUNBOOK = 'docs/runbooks/ingress-alerts.md';
/** The upstream clusters' share of 5xx answers above which a backend is failing its users. */
const UPSTREAM_5XX_RATIO = 0.05;

/** The Envoy scrape job's targets: Envoy and Contour pods share the chart's `app.kubernetes.io/name`, not their metrics port. */
function envoyUp(job: string, metricsPort: number): string {
  return `up{job="${job}",instance=~".+:${metricsPort}"}`;
}

/** The ingress's alerts, for the scrape job of its pods and Envoy's metrics port. */
export function ingressAlerts(job: string, envoyMetricsPort: number): AlertRule[] {
  const cluster = 'envoy_cluster_name="resizer_resizer-api_80"';
  const rq = (klass: string, v: string) => ({
    series: `envoy_cluster_upstream_rq_xx{${cluster},envoy_response_code_class="${klass}"}`,
    values: v,
  });
  const total = (v: string) => ({ series: `envoy_cluster_upstream_rq_total{${cluster}}`, values: v });
  const envoy = (instance: string, v: string) => ({ series: `up{job="${job}",instance="${instance}:${envoyMetricsPort}"}`, values: v });
  const upEnvoy = envoyUp(job, envoyMetricsPort);
  return [
    {
      name: 'EnvoyUpstream5xxRate',
      expr:
        `sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}[5m]))` +
        ` / sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_total[5m])) > ${UPSTREAM_5XX_RATIO}`,
      for: '10m',
      severity: 'warning',
      summary: `More than ${UPSTREAM_5XX_RATIO * 100} % of the answers of {{ $labels.envoy_cluster_name }} through Envoy are 5xx.`,
      runbook: `${RUNBOOK}#envoyupstream5xxrate`,
      proof: {
        // 100 requests a minute; failing: 10 of them 5xx (10 %), healthy: 1 (1 %).
        failing: [total('0+100x30'), rq('2', '0+90x30'), rq('5', '0+10x30')],
        healthy: [total('0+100x30'), rq('2', '0+99x30'), rq('5', '0+1x30')],
        at: '30m',
        labels: { envoy_cluster_name: 'resizer_resizer-api_80' },
      },
    },
    {
      name: 'EnvoyNoneUp',
      expr: `count(${upEnvoy} == 1) < 1 or absent(${upEnvoy} == 1)`,
      for: '3m',
      severity: 'critical',
      summary: "No Envoy of this site answers Prometheus: the site's ingress is down.",
      runbook: `${RUNBOOK}#envoynoneup`,
      proof: {
        // One Envoy left is enough; the Contour controller's target (port 8000) up is not an Envoy.
        failing: [
          envoy('10.0.0.1', '0x10'),
          envoy('10.0.0.2', '0x10'),
          { series: `up{job="${job}",instance="10.0.0.3:8000"}`, values: '1x10' },
        ],
        healthy: [envoy('10.0.0.1', '0x10'), envoy('10.0.0.2', '1x10')],
        at: '10m',
      },
    },
    {
      name: 'ContourHTTPProxyInvalid',
      expr: 'max by (namespace) (contour_httpproxy_invalid) > 0',
      for: '15m',
      severity: 'warning',
      summary: 'Contour rejects an HTTPProxy in {{ $labels.namespace }}: its route serves nothing.',
      runbook: `${RUNBOOK}#contourhttpproxyinvalid`,
      proof: {
        failing: [{ series: 'contour_httpproxy_invalid{namespace="resizer"}', values: '1x20' }],
        healthy: [{ series: 'contour_httpproxy_invalid{namespace="resizer"}', values: '0x20' }],
        at: '20m',
        labels: { namespace: 'resizer' },
      },
    },
  ];
}
