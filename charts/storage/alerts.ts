/**
 * Mayastor's io-engine metrics exporter (the `metrics-exporter-io-engine` container beside each
 * io-engine, `base.metrics.enabled`, port 9502) serves a gauge per DiskPool: its state (the
 * io-engine's PoolState: 0 unknown, 1 online, 2 degraded, 3 faulted) and its sizes
 * (openebs/mayastor-extensions@v2.7.1:metrics-exporter/src/bin/io_engine/collector/pool.rs;
 * openebs/mayastor@v2.7.1:io-engine/src/bin/io-engine-client/v1/pool_cli.rs for the states).
 */
import type { AlertRule } from '../lib/alerts';

export const IO_ENGINE_METRICS = {
  port: 9502,
  // The io-engine DaemonSet's selector (chart/templates/mayastor/io/io-engine-daemonset.yaml).
  podLabels: { app: 'io-engine' },
  metrics: ['diskpool_status', 'diskpool_total_size_bytes', 'diskpool_used_size_bytes'],
} as const;

const RUNBOOK = 'docs/runbooks/storage-alerts.md';
const pool = (metric: string, v: string) => ({ series: `${metric}{job="io-engine",node="n1",name="pool-n1"}`, values: v });

export const STORAGE_ALERTS: readonly AlertRule[] = [
  {
    name: 'DiskPoolNotOnline',
    expr: 'diskpool_status != 1',
    for: '5m',
    severity: 'critical',
    summary:
      'DiskPool {{ $labels.name }} on {{ $labels.node }} is not online (degraded, faulted or unknown): the volumes with a replica there run on one copy.',
    runbook: `${RUNBOOK}#diskpoolnotonline`,
    proof: {
      failing: [pool('diskpool_status', '1 2x10')],
      healthy: [pool('diskpool_status', '1x10')],
      at: '10m',
      labels: { job: 'io-engine', node: 'n1', name: 'pool-n1' },
    },
  },
  {
    name: 'DiskPoolNearlyFull',
    expr: 'diskpool_used_size_bytes / diskpool_total_size_bytes > 0.85',
    for: '30m',
    severity: 'warning',
    summary: 'DiskPool {{ $labels.name }} on {{ $labels.node }} is more than 85 % used: new replicas and volume growth will fail there.',
    runbook: `${RUNBOOK}#diskpoolnearlyfull`,
    proof: {
      failing: [pool('diskpool_used_size_bytes', '900x40'), pool('diskpool_total_size_bytes', '1000x40')],
      healthy: [pool('diskpool_used_size_bytes', '500x40'), pool('diskpool_total_size_bytes', '1000x40')],
      at: '40m',
      labels: { job: 'io-engine', node: 'n1', name: 'pool-n1' },
    },
  },
];
