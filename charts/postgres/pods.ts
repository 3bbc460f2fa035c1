/**
 * Pieces every stolon pod shares: the labels the kubernetes store selects by, the
 * environment it requires, the restricted security settings for the image's `stolon` user, and the
 * service account with what the store may do.
 */
import { k8s } from 'cdk8s-plus-28';
import type { PlatformComponent } from '../component';
import { commonLabels } from '../lib/labels';
import { restrictedPodSecurity, spreadOverNodes } from '../lib/workload';
import { PG_PORT, STOLON_CLUSTER } from './spec';
import { COMPONENT } from '../../model/components';
import { POSTGRES_NAMESPACE, STOLON_OBJECTS, stolonName, type StolonRole } from './names';

/** UID/GID of the `stolon` user in our image (docs/postgres/stolon-image/Dockerfile). */
export const STOLON_UID = 1000;
/** Where the spec ConfigMap is mounted. */
export const SPEC_DIR = '/etc/stolon/spec';
export const SPEC_FILE = 'cluster-spec.json';
/** The keeper's volume (`--data-dir`); stolon keeps PostgreSQL's data directory in `postgres/` below it. */
export const KEEPER_DATA_DIR = '/stolon-data';
/** Port of every stolon component's Prometheus endpoint. */
export const METRICS_PORT = 8080;

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

/** Pod spec fields every stolon pod shares: its service account, the restricted profile, spreading (the update job's one pod needs none). */
export function stolonPodBase(
  role: StolonRole | 'update',
): Pick<k8s.PodSpec, 'serviceAccountName' | 'automountServiceAccountToken' | 'securityContext'> &
  Partial<Pick<k8s.PodSpec, 'topologySpreadConstraints'>> {
  return {
    serviceAccountName: STOLON_OBJECTS.serviceAccount,
    automountServiceAccountToken: true,
    securityContext: restrictedPodSecurity(STOLON_UID),
    ...(role === 'update' ? {} : { topologySpreadConstraints: spreadOverNodes(podLabels(role)) }),
  };
}

/** The PostgreSQL port of a Service in front of keepers or proxies. */
export function postgresServicePort(): k8s.ServicePort {
  return { name: 'postgres', port: PG_PORT, targetPort: k8s.IntOrString.fromString('postgres') };
}

/**
 * The service account every stolon pod runs as, with what the kubernetes store does
 * (internal/store/k8s.go): components patch their own pod's `stolon-status` annotation and list the
 * others; sentinels and stolonctl read and write the `stolon-cluster-<name>` ConfigMap, which is
 * also the sentinels' leader lock.
 */
export function renderStolonRbac(scope: PlatformComponent): void {
  const labels = commonLabels(scope.componentName);
  const name = STOLON_OBJECTS.serviceAccount;
  new k8s.KubeServiceAccount(scope, 'sa', { metadata: { name, namespace: POSTGRES_NAMESPACE, labels } });
  new k8s.KubeRole(scope, 'role', {
    metadata: { name, namespace: POSTGRES_NAMESPACE, labels },
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ],
  });
  new k8s.KubeRoleBinding(scope, 'rolebinding', {
    metadata: { name, namespace: POSTGRES_NAMESPACE, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: POSTGRES_NAMESPACE }],
  });
}
