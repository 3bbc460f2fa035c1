/**
 * What a change of the stolon cluster specification's `pgParameters` does to the running keepers:
 * a parameter PostgreSQL reads only at server start (`pg_settings.context = 'postmaster'`) takes a
 * restart of every keeper; any other is applied by the keepers' reload.
 */
import { SPEC_FILE } from '../../charts/postgres/pods';
import type { FieldChange } from './fields';
import type { RiskNote } from './risk-types';

/**
 * PostgreSQL 15's parameters of context `postmaster`, as `SELECT name FROM pg_settings WHERE
 * context = 'postmaster' ORDER BY name` lists them on the Debian 15 server (the major version
 * the keepers run). test/diff-postgres.test.ts asks a real PostgreSQL 15 for the same list.
 */
export const POSTMASTER_PARAMETERS: ReadonlySet<string> = new Set([
  'archive_mode',
  'autovacuum_freeze_max_age',
  'autovacuum_max_workers',
  'autovacuum_multixact_freeze_max_age',
  'bonjour',
  'bonjour_name',
  'cluster_name',
  'config_file',
  'data_directory',
  'data_sync_retry',
  'dynamic_shared_memory_type',
  'event_source',
  'external_pid_file',
  'hba_file',
  'hot_standby',
  'huge_page_size',
  'huge_pages',
  'ident_file',
  'ignore_invalid_pages',
  'jit_provider',
  'listen_addresses',
  'logging_collector',
  'max_connections',
  'max_files_per_process',
  'max_locks_per_transaction',
  'max_logical_replication_workers',
  'max_pred_locks_per_transaction',
  'max_prepared_transactions',
  'max_replication_slots',
  'max_wal_senders',
  'max_worker_processes',
  'min_dynamic_shared_memory',
  'old_snapshot_threshold',
  'port',
  'recovery_target',
  'recovery_target_action',
  'recovery_target_inclusive',
  'recovery_target_lsn',
  'recovery_target_name',
  'recovery_target_time',
  'recovery_target_timeline',
  'recovery_target_xid',
  'shared_buffers',
  'shared_memory_type',
  'shared_preload_libraries',
  'superuser_reserved_connections',
  'track_activity_query_size',
  'track_commit_timestamp',
  'unix_socket_directories',
  'unix_socket_group',
  'unix_socket_permissions',
  'wal_buffers',
  'wal_decode_buffer_size',
  'wal_level',
  'wal_log_hints',
]);

interface StolonSpec {
  readonly pgParameters: Record<string, string>;
  readonly automaticPgRestart: boolean;
}

function specOf(text: unknown): StolonSpec | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const spec = JSON.parse(text) as Record<string, unknown>;
    const parameters = spec.pgParameters;
    if (typeof parameters !== 'object' || parameters === null) return undefined;
    return { pgParameters: parameters as Record<string, string>, automaticPgRestart: spec.automaticPgRestart === true };
  } catch {
    return undefined;
  }
}

/** The field of the ConfigMap that holds the specification the keepers run (not the restore one). */
export const SPEC_FIELD = `data.${SPEC_FILE}`;

/** Notes for a changed stolon cluster specification: one per changed parameter. */
export function pgParameterNotes(field: FieldChange): RiskNote[] {
  if (field.path !== SPEC_FIELD) return [];
  const before = specOf(field.before);
  const after = specOf(field.after);
  if (!before || !after) return [];
  const notes: RiskNote[] = [];
  const names = [...new Set([...Object.keys(before.pgParameters), ...Object.keys(after.pgParameters)])].sort();
  for (const name of names) {
    const b = before.pgParameters[name];
    const a = after.pgParameters[name];
    if (b === a) continue;
    const what = `PostgreSQL parameter ${name} ${b ?? '(default)'} -> ${a ?? '(default)'}`;
    const path = `${SPEC_FIELD} pgParameters.${name}`;
    if (POSTMASTER_PARAMETERS.has(name))
      notes.push({
        risk: 'medium',
        path,
        reason: after.automaticPgRestart
          ? `${what} needs a server restart: restart of every keeper (stolon's automaticPgRestart restarts each PostgreSQL; the primary's clients reconnect)`
          : `${what} needs a server restart of every keeper; automaticPgRestart is off, so the old value stays until each keeper is restarted by hand`,
      });
    else notes.push({ risk: 'low', path, reason: `${what}: applied by the keepers' reload, no restart` });
  }
  return notes;
}
