/**
 * The stolon cluster specification, typed, and what the keepers turn it into (postgresql.conf
 * parameters and pg_hba.conf lines). The spec is data in git: sentinels start from it on an empty
 * store, and the update Job applies every later change (see stolon.ts).
 */
import type { Site } from '../../sites';
import { TLS_PARAMETERS, VERIFY_FULL } from './tls';

/** The PostgreSQL major version of the platform: the stolon image, the tests and the docs use it. */
export const POSTGRES_MAJOR = 15;
/** stolon cluster name (the `stolon-cluster` label and `--cluster-name`), the same on every site. */
export const STOLON_CLUSTER = 'chatalk';
/** Superuser and replication user names, the same on every site (the standby logs in to the primary). */
export const SU_USERNAME = 'postgres';
export const REPL_USERNAME = 'replicator';
/** PostgreSQL port of keepers, proxies and the exposed endpoint. */
export const PG_PORT = 5432;

/**
 * The postgresql.conf parameters we set, sized for the seeds' 4 GiB nodes (the keeper container
 * gets 1 GiB). Parameters stolon manages itself (listen_addresses, port, hot_standby,
 * max_wal_senders, max_replication_slots, wal_keep_size, wal_log_hints, synchronous_standby_names,
 * primary_conninfo and the recovery settings) are left out: stolon ignores them in `pgParameters`
 * (cmd/keeper/cmd/keeper.go `managedPGParameters`).
 */
export interface PgParameters {
  /** Connections accepted; equal on both sites (a hot standby refuses to start below its primary's value). */
  readonly max_connections: number;
  /** Shared buffer cache, a quarter of the container's memory. */
  readonly shared_buffers: string;
  /** Planner's estimate of the OS cache available. */
  readonly effective_cache_size: string;
  /** Memory per sort/hash node before spilling to disk. */
  readonly work_mem: string;
  /** Memory for VACUUM, CREATE INDEX. */
  readonly maintenance_work_mem: string;
  /** `replica`: enough for streaming replication and base backups. */
  readonly wal_level: 'replica' | 'logical';
  /** WAL kept before a checkpoint is forced. */
  readonly max_wal_size: string;
  /** WAL recycled rather than removed. */
  readonly min_wal_size: string;
  /** Spread checkpoints over this fraction of the interval. */
  readonly checkpoint_completion_target: number;
  /** Readers on a standby hold back vacuum on the primary rather than get cancelled. */
  readonly hot_standby_feedback: 'on' | 'off';
  /** How long WAL replay waits for conflicting standby queries. */
  readonly max_standby_streaming_delay: string;
  /**
   * How long a standby's WAL receiver streams without a message from the primary before it ends
   * the connection and dials again: what notices a link between the sites that stalls (see
   * `STALLED_LINK_TIMEOUTS`).
   */
  readonly wal_receiver_timeout: string;
  /**
   * How long the primary's WAL sender waits for its standby's reply before it ends the connection
   * and frees the slot for the standby's next one (see `STALLED_LINK_TIMEOUTS`).
   */
  readonly wal_sender_timeout: string;
  /** Largest WAL a replication slot may retain (a lost standby must not fill the primary's disk). */
  readonly max_slot_wal_keep_size: string;
  /** Hash stored for new passwords. */
  readonly password_encryption: 'scram-sha-256';
  /** Log statements slower than this. */
  readonly log_min_duration_statement: string;
  /** Server time zone. */
  readonly timezone: string;
  /** TLS on: the standby site connects with verify-full (tls.ts). */
  readonly ssl: 'on';
  /** Certificate served, copied by the keeper from the cert-manager Secret. */
  readonly ssl_cert_file: string;
  /** Its key (mode 0600, as PostgreSQL requires). */
  readonly ssl_key_file: string;
}

/** One pg_hba.conf line. */
export interface HbaRule {
  /** Connection type. */
  readonly type: 'local' | 'host' | 'hostssl' | 'hostnossl';
  /** Database name, `all` or `replication`. */
  readonly database: string;
  /** Role name or `all`. */
  readonly user: string;
  /** CIDR (host rules only). */
  readonly address?: string;
  /** Authentication method. */
  readonly method: 'scram-sha-256' | 'md5' | 'reject';
}

/** `standbyConfig.standbySettings` of a standby cluster. */
export interface StandbySettings {
  /** libpq connection string to the primary site (host = its exposed address; password from a passfile). */
  readonly primaryConnInfo: string;
  /** Slot on the primary this site streams from. */
  readonly primarySlotName: string;
}

/** `pitrConfig` of a cluster spec (internal/cluster/cluster.go `PITRConfig`). */
export interface PitrConfig {
  /** Shell command filling the empty data directory `%d`. */
  readonly dataRestoreCommand: string;
  /**
   * `restore_command` for the recovery that follows. Required by PostgreSQL (12+) for a master
   * cluster's pitr: stolon then writes recovery.signal, and recovery without standby mode needs it.
   */
  readonly archiveRecoverySettings?: { readonly restoreCommand: string };
}

/** The stolon cluster specification (doc/cluster_spec.md), the fields we set. */
export interface StolonClusterSpec {
  /** Interval between sentinel/keeper checks. */
  readonly sleepInterval: string;
  /** Time after which an unhealthy keeper is declared failed. */
  readonly failInterval: string;
  /** Timeout of store and PostgreSQL requests. */
  readonly requestTimeout: string;
  /** Standbys this cluster may have (gives max_replication_slots and twice as many max_wal_senders). */
  readonly maxStandbys: number;
  /** Asynchronous: with two keepers, synchronous replication would stop writes when one node is down. */
  readonly synchronousReplication: false;
  /** Resync a former master with pg_rewind rather than a full base backup. */
  readonly usePgrewind: boolean;
  /** Restart PostgreSQL itself when a changed parameter needs it. */
  readonly automaticPgRestart: boolean;
  /** `all`: the replication user may connect from any address (the standby site arrives through a proxy). */
  readonly defaultSUReplAccessMode: 'all' | 'strict';
  /** `new` on the primary site; `pitr` (pg_basebackup from the primary) on a standby site. */
  readonly initMode: 'new' | 'pitr';
  /** `master` on the primary site, `standby` elsewhere. */
  readonly role: 'master' | 'standby';
  /** Slots created on the master for other sites (stolon prefixes them with `stolon_`). */
  readonly additionalMasterReplicationSlots: readonly string[];
  /** postgresql.conf parameters. */
  readonly pgParameters: PgParameters;
  /** pg_hba.conf lines after stolon's own superuser/replication lines. */
  readonly pgHBA: readonly HbaRule[];
  /** How a `pitr` init fills the first keeper: a standby site's base backup, or a restore (restore.ts). */
  readonly pitrConfig?: PitrConfig;
  /** Where a standby site replicates from. */
  readonly standbyConfig?: { readonly standbySettings: StandbySettings };
}

/** Where the replication password is written, in pgpass format, for libpq (see the keeper script). */
export const REPL_PASSFILE = '/stolon-run/pgpass';

/** Slot name (without stolon's `stolon_` prefix) a site streams from on the primary: `[a-z0-9_]` only. */
export function slotFor(site: Site): string {
  return site.name.replace(/-/g, '_');
}

/**
 * The replication timeouts, each end's only bound on a link between the sites that stalls
 * (packets dropped, no FIN or RST; test/postgres-stall-live.test.ts runs it). PostgreSQL's
 * defaults (written as `SHOW` prints them), stated because the failure behaviour rests on them:
 * - the standby's receiver would otherwise wait on TCP, whose retransmissions give up after some
 *   15 minutes; the sender answers the receiver's ping, sent at half the timeout, so a quiet link
 *   that works is never taken for a stalled one (src/backend/replication/walreceiver.c);
 * - the primary's sender talks to its site's stolon proxy, which stays up when the link stalls, so
 *   its socket never fails; the proxy's TCP keepalives (daemons.ts) probe only a connection with
 *   nothing unacknowledged, and the sender's messages are unacknowledged on a stalled link. A
 *   sender left running holds the slot, which serves one sender: the standby, back, could not
 *   stream from it until TCP ends the old connection. The standby replies at least every wal_receiver_status_interval (10 s by default)
 *   and the sender asks for a reply at half the timeout.
 * In PostgreSQL 15 neither covers the setup of a new connection (libpqwalreceiver.c waits on the
 * socket with no timeout and libpq's connect_timeout is not applied there): a receiver dialling
 * over a stalled link waits for TCP or for the link.
 */
export const STALLED_LINK_TIMEOUTS = { wal_receiver_timeout: '1min', wal_sender_timeout: '1min' } as const;

/** The parameters of the platform, the same on every site. */
export const PG_PARAMETERS: PgParameters = {
  max_connections: 100,
  shared_buffers: '256MB',
  effective_cache_size: '768MB',
  work_mem: '4MB',
  maintenance_work_mem: '64MB',
  wal_level: 'replica',
  max_wal_size: '1GB',
  min_wal_size: '256MB',
  checkpoint_completion_target: 0.9,
  hot_standby_feedback: 'on',
  max_standby_streaming_delay: '30s',
  ...STALLED_LINK_TIMEOUTS,
  max_slot_wal_keep_size: '4GB',
  password_encryption: 'scram-sha-256',
  log_min_duration_statement: '1s',
  timezone: 'UTC',
  ...TLS_PARAMETERS,
};

/** Whether a site runs PostgreSQL (it may opt out; the primary site may not). */
export function runsPostgres(site: Site): boolean {
  return !site.components?.optOut?.postgres;
}

/** The site that runs the database primary (validation guarantees exactly one). */
export function primarySite(sites: readonly Site[]): Site {
  const primary = sites.find((s) => s.database.role === 'primary');
  if (!primary) throw new Error('no site is the database primary');
  return primary;
}

/**
 * Our pg_hba rules. Clients never reach a keeper directly from outside: applications connect
 * through the stolon proxy, a plain TCP relay, so the keeper sees the proxy pod's address; readers
 * and the backup job connect to keepers from their own pods. Every one of them has a pod address,
 * so `podCidr` is as narrow as PostgreSQL can tell; who may reach the pods is the NetworkPolicies'
 * job (the standby site's replication arrives through the primary's proxy, allowed by stolon's own
 * `host replication <repl> 0.0.0.0/0` line in `all` mode and by an ipBlock on the exposed proxy).
 */
export function hbaRules(site: Site): HbaRule[] {
  return [
    { type: 'host', database: 'all', user: 'all', address: site.network.podCidr, method: 'scram-sha-256' },
    { type: 'host', database: 'all', user: 'all', address: '0.0.0.0/0', method: 'reject' },
    { type: 'host', database: 'all', user: 'all', address: '::/0', method: 'reject' },
  ];
}

/** The cluster spec of one site, from its role and the primary site's exposed address. */
export function clusterSpec(site: Site, sites: readonly Site[]): StolonClusterSpec {
  const primary = primarySite(sites);
  const standbys = sites.filter((s) => s.database.role === 'standby' && runsPostgres(s));
  const base = {
    sleepInterval: '5s',
    failInterval: '20s',
    requestTimeout: '10s',
    // Two keepers of the site, one slot per other site, one spare for a base backup streaming WAL.
    maxStandbys: 2 + standbys.length + 2,
    synchronousReplication: false,
    usePgrewind: true,
    automaticPgRestart: true,
    defaultSUReplAccessMode: 'all',
    // Every site declares the others' slots, so that after a promotion the new master already
    // holds the slot the old primary (rebuilt as a standby) will stream from.
    additionalMasterReplicationSlots: sites
      .filter((s) => s !== site && runsPostgres(s))
      .map(slotFor)
      .sort(),
    pgParameters: PG_PARAMETERS,
    pgHBA: hbaRules(site),
  } as const;
  if (site.database.role === 'primary') return { ...base, role: 'master', initMode: 'new' };
  const host = primary.loadBalancer.fixed.database;
  const tls = `sslmode=${VERIFY_FULL.sslmode} sslrootcert=${VERIFY_FULL.sslrootcert}`;
  const conn = `host=${host} port=${PG_PORT} user=${REPL_USERNAME} passfile=${REPL_PASSFILE} ${tls} application_name=${slotFor(site)}`;
  return {
    ...base,
    role: 'standby',
    initMode: 'pitr',
    pitrConfig: {
      dataRestoreCommand: `PGPASSFILE=${REPL_PASSFILE} PGSSLMODE=${VERIFY_FULL.sslmode} PGSSLROOTCERT=${VERIFY_FULL.sslrootcert} pg_basebackup --pgdata="%d" --host=${host} --port=${PG_PORT} --username=${REPL_USERNAME} --wal-method=stream --checkpoint=fast --no-password`,
    },
    standbyConfig: { standbySettings: { primaryConnInfo: conn, primarySlotName: `stolon_${slotFor(site)}` } },
  };
}

/** postgresql.conf values as stolon writes them (strings). */
export function renderPgParameters(p: PgParameters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(p).sort()) out[key] = String(p[key as keyof PgParameters]);
  return out;
}

/** The spec as stolon reads it (JSON, pgParameters as strings, pgHBA as lines), keys in a fixed order. */
export function specJson(spec: StolonClusterSpec): string {
  const doc = { ...spec, pgParameters: renderPgParameters(spec.pgParameters), pgHBA: spec.pgHBA.map(hbaLine) };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function hbaLine(rule: HbaRule): string {
  return [rule.type, rule.database, rule.user, ...(rule.address ? [rule.address] : []), rule.method].join(' ');
}

/**
 * The whole pg_hba.conf a keeper writes: stolon's own lines for the superuser and the replication
 * user (`generateHBA` in cmd/keeper/cmd/keeper.go, auth method md5, which also accepts the
 * scram-sha-256 verifiers we store), then the spec's rules. Takes the rendered JSON's fields, so
 * the tests check what is in git.
 */
export function keeperHba(spec: { readonly defaultSUReplAccessMode: string; readonly pgHBA: readonly string[] }): string[] {
  const own =
    spec.defaultSUReplAccessMode === 'all'
      ? [
          `host all ${SU_USERNAME} 0.0.0.0/0 md5`,
          `host all ${SU_USERNAME} ::0/0 md5`,
          `host replication ${REPL_USERNAME} 0.0.0.0/0 md5`,
          `host replication ${REPL_USERNAME} ::0/0 md5`,
        ]
      : [];
  return [`local postgres ${SU_USERNAME} md5`, `local replication ${REPL_USERNAME} md5`, ...own, ...spec.pgHBA];
}

/**
 * The parameters a keeper adds to ours (the managed ones), as stolon derives them from the spec:
 * the tests start a real PostgreSQL with the whole configuration.
 */
export function keeperManagedParameters(spec: { readonly maxStandbys: number; readonly usePgrewind: boolean }): Record<string, string> {
  return {
    hot_standby: 'on',
    max_replication_slots: String(spec.maxStandbys),
    // (maxStandbys * 2) + 2 + additionalWalSenders, whose default is 5 (internal/cluster/cluster.go).
    max_wal_senders: String(2 * spec.maxStandbys + 2 + 5),
    wal_log_hints: spec.usePgrewind ? 'on' : 'off',
    // 8 segments of 16 MiB (minWalKeepSegments), in MB.
    wal_keep_size: '128',
  };
}
