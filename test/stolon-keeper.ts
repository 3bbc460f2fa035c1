/**
 * What a stolon keeper (sorintlab/stolon@bcea7a75) does to a PostgreSQL 15 data directory, for the
 * tests that cannot run stolon itself: the files it writes before starting PostgreSQL and the
 * `pitr` init. Each step names the upstream code it follows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PG_BIN, PgCluster, asPostgres } from './pg-server';

/** `pitrConfig` of a stolon cluster spec, as rendered. */
export interface PitrConfig {
  readonly dataRestoreCommand: string;
  readonly archiveRecoverySettings?: { readonly restoreCommand: string };
}

/** The fields of a rendered stolon cluster spec (cluster-spec.json) the PostgreSQL tests read. */
export interface RenderedSpec {
  role: 'master' | 'standby';
  initMode: 'new' | 'pitr';
  additionalMasterReplicationSlots: string[];
  pgParameters: Record<string, string>;
  maxStandbys: number;
  usePgrewind: boolean;
  defaultSUReplAccessMode: string;
  pgHBA: string[];
  pitrConfig?: PitrConfig;
  standbyConfig?: { standbySettings: { primaryConnInfo: string; primarySlotName: string } };
}

/** internal/postgresql/utils.go `expand`: `%d` is the data directory, `%%` a percent sign. */
export function expandRestoreCommand(command: string, dataDir: string): string {
  return command.replace(/%[d%]/g, (m) => (m === '%d' ? dataDir : '%'));
}

/**
 * A standby keeper's start (internal/postgresql/postgresql.go `writeConfs` for PostgreSQL >= 12):
 * postgresql.conf with the parameters and the recovery parameters (`createRecoveryOptions`:
 * primary_conninfo, primary_slot_name, recovery_target_timeline), pg_hba.conf, standby.signal.
 */
export function startAsStandbyKeeper(
  pg: PgCluster,
  config: { parameters: Record<string, string>; hba: readonly string[]; port: number },
  standby: { primaryConninfo: string; primarySlotName?: string },
): void {
  const recovery = {
    primary_conninfo: standby.primaryConninfo,
    ...(standby.primarySlotName ? { primary_slot_name: standby.primarySlotName } : {}),
    recovery_target_timeline: 'latest',
  };
  pg.writeConfig('postgresql.conf', { ...config.parameters, ...recovery }, config.hba, config.port);
  fs.writeFileSync(path.join(pg.data, 'standby.signal'), '');
  pg.ownData();
  const r = pg.startServer();
  if (r.status !== 0) throw new Error(`standby did not start: ${r.stderr}\n${pg.log()}`);
}

/**
 * The slots a keeper keeps on its PostgreSQL when its db is the cluster's master db, which on a
 * standby cluster is the keeper following the other site (cmd/sentinel/cmd/sentinel.go
 * `setDBSpecFromClusterSpec` gives it the spec's additionalMasterReplicationSlots; `dbType` is
 * master for a db following an external one). cmd/keeper/cmd/keeper.go `updateReplSlots`, with no
 * keeper of its own site following: drops every `stolon_` slot not wanted, creates the wanted ones
 * missing with `pg_create_physical_replication_slot(name)` (internal/postgresql/utils.go: no WAL
 * reserved until a standby connects).
 */
export function refreshReplicationSlots(pg: PgCluster, spec: Pick<RenderedSpec, 'additionalMasterReplicationSlots'>): void {
  const wanted = spec.additionalMasterReplicationSlots.map((slot) => `stolon_${slot}`);
  const current = pg.sql('SELECT slot_name FROM pg_replication_slots').split('\n').filter(Boolean);
  for (const slot of current.filter((s) => s.startsWith('stolon_') && !wanted.includes(s))) {
    // stolon logs a failed drop (a standby still connected) and goes on.
    try {
      pg.sql(`SELECT pg_drop_replication_slot('${slot}')`);
    } catch {
      /* as stolon: retried on the next check */
    }
  }
  for (const slot of wanted.filter((s) => !current.includes(s))) pg.sql(`SELECT pg_create_physical_replication_slot('${slot}')`);
}

/**
 * A standby keeper whose db's role becomes master (cmd/keeper/cmd/keeper.go, `targetRole` master,
 * local role standby): `SetRecoveryOptions(nil)`, internal/postgresql/postgresql.go `Promote`
 * (`pg_ctl promote -w`, then `writeConfs`: postgresql.conf with the parameters and no recovery
 * parameters; PostgreSQL itself removes standby.signal), then the master's slots.
 */
export function promoteKeeper(
  pg: PgCluster,
  spec: Pick<RenderedSpec, 'additionalMasterReplicationSlots'>,
  config: { parameters: Record<string, string>; hba: readonly string[]; port: number },
): void {
  const r = asPostgres(`${PG_BIN}/pg_ctl`, ['promote', '-w', '-D', pg.data]);
  if (r.status !== 0) throw new Error(`pg_ctl promote failed: ${r.stderr}\n${pg.log()}`);
  pg.writeConfig('postgresql.conf', config.parameters, config.hba, config.port);
  refreshReplicationSlots(pg, spec);
}

/** A base backup of `from` into `pg`'s (absent) data directory, as a new standby keeper takes it. */
export function baseBackup(pg: PgCluster, from: PgCluster, user: string, password: string): void {
  fs.mkdirSync(pg.data, { recursive: true, mode: 0o700 });
  pg.ownData();
  const r = asPostgres(
    `${PG_BIN}/pg_basebackup`,
    ['-D', pg.data, '-h', '127.0.0.1', '-p', String(from.port), '-U', user, '--wal-method=stream', '--checkpoint=fast', '--no-password'],
    { PGPASSWORD: password },
  );
  if (r.status !== 0) throw new Error(`pg_basebackup failed: ${r.stderr}`);
}

/** How a `pitr` init ended. */
export interface PitrResult {
  /** Whether PostgreSQL started at all (pg_ctl's answer). */
  readonly started: boolean;
  /** Whether recovery completed within the wait (recovery.signal removed by PostgreSQL at the end). */
  readonly recoveryDone: boolean;
}

/**
 * cmd/keeper/cmd/keeper.go, `DBInitModePITR`: remove the data directory, run `dataRestoreCommand`
 * (`/bin/sh -c`, %d expanded; internal/postgresql/postgresql.go `Restore`), set the recovery
 * options (`createRecoveryOptions`: restore_command only from `archiveRecoverySettings`,
 * recovery_target_timeline `latest`; a standby cluster adds primary_conninfo and
 * primary_slot_name), start with stolon-temp-postgresql.conf (which includes the restored
 * postgresql.conf, then sets the parameters and the recovery parameters), and write the signal
 * file: recovery.signal for a master cluster, standby.signal for a standby cluster, never
 * removing one that came with the data. A master cluster then waits for recovery.signal to
 * disappear (`WaitRecoveryDone`; stolon's default syncTimeout is 0: forever, here `waitSeconds`).
 */
export async function stolonPitrInit(
  pg: PgCluster,
  pitr: PitrConfig,
  config: { parameters: Record<string, string>; hba: readonly string[]; port: number },
  env: Record<string, string>,
  options: { standby?: { primaryConninfo: string; primarySlotName: string }; waitSeconds?: number } = {},
): Promise<PitrResult> {
  fs.rmSync(pg.data, { recursive: true, force: true });
  fs.mkdirSync(pg.data, { recursive: true, mode: 0o700 });
  pg.ownData();
  const restore = asPostgres('/bin/sh', ['-c', expandRestoreCommand(pitr.dataRestoreCommand, pg.data)], env);
  if (restore.status !== 0) throw new Error(`dataRestoreCommand failed: ${restore.stderr}`);
  const recovery: Record<string, string> = { recovery_target_timeline: 'latest' };
  if (options.standby) {
    recovery.primary_conninfo = options.standby.primaryConninfo;
    recovery.primary_slot_name = options.standby.primarySlotName;
  }
  if (pitr.archiveRecoverySettings) recovery.restore_command = pitr.archiveRecoverySettings.restoreCommand;
  const include = fs.existsSync(path.join(pg.data, 'postgresql.conf')) ? 'postgresql.conf' : undefined;
  pg.writeConfig('stolon-temp-postgresql.conf', { ...config.parameters, ...recovery }, config.hba, config.port, include);
  const signal = path.join(pg.data, options.standby ? 'standby.signal' : 'recovery.signal');
  fs.writeFileSync(signal, '');
  pg.ownData();
  const started = pg.startServer([`-c config_file=${path.join(pg.data, 'stolon-temp-postgresql.conf')}`], 20);
  if (started.status !== 0) return { started: false, recoveryDone: false };
  if (options.standby) return { started: true, recoveryDone: false };
  for (let i = 0; i < (options.waitSeconds ?? 30) * 4; i++) {
    if (!fs.existsSync(signal)) return { started: true, recoveryDone: true };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { started: true, recoveryDone: false };
}
