/**
 * The External Secrets controller serves its metrics on port 8080 (`metrics.listen.port`);
 * `externalsecret_status_condition` is 1 for the condition and status an ExternalSecret is in
 * (external-secrets/external-secrets@v2.9.0:pkg/controllers/externalsecret/esmetrics/esmetrics.go).
 */
import type { AlertRule } from '../lib/alerts';

export const CONTROLLER_METRICS = {
  port: 8080,
  // The chart's selectorLabels (deploy/charts/external-secrets/templates/_helpers.tpl) under our release name.
  podLabels: { 'app.kubernetes.io/name': 'external-secrets', 'app.kubernetes.io/instance': 'external-secrets' },
  metrics: ['externalsecret_status_condition'],
} as const;

const series = (status: string, v: string) => ({
  series: `externalsecret_status_condition{name="stolon-superuser",namespace="postgres",condition="Ready",status="${status}"}`,
  values: v,
});

export const EXTERNAL_SECRETS_ALERTS: readonly AlertRule[] = [
  {
    name: 'ExternalSecretNotSynced',
    expr: 'externalsecret_status_condition{condition="Ready",status="False"} == 1',
    for: '15m',
    severity: 'warning',
    summary:
      'ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} cannot read Vault: its Secret keeps its last value, a rotation does not reach the pods, and a new Secret is never created.',
    runbook: 'docs/runbooks/monitoring.md#externalsecretnotsynced',
    proof: {
      failing: [series('False', '1x20')],
      healthy: [series('False', '0x20')],
      at: '20m',
      labels: { name: 'stolon-superuser', namespace: 'postgres', condition: 'Ready', status: 'False' },
    },
  },
];
