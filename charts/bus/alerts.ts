/**
 * Alerts on the bus, read from prometheus-nats-exporter's JetStream metrics
 * (nats-io/prometheus-nats-exporter@v0.17.3:collector/jsz.go, `-jsz=all`) and the servers' scrape.
 */
import type { AlertRule } from '../lib/alerts';
import { DEAD_LETTER_SUFFIX } from './dead-letters';

const RUNBOOK = 'docs/runbooks/bus-alerts.md';

/** What the exporter sidecar serves that alerts and dashboards read. */
export const BUS_METRICS = [
  'jetstream_server_jetstream_disabled',
  'jetstream_server_total_streams',
  'jetstream_server_total_messages',
  'jetstream_stream_total_messages',
  'jetstream_stream_total_bytes',
  'jetstream_stream_limit_bytes',
  'jetstream_consumer_num_pending',
  'jetstream_consumer_num_ack_pending',
] as const;

/** The bus's alerts: JetStream without quorum, a stream nearly at its size limit, dead letters. */
export function busAlerts(job: string, quorum: number): AlertRule[] {
  // The exporter serves a server's JetStream state only while it can read that server's /jsz: its
  // own scrape stays up when the server does not answer (collector/collector.go Collect), so `up`
  // cannot tell a server that is gone. A server counts when it serves JetStream and knows a meta
  // leader: the exporter labels its state with the leader the server reports (`meta_leader`, empty
  // while the meta group has none: nats-server@v2.14.5:server/monitor.go Jsz), so servers all up
  // but without a leader (a partition, an election that does not end) count as none.
  const enabled = (i: number, v: string) => ({
    series: `jetstream_server_jetstream_disabled{job="${job}",instance="nats-${i}",meta_leader="nats-0"}`,
    values: v,
  });
  const serving = `jetstream_server_jetstream_disabled{job="${job}",meta_leader!=""} == 0`;
  const stream = (metric: string, v: string) => ({ series: `${metric}{job="${job}",instance="nats-0",stream_name="images"}`, values: v });
  const deadLetters = (i: number, leader: boolean, v: string) => ({
    series: `jetstream_stream_total_messages{job="${job}",instance="nats-${i}",stream_name="RESIZE${DEAD_LETTER_SUFFIX}",is_stream_leader="${leader}"}`,
    values: v,
  });
  return [
    {
      name: 'BusJetStreamNoQuorum',
      expr: `count(${serving}) < ${quorum} or absent(${serving})`,
      for: '2m',
      severity: 'critical',
      summary: `Fewer than ${quorum} NATS servers of this site serve JetStream with a meta leader: it has no quorum, publishes and acknowledgements stop.`,
      runbook: `${RUNBOOK}#busjetstreamnoquorum`,
      proof: {
        // One server lost keeps the quorum; two lost lose it, whether their state stops coming
        // (the exporter cannot reach them) or says JetStream is off.
        failing: [enabled(0, '0x10'), enabled(1, '0 _x10'), enabled(2, '0 1x10')],
        healthy: [enabled(0, '0x10'), enabled(1, '0x10'), enabled(2, '0 _x10')],
        at: '10m',
      },
    },
    {
      name: 'BusStreamNearlyFull',
      expr: `max by (stream_name) (jetstream_stream_total_bytes{job="${job}"} / jetstream_stream_limit_bytes{job="${job}"}) > 0.8`,
      for: '15m',
      severity: 'warning',
      summary:
        'Stream {{ $labels.stream_name }} holds more than 80 % of its size limit: consumers are backing up, and at the limit the stream refuses or discards messages.',
      runbook: `${RUNBOOK}#busstreamnearlyfull`,
      proof: {
        failing: [stream('jetstream_stream_total_bytes', '900x20'), stream('jetstream_stream_limit_bytes', '1000x20')],
        healthy: [stream('jetstream_stream_total_bytes', '100x20'), stream('jetstream_stream_limit_bytes', '1000x20')],
        at: '20m',
        labels: { stream_name: 'images' },
      },
    },
    {
      name: 'BusMessagesDeadLettered',
      // Every server of a stream reports it; the leader's count is the stream's (a follower may
      // still count a dead letter just deleted). Dead letters stay until someone replays or
      // discards them (or their max age, longer than the originals'), so the alert does not clear
      // by itself while the message can still be replayed.
      expr: `max by (stream_name) (jetstream_stream_total_messages{job="${job}",stream_name=~".+${DEAD_LETTER_SUFFIX}",is_stream_leader="true"}) > 0`,
      for: '1m',
      severity: 'warning',
      summary:
        "Dead-letter stream {{ $labels.stream_name }} holds {{ $value }} message(s) given up after their last delivery: nobody processes them, and each original is dropped at its stream's max age.",
      runbook: 'docs/runbooks/dead-letters.md#busmessagesdeadlettered',
      proof: {
        failing: [deadLetters(0, true, '0x5 1x15')],
        healthy: [deadLetters(0, true, '0x5 1x5 0x10'), deadLetters(1, false, '0x5 1x15')],
        at: '20m',
        labels: { stream_name: `RESIZE${DEAD_LETTER_SUFFIX}` },
      },
    },
  ];
}
