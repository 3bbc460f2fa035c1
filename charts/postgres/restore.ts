/**
 * Restoring a base backup (docs/runbooks/postgres-restore.md): the spec `stolonctl init` gets on
 * the primary site, rendered next to the git spec so the runbook types no JSON.
 *
 * What stolon's `pitr` init does on PostgreSQL 15 (cmd/keeper/cmd/keeper.go, `DBInitModePITR`):
 * it runs `dataRestoreCommand`, writes recovery.signal, and sets `restore_command` only from
 * `archiveRecoverySettings`; PostgreSQL refuses archive recovery without one ("must specify
 * restore_command when standby mode is not enabled"). It never removes a standby.signal that came
 * with the data; the backup job reads through stolon-readonly, so its backup may come from a
 * standby keeper, whose data directory has one, and the restored server would stay a standby
 * (stolon then waits forever for recovery to end). So the command unpacks the data, removes the
 * signal files, unpacks the WAL beside it, and `restore_command` copies WAL from there: recovery
 * replays the backup's WAL, finds no more, and ends on a new timeline as a writable primary.
 */
import { KEEPER_DATA_DIR } from './pods';
import type { PitrConfig, StolonClusterSpec } from './spec';

/** Where the runbook puts the fetched backup, on keeper0's volume (outside PostgreSQL's data directory). */
export const RESTORE_DIR = `${KEEPER_DATA_DIR}/restore`;
/** File name of the restore spec in the spec ConfigMap. */
export const RESTORE_SPEC_FILE = 'restore-spec.json';

/** The pitr configuration of a restore from `base.tar.gz` and `pg_wal.tar.gz` in RESTORE_DIR. */
export const RESTORE_PITR: PitrConfig = {
  dataRestoreCommand: [
    `tar -xzf ${RESTORE_DIR}/base.tar.gz -C "%d"`,
    'rm -f "%d/standby.signal" "%d/recovery.signal"',
    `mkdir -p ${RESTORE_DIR}/wal`,
    `tar -xzf ${RESTORE_DIR}/pg_wal.tar.gz -C ${RESTORE_DIR}/wal`,
  ].join(' && '),
  archiveRecoverySettings: { restoreCommand: `cp ${RESTORE_DIR}/wal/%f "%p"` },
};

/** The spec of the restore: the primary's spec from git, initialised from the backup. */
export function restoreSpec(spec: StolonClusterSpec): StolonClusterSpec {
  if (spec.role !== 'master') throw new Error('a restore runs on the primary site; a standby site is rebuilt from the primary');
  return { ...spec, initMode: 'pitr', pitrConfig: RESTORE_PITR };
}
