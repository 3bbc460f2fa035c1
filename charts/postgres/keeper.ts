/**
 * The keepers: a StatefulSet of PostgreSQL instances, never two on a node, each on a node-local
 * volume of its own node (they replicate among themselves), reached through a headless Service
 * (replication between keepers) and `stolon-readonly` (readers: every ready keeper).
 */
import { k8s } from 'cdk8s-plus-28';
import type { PlatformComponent } from '../component';
import { commonLabels } from '../lib/labels';
import {
  TMP_MOUNT,
  TMP_VOLUME,
  httpProbe,
  onePerNode,
  podDisruptionBudget,
  resources,
  restrictedContainerSecurity,
  tcpProbe,
  restartOnSecretChange,
  type RotatingSecret,
} from '../lib/workload';
import { STOLON_IMAGE } from './image';
import { REPL_DIR, SU_DIR, keeperScript } from './keeper-script';
import { KEEPER_DATA_DIR, METRICS_PORT, metricsEnv, podLabels, postgresServicePort, stolonPodBase, storeEnv } from './pods';
import { POSTGRES_NAMESPACE as NAMESPACE, STOLON_OBJECTS, stolonName } from './names';
import { PG_PORT, REPL_USERNAME, SU_USERNAME } from './spec';
import { TLS_MOUNT } from './tls';
import type { HealthSignal } from '../lib/resilience';
import { QUERIES_FILE, healthSignalQueries, sqlExporterContainer } from '../monitoring/sql-exporter';

/**
 * Where the keeper's PostgreSQL puts its Unix socket: stolon always starts it with
 * `unix_socket_directories=/tmp` and overrides any value the cluster spec gives
 * (sorintlab/stolon@bcea7a75: internal/common/common.go PgUnixSocketDirectories,
 * cmd/keeper/cmd/keeper.go). So the health exporter mounts the keeper's /tmp volume there.
 */
export const STOLON_SOCKET_DIR = '/tmp';

/**
 * The keepers of a site: two PostgreSQL instances (a primary and a standby ready to take over),
 * one per node, each on a volume of this size.
 */
export const KEEPER_SIZING: { readonly replicas: number; readonly volumeGiB: number } = { replicas: 2, volumeGiB: 10 };

/** What the keepers are given. */
export interface KeeperProps {
  /** Secret of the superuser's password. */
  readonly superuserSecret: RotatingSecret;
  /** Secret of the replication user's password. */
  readonly replicationSecret: RotatingSecret;
  /** Secret of the keepers' TLS certificate (tls.ts). */
  readonly tlsSecret: string;
  /** StorageClass of each keeper's volume: node-local (storage/node-local.ts). */
  readonly storageClass: string;
  /** The SQL health signals read on every keeper, by the exporter beside it (monitoring/sql-exporter.ts). */
  readonly healthSignals: readonly HealthSignal[];
}

/** Renders the keepers' StatefulSet, its PodDisruptionBudget and the two Services in front of the keepers. */
export function renderKeepers(scope: PlatformComponent, props: KeeperProps): void {
  const labels = podLabels('keeper');
  new k8s.KubeStatefulSet(scope, 'keeper', {
    metadata: {
      name: stolonName('keeper'),
      namespace: NAMESPACE,
      labels,
      // The keepers read both passwords at start (the keeper script copies the replication one).
      annotations: restartOnSecretChange([props.superuserSecret, props.replicationSecret]),
    },
    spec: {
      serviceName: stolonName('keeper'),
      replicas: KEEPER_SIZING.replicas,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...stolonPodBase('keeper'),
          // Each keeper's copy is on its node: never two keepers on one node.
          affinity: onePerNode(labels),
          terminationGracePeriodSeconds: 60,
          containers: [
            {
              name: 'keeper',
              image: STOLON_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/bash', '-c', keeperScript()],
              env: [
                ...storeEnv('STKEEPER'),
                metricsEnv('STKEEPER'),
                { name: 'STKEEPER_PG_LISTEN_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'STKEEPER_PG_PORT', value: String(PG_PORT) },
                { name: 'STKEEPER_DATA_DIR', value: KEEPER_DATA_DIR },
                { name: 'STKEEPER_PG_SU_USERNAME', value: SU_USERNAME },
                { name: 'STKEEPER_PG_SU_PASSWORDFILE', value: `${SU_DIR}/password` },
                { name: 'STKEEPER_PG_REPL_USERNAME', value: REPL_USERNAME },
                { name: 'STKEEPER_PG_REPL_PASSWORDFILE', value: `${REPL_DIR}/password` },
              ],
              ports: [
                { name: 'postgres', containerPort: PG_PORT },
                { name: 'metrics', containerPort: METRICS_PORT },
              ],
              resources: resources({ cpuMillis: 250, memoryMiB: 1024 }),
              // Ready when PostgreSQL answers; alive while the keeper process serves metrics (a
              // long base backup must not get the keeper restarted).
              readinessProbe: tcpProbe(PG_PORT, { periodSeconds: 5 }),
              livenessProbe: httpProbe('/metrics', METRICS_PORT, { periodSeconds: 20, failureThreshold: 6 }),
              securityContext: restrictedContainerSecurity(),
              volumeMounts: [
                { name: 'data', mountPath: KEEPER_DATA_DIR },
                { name: 'superuser', mountPath: SU_DIR, readOnly: true },
                { name: 'replication', mountPath: REPL_DIR, readOnly: true },
                { name: 'tls', mountPath: TLS_MOUNT, readOnly: true },
                { name: 'run', mountPath: '/stolon-run' },
                { name: 'shm', mountPath: '/dev/shm' },
                TMP_MOUNT,
              ],
            },
            sqlExporterContainer({
              signals: props.healthSignals,
              port: PG_PORT,
              socketDir: STOLON_SOCKET_DIR,
              socketVolume: TMP_VOLUME.name,
              user: SU_USERNAME,
              password: { volume: 'superuser', dir: SU_DIR, file: 'password' },
              queriesVolume: 'health-signals',
            }),
          ],
          volumes: [
            { name: 'health-signals', configMap: { name: STOLON_OBJECTS.healthSignals } },
            { name: 'superuser', secret: { secretName: props.superuserSecret.secretName, defaultMode: 0o400 } },
            { name: 'replication', secret: { secretName: props.replicationSecret.secretName, defaultMode: 0o400 } },
            { name: 'tls', secret: { secretName: props.tlsSecret, defaultMode: 0o440 } },
            { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
            { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('128Mi') } },
            TMP_VOLUME,
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            // Keepers replicate among themselves: one copy each, on the keeper's own node (storage/node-local.ts).
            storageClassName: props.storageClass,
            resources: { requests: { storage: k8s.Quantity.fromString(`${KEEPER_SIZING.volumeGiB}Gi`) } },
          },
        },
      ],
    },
  });
  podDisruptionBudget(scope, { name: stolonName('keeper'), namespace: NAMESPACE, podLabels: labels });
  new k8s.KubeConfigMap(scope, 'health-signals', {
    metadata: { name: STOLON_OBJECTS.healthSignals, namespace: NAMESPACE, labels: commonLabels(scope.componentName, 'health-signals') },
    data: { [QUERIES_FILE]: healthSignalQueries(props.healthSignals) },
  });

  const serviceLabels = commonLabels(scope.componentName);
  new k8s.KubeService(scope, 'keeper-svc', {
    metadata: { name: stolonName('keeper'), namespace: NAMESPACE, labels: serviceLabels },
    spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector: labels, ports: [postgresServicePort()] },
  });
  // Readers: every ready keeper. On a standby site all of them are hot standbys, and they keep
  // answering when the primary site is gone (the degraded mode of seed 000).
  new k8s.KubeService(scope, 'readonly-svc', {
    metadata: { name: STOLON_OBJECTS.readOnly, namespace: NAMESPACE, labels: serviceLabels },
    spec: { selector: labels, ports: [postgresServicePort()] },
  });
}
