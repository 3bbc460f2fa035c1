/**
 * The names of the stolon objects more than one file refers to, each given once. No imports: any
 * module of the chart may read them while the others are still loading.
 */

/** The namespace of the site's stolon cluster. */
export const POSTGRES_NAMESPACE = 'postgres';

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
  /** ConfigMap of the health signals' queries, read by the exporter beside each keeper. */
  healthSignals: 'stolon-health-signals',
  /** Service of every ready keeper, for readers (on a standby site, hot standbys). */
  readOnly: 'stolon-readonly',
  /** The primary's proxies on the site's fixed database address, for the other sites. */
  primary: 'stolon-primary',
} as const;
