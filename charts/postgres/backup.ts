/**
 * Nightly base backups of the site's PostgreSQL into the object store, with retention. A physical
 * base backup (pg_basebackup, tar, gzip, WAL streamed alongside through a temporary slot) restores
 * the whole cluster as it was, roles included; docs/runbooks/postgres-restore.md restores one.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { PlatformComponent } from '../component';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import type { ObjectStore } from '../lib/object-store';
import { TMP_MOUNT, TMP_VOLUME, resources, restrictedContainerSecurity, restrictedPodSecurity, type RotatingSecret } from '../lib/workload';
import { STOLON_IMAGE } from './image';
import { STOLON_UID } from './pods';
import { STOLON_OBJECTS } from './names';
import { PG_PORT, REPL_USERNAME } from './spec';

/** When backups run and how long they are kept. */
export interface BackupSchedule {
  /** Cron schedule (UTC). */
  readonly cron: string;
  /** Backups older than this many days are deleted after each successful backup. */
  readonly retentionDays: number;
  /** Largest backup the scratch volume holds, GiB (compressed archives are staged before upload). */
  readonly scratchGiB: number;
}

export const BACKUP_SCHEDULE: BackupSchedule = { cron: '17 2 * * *', retentionDays: 14, scratchGiB: 10 };

/** Props of the backup. */
export interface StolonBackupProps {
  /** The object store the backups go to. */
  readonly store: ObjectStore;
  /** The keepers the backup reads from (through the `stolon-readonly` Service). */
  readonly keepers: Endpoint;
  /** Secret holding the replication password (pg_basebackup uses the replication protocol). */
  readonly replicationSecret: RotatingSecret;
}

/**
 * The backup script. It reads everything from its environment so that the test runs the very same
 * text against a real PostgreSQL and a local rclone remote. Retention runs only after the new
 * backup is stored, so a string of failed nights never deletes the last good backup.
 */
export const BACKUP_SCRIPT = [
  'set -euo pipefail',
  'umask 077',
  'pw=$(sed -e \'s/[\\\\:]/\\\\&/g\' "$REPL_PASSWORD_FILE")',
  'printf \'*:*:*:%s:%s\\n\' "$PGUSER" "$pw" > "$SCRATCH/.pgpass"',
  'export PGPASSFILE="$SCRATCH/.pgpass"',
  'stamp=$(date -u +%Y%m%dT%H%M%SZ)',
  'dir="$SCRATCH/$stamp"',
  'pg_basebackup --no-password --pgdata="$dir" --format=tar --gzip --wal-method=stream --checkpoint=fast --label="$SITE-$stamp"',
  'for f in "$dir"/*.tar.gz; do gzip --test "$f"; done',
  'rclone copy --no-check-dest "$dir" "store:$BUCKET/$SITE/$stamp"',
  'rm -rf "$dir"',
  'rclone delete --min-age "${RETENTION_DAYS}d" "store:$BUCKET/$SITE"',
  'rclone rmdirs --leave-root "store:$BUCKET/$SITE"',
  'echo "backup $SITE/$stamp stored; older than $RETENTION_DAYS days pruned"',
].join('\n');

export class StolonBackup extends Construct {
  constructor(owner: PlatformComponent, id: string, props: StolonBackupProps) {
    super(owner, id);
    const schedule = BACKUP_SCHEDULE;
    const namespace = props.keepers.namespace;
    const labels = commonLabels(owner.componentName, 'backup');
    const pods = owner.endpoint({ podLabels: labels, ports: [] });
    owner.talksTo(pods, props.keepers, [{ port: PG_PORT }]);
    const bucket = props.store.grant(owner, pods, 'postgres-backups');

    const env: k8s.EnvVar[] = [
      { name: 'SITE', value: owner.site.name },
      { name: 'PGHOST', value: props.keepers.serviceName ?? STOLON_OBJECTS.readOnly },
      { name: 'PGPORT', value: String(PG_PORT) },
      { name: 'PGUSER', value: REPL_USERNAME },
      { name: 'REPL_PASSWORD_FILE', value: '/etc/stolon/replication/password' },
      { name: 'SCRATCH', value: '/backup' },
      { name: 'BUCKET', value: bucket.bucket },
      { name: 'RETENTION_DAYS', value: String(schedule.retentionDays) },
      { name: 'HOME', value: '/tmp' },
      // An rclone remote named `store`, from the environment only (no config file).
      { name: 'RCLONE_CONFIG_STORE_TYPE', value: 's3' },
      { name: 'RCLONE_CONFIG_STORE_PROVIDER', value: 'Other' },
      { name: 'RCLONE_CONFIG_STORE_ENV_AUTH', value: 'true' },
      { name: 'RCLONE_CONFIG_STORE_ENDPOINT', value: bucket.endpointUrl },
      { name: 'RCLONE_CONFIG_STORE_REGION', value: bucket.region },
      { name: 'RCLONE_CONFIG_STORE_FORCE_PATH_STYLE', value: String(bucket.pathStyle) },
      { name: 'RCLONE_CONFIG_STORE_NO_CHECK_BUCKET', value: 'true' },
    ];
    new k8s.KubeCronJob(this, 'cronjob', {
      metadata: { name: 'stolon-backup', namespace, labels },
      spec: {
        schedule: schedule.cron,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: 3 * 3600,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                automountServiceAccountToken: false,
                securityContext: restrictedPodSecurity(STOLON_UID),
                containers: [
                  {
                    name: 'backup',
                    image: STOLON_IMAGE,
                    imagePullPolicy: 'IfNotPresent',
                    command: ['/bin/bash', '-c', BACKUP_SCRIPT],
                    env,
                    envFrom: [{ secretRef: { name: bucket.credentialsSecret.secretName } }],
                    resources: resources({ cpuMillis: 200, memoryMiB: 256 }),
                    securityContext: restrictedContainerSecurity(),
                    volumeMounts: [
                      { name: 'scratch', mountPath: '/backup' },
                      { name: 'replication', mountPath: '/etc/stolon/replication', readOnly: true },
                      TMP_MOUNT,
                    ],
                  },
                ],
                volumes: [
                  { name: 'scratch', emptyDir: { sizeLimit: k8s.Quantity.fromString(`${schedule.scratchGiB}Gi`) } },
                  { name: 'replication', secret: { secretName: props.replicationSecret.secretName, defaultMode: 0o400 } },
                  TMP_VOLUME,
                ],
              },
            },
          },
        },
      },
    });
  }
}
