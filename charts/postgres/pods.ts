/**
 * Pieces every stolon pod shares: the labels the kubernetes store selects by, the environment it
 * requires, and the restricted security settings for the image's `stolon` user.
 */
import { k8s } from 'cdk8s-plus-28';
import { commonLabels } from '../lib/labels';
import { STOLON_CLUSTER } from './spec';
import { COMPONENT } from '../../model/components';

/** The namespace of the site's stolon cluster. */
export const POSTGRES_NAMESPACE = 'postgres';
/** UID/GID of the `stolon` user in our image (docs/postgres/stolon-image/Dockerfile). */
export const STOLON_UID = 1000;
/** Where the spec ConfigMap is mounted. */
export const SPEC_DIR = '/etc/stolon/spec';
export const SPEC_FILE = 'cluster-spec.json';
/** The keeper's volume (`--data-dir`); stolon keeps PostgreSQL's data directory in `postgres/` below it. */
export const KEEPER_DATA_DIR = '/stolon-data';
/** Port of every stolon component's Prometheus endpoint. */
export const METRICS_PORT = 8080;

export type StolonRole = 'keeper' | 'sentinel' | 'proxy';

/** The name of a role's workload, its PodDisruptionBudget and (keepers, proxies) its Service. */
export function stolonName(role: StolonRole): `stolon-${StolonRole}` {
  return `stolon-${role}`;
}

/** Names of the other stolon objects more than one file refers to, each given once. */
export const STOLON_OBJECTS = {
  /** ServiceAccount, Role and RoleBinding of every stolon pod. */
  serviceAccount: 'stolon',
  /** ConfigMap of the cluster spec (the sentinels' initial spec, the update job's input). */
  clusterSpec: 'stolon-cluster-spec',
  /** Service of every ready keeper, for readers (on a standby site, hot standbys). */
  readOnly: 'stolon-readonly',
  /** The primary's proxies on the site's fixed database address, for the other sites. */
  primary: 'stolon-primary',
} as const;

/** `component` and `stolon-cluster` are what the kubernetes store selects pods by (internal/store/k8s.go). */
export function stolonLabels(role: StolonRole): Record<string, string> {
  return { component: stolonName(role), 'stolon-cluster': STOLON_CLUSTER };
}

/** Pod labels: ours plus the store's. */
export function podLabels(role: StolonRole): Record<string, string> {
  return { ...commonLabels(COMPONENT.postgres, role), ...stolonLabels(role) };
}

/**
 * Environment of a stolon command (`prefix` = STKEEPER, STSENTINEL, STPROXY, STOLONCTL): the
 * kubernetes store, and POD_NAME without which the store refuses to start (internal/util/k8s.go).
 */
export function storeEnv(prefix: string): k8s.EnvVar[] {
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: `${prefix}_CLUSTER_NAME`, value: STOLON_CLUSTER },
    { name: `${prefix}_STORE_BACKEND`, value: 'kubernetes' },
    { name: `${prefix}_KUBE_RESOURCE_KIND`, value: 'configmap' },
  ];
}

/** `--metrics-listen-address` of a long-running component. */
export function metricsEnv(prefix: string): k8s.EnvVar {
  return { name: `${prefix}_METRICS_LISTEN_ADDRESS`, value: `0.0.0.0:${METRICS_PORT}` };
}
