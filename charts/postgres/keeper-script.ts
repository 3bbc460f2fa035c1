/**
 * What the keeper container runs before stolon-keeper: its identity from the StatefulSet
 * ordinal, the replication passfile, and the TLS files (tls.ts). Exported for the tests, which
 * run it with bash.
 */
import { REPL_PASSFILE } from './spec';
import { keeperTlsScript } from './tls';

/** Where the superuser and replication password Secrets are mounted. */
export const SU_DIR = '/etc/stolon/superuser';
export const REPL_DIR = '/etc/stolon/replication';

/**
 * The keeper UID comes from the StatefulSet ordinal (stolon-keeper-1 -> keeper1), stable over
 * restarts. libpq ignores a passfile others can read and the kubelet makes Secret files
 * group-readable under fsGroup, so the replication password is copied, escaped, mode 0600.
 */
export function keeperScript(): string {
  return [
    'set -eu',
    'export STKEEPER_UID="keeper${POD_NAME##*-}"',
    'umask 077',
    `pw=$(sed -e 's/[\\\\:]/\\\\&/g' ${REPL_DIR}/password)`,
    `printf '*:*:*:%s:%s\\n' "$STKEEPER_PG_REPL_USERNAME" "$pw" > ${REPL_PASSFILE}`,
    ...keeperTlsScript(),
    'exec stolon-keeper',
  ].join('\n');
}
