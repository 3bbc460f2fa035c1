/** The resizer's alert: its queue (the workers' consumer on the bus) grows faster than the workers at their maximum drain it. */
import type { AlertRule } from '../lib/alerts';

/**
 * `lagPerWorker` is the pending count KEDA adds a worker for, `maxWorkers` the autoscaler's
 * maximum: a queue that stays above their product for 15 minutes outgrows what the site can run.
 */
export function resizerAlerts(consumer: string, lagPerWorker: number, maxWorkers: number): AlertRule[] {
  const limit = lagPerWorker * maxWorkers;
  const pending = (v: string, leader = true) => ({
    series: `jetstream_consumer_num_pending{job="bus-nats",instance="nats-${leader ? 0 : 1}",consumer_name="${consumer}",is_consumer_leader="${leader}"}`,
    values: v,
  });
  return [
    {
      name: 'ResizerQueueGrowing',
      // Every server of the stream reports the consumer; only its leader's count is the queue
      // (prometheus-nats-exporter collector/jsz.go labels it is_consumer_leader).
      expr: `min_over_time(max(jetstream_consumer_num_pending{consumer_name="${consumer}",is_consumer_leader="true"})[15m:1m]) > ${limit}`,
      for: '5m',
      severity: 'warning',
      summary: `More than ${limit} images wait for the resizer workers for 20 minutes, with the workers at their maximum of ${maxWorkers}: uploads are resized late.`,
      runbook: 'docs/runbooks/bus-alerts.md#resizerqueuegrowing',
      proof: {
        // A burst drained within minutes does not fire, whatever a follower's copy still says; a
        // queue that stays above the limit does.
        failing: [pending(`${limit * 2}x30`)],
        healthy: [pending(`${limit * 2}x5 0x25`), pending(`${limit * 2}x30`, false)],
        at: '25m',
      },
    },
  ];
}
