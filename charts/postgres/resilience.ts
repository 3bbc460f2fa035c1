/**
 * What a node loss or the other site's loss does to PostgreSQL, and the health signals that tell
 * when the standby site silently stopped following the primary (lib/resilience.ts).
 *
 * The standby stops streaming, and nothing else notices, when: a failover inside the primary site
 * recreates its slot from nothing (stolon creates additional slots with
 * `pg_create_physical_replication_slot(name)`, which reserves no WAL until the standby connects:
 * cmd/keeper/cmd/keeper.go `updateReplSlots`, internal/postgresql/utils.go); asynchronous
 * replication left the standby past the new master's fork point; or `max_slot_wal_keep_size`
 * invalidated the slot during a long outage. docs/runbooks/postgres-rebuild-standby.md.
 */
import type { Endpoint } from '../lib/declarations';
import { goDurationSeconds } from '../lib/duration';
import type { FailureBehaviour, HealthSignal, StatefulWorkloadResilience } from '../lib/resilience';
import type { StorageClassChoice } from '../storage/mayastor';
import type { StolonClusterSpec } from './spec';
import { COMPONENT } from '../../model/components';
import { POSTGRES_NAMESPACE, stolonName } from './names';

/** stolon's default proxy check interval (internal/cluster/cluster.go `DefaultProxyCheckInterval`). */
const PROXY_CHECK_SECONDS = 5;
/** stolon's default proxy timeout: proxies stop proxying when the store is unreachable this long. */
const PROXY_TIMEOUT_SECONDS = 15;
const REBUILD_RUNBOOK = 'docs/runbooks/postgres-rebuild-standby.md';

/** `4GB`-style PostgreSQL sizes in bytes. */
export function pgSizeBytes(text: string): number {
  const m = /^(\d+)(kB|MB|GB|TB)$/.exec(text);
  if (!m) throw new Error(`'${text}' is not a PostgreSQL size`);
  return Number(m[1]) * 1024 ** ['kB', 'MB', 'GB', 'TB'].indexOf(m[2]!) * 1024;
}

export function keeperResilience(props: {
  spec: StolonClusterSpec;
  keepers: number;
  volumeGiB: number;
  storage: StorageClassChoice;
  primarySite: string;
  standbySites: readonly string[];
}): StatefulWorkloadResilience {
  const { spec } = props;
  const failover = goDurationSeconds(spec.failInterval) + goDurationSeconds(spec.sleepInterval) + PROXY_CHECK_SECONDS;
  const isPrimary = spec.role === 'master';
  return {
    workload: `StatefulSet/${POSTGRES_NAMESPACE}/${stolonName('keeper')}`,
    members: props.keepers,
    quorum: 1,
    onePerNode: true,
    copies: {
      count: props.keepers,
      placement: props.storage.placement,
      storageClass: props.storage.name,
      volumeReplicas: props.storage.replicas,
      volumeGiB: props.volumeGiB,
    },
    memberLoss: {
      service: 'fails-over',
      recoverySeconds: failover,
      // A standby site takes no writes: only the primary site's master can lose unreplicated commits.
      writesAtRisk: isPrimary && !spec.synchronousReplication ? 'not-yet-replicated' : 'none',
      lostMember: props.storage.placement === 'member-node-local' ? 'waits-for-its-node' : 'rescheduled',
      description:
        "Losing the standby keeper's node changes nothing for clients. Losing the master's: after failInterval the sentinel " +
        `elects the other keeper and the proxies follow (about ${failover} s); replication between the keepers is asynchronous, ` +
        'so commits not yet streamed to it are lost. The lost keeper waits for its node, where its copy is, and resyncs when it ' +
        'returns; if the node is gone for good, docs/runbooks/replace-lost-node.md gives it a new volume on another node.',
    },
    dependencies: [
      {
        on: 'kubernetes-api',
        needs: "the stolon store (cluster data in a ConfigMap, keepers' state on their pods) and the sentinels' leader lock",
        whenLost: `the proxies stop proxying after ${PROXY_TIMEOUT_SECONDS} s (no reads or writes through stolon-proxy); PostgreSQL keeps running, stolon-readonly still answers; no failover`,
      },
      ...(isPrimary
        ? props.standbySites.map((site) => ({
            on: `site:${site}`,
            needs: 'nothing for writes: replication to it is asynchronous',
            whenLost: `slot stolon_${site.replace(/-/g, '_')} keeps WAL for it up to max_slot_wal_keep_size (${spec.pgParameters.max_slot_wal_keep_size}), then is invalidated and the standby site must be rebuilt (${REBUILD_RUNBOOK})`,
          }))
        : [
            {
              on: `site:${props.primarySite}`,
              needs: 'WAL streamed over TLS (verify-full) on its slot, through stolon-primary',
              whenLost: `keeps serving reads at the last replayed point; resumes streaming if the slot still holds the WAL when the primary returns, else must be rebuilt (${REBUILD_RUNBOOK})`,
            },
          ]),
      {
        on: COMPONENT.objectStore,
        needs: 'a bucket for the nightly base backups',
        whenLost: 'the backup job fails (the data is unaffected); older backups stay where they are',
      },
    ],
  };
}

/**
 * How the site's PostgreSQL fails as a whole (seed 000's degraded mode): the primary site writes
 * whatever happens to the standby sites; a standby site serves reads, and writes stop everywhere
 * while the primary site's database is gone, until a standby is promoted by the runbook. What a
 * node loss does to the keepers comes from keeperResilience.
 */
export function postgresFailure(props: {
  spec: StolonClusterSpec;
  primarySite: string;
  standbySites: readonly string[];
  hasBackupStore: boolean;
}): FailureBehaviour {
  const promotion = 'docs/runbooks/postgres-promotion.md';
  const needs = props.hasBackupStore
    ? [
        {
          component: COMPONENT.objectStore,
          whenDown: { state: 'degraded' as const, reason: 'nightly backups fail; the data is unaffected' },
        },
      ]
    : [];
  if (props.spec.role === 'master') {
    return {
      serves: 'PostgreSQL primary (stolon master): reads and writes',
      nodeLoss: { state: 'up', reason: 'stolon-proxy and sentinels run spread over nodes' },
      otherSiteLoss: {
        state: 'up',
        reason: `writes go on (replication is asynchronous); the standby's slot keeps WAL up to max_slot_wal_keep_size (${props.spec.pgParameters.max_slot_wal_keep_size})`,
      },
      otherSites: props.standbySites,
      databasePrimaryLoss: {
        state: 'down',
        reason: `this is the primary: reads and writes stop here until it returns or a standby is promoted (${promotion})`,
        loses: 'commits not yet streamed to the standby site (asynchronous replication)',
      },
      needs,
    };
  }
  const readOnly = (why: string) => ({
    state: 'read-only' as const,
    reason: `${why}: the standby serves reads through stolon-readonly at the last replayed point; writes stop until ${props.primarySite} returns or this site is promoted (${promotion})`,
  });
  return {
    serves: `PostgreSQL standby of ${props.primarySite}: reads here, writes on the primary`,
    nodeLoss: { state: 'up', reason: 'stolon-proxy and sentinels run spread over nodes' },
    otherSiteLoss: readOnly(`${props.primarySite} is gone`),
    // Another standby's loss is nothing to this one: it streams from the primary only.
    otherSites: [props.primarySite],
    linkLoss: readOnly(`no WAL from ${props.primarySite}, and writes from here cannot reach it`),
    databasePrimaryLoss: readOnly(`the primary database on ${props.primarySite} is stopped`),
    needs,
  };
}

/** A signal read with SQL on every keeper, in database `postgres`. */
function sql(keepers: Endpoint, query: string): HealthSignal['source'] {
  return { kind: 'sql', pods: keepers, database: 'postgres', query };
}

/** The health signals of this site's replication: the standby receiving, or the primary's slots retaining WAL. */
export function replicationSignals(spec: StolonClusterSpec, keepers: Endpoint): HealthSignal[] {
  if (spec.role === 'standby') {
    return [
      {
        name: 'PostgresStandbyNotStreaming',
        summary:
          'A keeper of this standby site receives no WAL: from the primary site (its master keeper) or from its local master. ' +
          'Reads are served from data that no longer advances.',
        runbook: REBUILD_RUNBOOK,
        severity: 'critical',
        source: sql(keepers, "SELECT count(*) AS value FROM pg_stat_wal_receiver WHERE status = 'streaming'"),
        unhealthyWhen: { comparison: 'below', threshold: 1 },
        for: '5m',
      },
    ];
  }
  const limit = pgSizeBytes(spec.pgParameters.max_slot_wal_keep_size);
  return spec.additionalMasterReplicationSlots.map((slot) => ({
    name: 'PostgresStandbySlotAtRisk',
    summary:
      `Slot stolon_${slot} of the standby site ${slot}: percent of max_slot_wal_keep_size it retains; 100 when it is missing, ` +
      'reserves nothing (recreated empty after a failover), or was invalidated. The standby cannot resume from it.',
    runbook: REBUILD_RUNBOOK,
    severity: 'critical',
    // A standby keeper of this site holds no slot: it answers 0 (the master answers for the site).
    source: sql(
      keepers,
      "SELECT CASE WHEN pg_is_in_recovery() THEN 0 ELSE COALESCE((SELECT CASE WHEN wal_status = 'lost' OR restart_lsn IS NULL THEN 100 " +
        `ELSE round(100 * pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) / ${limit}) END FROM pg_replication_slots ` +
        `WHERE slot_name = 'stolon_${slot}'), 100) END AS value`,
    ),
    unhealthyWhen: { comparison: 'above', threshold: 80 },
    for: '5m',
  }));
}
