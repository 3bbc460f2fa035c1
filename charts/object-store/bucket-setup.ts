/**
 * Buckets created declaratively on MinIO and S3-compatible stores: an Argo CD PostSync hook Job
 * running the pinned MinIO client after every sync. Every step is idempotent (`mc mb
 * --ignore-existing`, `mc ilm import` replacing the whole lifecycle, policy and user upserts), so a
 * rerun converges instead of failing. The script is rendered from the granted buckets.
 */
import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { commonLabels } from '../lib/labels';
import {
  TMP_MOUNT,
  TMP_VOLUME,
  resources,
  restartOnSecretChangeLater,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  secretEnv,
  type RotatingSecret,
} from '../lib/workload';
import { OBJECT_STORE, type GrantedBucket } from './common';

/** Pinned MinIO client (a real release tag; no digest is invented). */
export const MC_IMAGE = 'quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z';
export const SETUP_NAME = `${OBJECT_STORE}-buckets`;
const CONFIG_DIR = '/config';

/** How the setup Job reaches the store. */
export interface SetupTarget {
  /** `minio`: root credentials create buckets, users and bucket-scoped policies; `s3`: each purpose's own keys create its bucket. */
  readonly mode: 'minio' | 's3';
  /** Endpoint URL. */
  readonly endpointUrl: string;
  /**
   * Secret holding the root credentials (`minio` mode, where it is required), keys `user`, `password`.
   * @default none
   */
  readonly rootSecret?: RotatingSecret;
  /** Secret, in the store's namespace, with a purpose's access keys. */
  readonly purposeSecret: (purpose: string) => RotatingSecret;
}

/** `images` -> `IMAGES`, for environment variable names. */
export function envPrefix(purpose: string): string {
  return purpose.toUpperCase().replace(/-/g, '_');
}

/** A bucket-scoped read/write policy (MinIO speaks the IAM policy language). */
export function bucketPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: [`arn:aws:s3:::${bucket}`],
      },
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [`arn:aws:s3:::${bucket}/*`],
      },
    ],
  });
}

/** An S3 lifecycle configuration expiring objects after `days` (and unfinished uploads after 1 day). */
export function lifecycle(days: number): string {
  return JSON.stringify({
    Rules: [
      { ID: 'expire', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: days } },
      { ID: 'abort-uploads', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ],
  });
}

/** The shell script the Job runs (POSIX sh). */
export function setupScript(target: SetupTarget, buckets: readonly GrantedBucket[]): string {
  const lines = [
    '#!/bin/sh',
    '# Rendered by npm run synth from the granted buckets: do not edit.',
    'set -eu',
    'export MC_CONFIG_DIR=/tmp/mc',
  ];
  if (buckets.length === 0) return [...lines, 'echo "no bucket is granted on this site"', ''].join('\n');
  if (target.mode === 'minio') lines.push('mc alias set store "$S3_ENDPOINT" "$ROOT_USER" "$ROOT_PASSWORD" >/dev/null');
  for (const b of buckets) {
    const env = envPrefix(b.purpose);
    const alias = target.mode === 'minio' ? 'store' : b.purpose;
    lines.push('', `# bucket ${b.bucket} (${b.purpose}), used by ${b.clients.join(', ')}`);
    if (target.mode === 's3')
      lines.push(`mc alias set ${alias} "$S3_ENDPOINT" "$${env}_ACCESS_KEY_ID" "$${env}_SECRET_ACCESS_KEY" --path on >/dev/null`);
    lines.push(`mc mb --ignore-existing ${alias}/${b.bucket}`);
    if (b.options.expireAfterDays !== undefined)
      lines.push(`mc ilm import ${alias}/${b.bucket} < ${CONFIG_DIR}/${b.purpose}-lifecycle.json`);
    if (target.mode === 'minio') {
      const policy = `${b.purpose}-rw`;
      lines.push(
        `mc admin policy create store ${policy} ${CONFIG_DIR}/${b.purpose}-policy.json`,
        `mc admin user add store "$${env}_ACCESS_KEY_ID" "$${env}_SECRET_ACCESS_KEY"`,
        // attach fails when the policy is already attached: accept that case only.
        `mc admin policy attach store ${policy} --user "$${env}_ACCESS_KEY_ID" || mc admin user info store "$${env}_ACCESS_KEY_ID" | grep -q '${policy}'`,
      );
    }
  }
  return [...lines, ''].join('\n');
}

/** Files of the setup ConfigMap: the script, policies and lifecycles. */
export function setupFiles(target: SetupTarget, buckets: readonly GrantedBucket[]): Record<string, string> {
  const files: Record<string, string> = { 'setup.sh': setupScript(target, buckets) };
  for (const b of buckets) {
    if (target.mode === 'minio') files[`${b.purpose}-policy.json`] = bucketPolicy(b.bucket);
    if (b.options.expireAfterDays !== undefined) files[`${b.purpose}-lifecycle.json`] = lifecycle(b.options.expireAfterDays);
  }
  return files;
}

/** Renders the ConfigMap and the hook Job; both read the bucket list lazily, after every grant. */
export function bucketSetup(scope: Construct, target: SetupTarget, buckets: () => readonly GrantedBucket[]): void {
  const labels = commonLabels(OBJECT_STORE, 'buckets');
  const hook = { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' };
  const secrets = (): RotatingSecret[] => [
    ...(target.rootSecret ? [target.rootSecret] : []),
    ...buckets().map((b) => target.purposeSecret(b.purpose)),
  ];
  new ApiObject(scope, 'buckets-config', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: SETUP_NAME, namespace: OBJECT_STORE, labels },
    data: Lazy.any({ produce: () => setupFiles(target, buckets()) }),
  });
  const spec = (): k8s.JobSpec => {
    const env: k8s.EnvVar[] = [{ name: 'S3_ENDPOINT', value: target.endpointUrl }];
    if (target.rootSecret)
      env.push(secretEnv('ROOT_USER', target.rootSecret, 'user'), secretEnv('ROOT_PASSWORD', target.rootSecret, 'password'));
    for (const b of buckets()) {
      const prefix = envPrefix(b.purpose);
      const secret = target.purposeSecret(b.purpose);
      env.push(
        secretEnv(`${prefix}_ACCESS_KEY_ID`, secret, 'AWS_ACCESS_KEY_ID'),
        secretEnv(`${prefix}_SECRET_ACCESS_KEY`, secret, 'AWS_SECRET_ACCESS_KEY'),
      );
    }
    return {
      backoffLimit: 6,
      activeDeadlineSeconds: 600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurity(),
          containers: [
            {
              name: 'mc',
              image: MC_IMAGE,
              command: ['/bin/sh', `${CONFIG_DIR}/setup.sh`],
              env,
              securityContext: restrictedContainerSecurity(),
              resources: resources({ cpuMillis: 50, memoryMiB: 64 }),
              volumeMounts: [TMP_MOUNT, { name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
            },
          ],
          volumes: [TMP_VOLUME, { name: 'config', configMap: { name: SETUP_NAME } }],
        },
      },
    };
  };
  new ApiObject(scope, 'buckets-job', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    // Argo CD runs the hook at a sync only, and a Secret that External Secrets changes is no change
    // in git: Reloader deletes and recreates the Job when one of its Secrets changes, so MinIO's
    // users get a rotated key without a sync (BeforeHookCreation replaces that Job at the next one).
    metadata: { name: SETUP_NAME, namespace: OBJECT_STORE, labels, annotations: { ...hook, ...restartOnSecretChangeLater(secrets) } },
    spec: Lazy.any({ produce: () => k8s.toJson_JobSpec(spec()) }),
  });
}
