/**
 * Argo CD's application controller serves `argocd_app_info` on port 8082, a series per
 * Application with its health and sync status (argoproj/argo-cd@v3.5.1:controller/metrics/metrics.go,
 * manifests/base/application-controller/argocd-metrics.yaml).
 */
import type { AlertRule } from '../lib/alerts';

export const APPLICATION_CONTROLLER_METRICS = {
  port: 8082,
  podLabels: { 'app.kubernetes.io/name': 'argocd-application-controller' },
  metrics: ['argocd_app_info'],
} as const;

const RUNBOOK = 'docs/runbooks/argocd-alerts.md';

function app(health: string, sync: string, v: string) {
  return {
    series: `argocd_app_info{name="bus",namespace="argocd",project="platform",health_status="${health}",sync_status="${sync}"}`,
    values: v,
  };
}
const labels = (health: string, sync: string) => ({
  name: 'bus',
  namespace: 'argocd',
  project: 'platform',
  health_status: health,
  sync_status: sync,
});

export const ARGOCD_ALERTS: readonly AlertRule[] = [
  {
    name: 'ArgoCdApplicationDegraded',
    expr: 'argocd_app_info{health_status=~"Degraded|Missing"} == 1',
    for: '15m',
    severity: 'warning',
    summary: 'Application {{ $labels.name }} is {{ $labels.health_status }}: what git describes does not run.',
    runbook: `${RUNBOOK}#argocdapplicationdegraded`,
    proof: {
      failing: [app('Degraded', 'Synced', '1x20')],
      healthy: [app('Healthy', 'Synced', '1x20')],
      at: '20m',
      labels: labels('Degraded', 'Synced'),
    },
  },
  {
    name: 'ArgoCdApplicationOutOfSync',
    expr: 'argocd_app_info{sync_status="OutOfSync"} == 1',
    for: '1h',
    severity: 'warning',
    summary: 'Application {{ $labels.name }} has been OutOfSync for an hour: the cluster is not what main renders.',
    runbook: `${RUNBOOK}#argocdapplicationoutofsync`,
    proof: {
      failing: [app('Healthy', 'OutOfSync', '1x70')],
      healthy: [app('Healthy', 'Synced', '1x70')],
      at: '70m',
      labels: labels('Healthy', 'OutOfSync'),
    },
  },
];
