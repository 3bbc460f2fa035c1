/**
 * The sentinels and the proxies: two Deployments of the stolon image, built by one builder.
 * Sentinels elect a leader through the store and drive failover; proxies send every client to the
 * current master.
 */
import { k8s } from 'cdk8s-plus-28';
import type { PlatformComponent } from '../component';
import { commonLabels } from '../lib/labels';
import { TMP_MOUNT, TMP_VOLUME, httpProbe, podDisruptionBudget, resources, restrictedContainerSecurity, tcpProbe } from '../lib/workload';
import { STOLON_IMAGE } from './image';
import { METRICS_PORT, SPEC_DIR, SPEC_FILE, metricsEnv, podLabels, postgresServicePort, stolonPodBase, storeEnv } from './pods';
import { POSTGRES_NAMESPACE as NAMESPACE, STOLON_OBJECTS, stolonName, type StolonRole } from './names';
import { PG_PORT } from './spec';

/** What differs between the stolon Deployments. */
interface DaemonSpec {
  readonly role: Exclude<StolonRole, 'keeper'>;
  readonly replicas: number;
  /** Environment after the store's and the metrics address. */
  readonly env: k8s.EnvVar[];
  readonly ports: k8s.ContainerPort[];
  readonly readinessProbe: k8s.Probe;
  readonly volumeMounts: k8s.VolumeMount[];
  readonly volumes: k8s.Volume[];
  /** Pods that must stay up through a voluntary disruption; one may go at a time otherwise. */
  readonly minAvailable?: number;
}

/** The stolon command and its environment prefix for a role (`stolon-sentinel`, `STSENTINEL`). */
const PREFIX: Record<DaemonSpec['role'], string> = { sentinel: 'STSENTINEL', proxy: 'STPROXY' };

function stolonDeployment(scope: PlatformComponent, d: DaemonSpec): void {
  const labels = podLabels(d.role);
  new k8s.KubeDeployment(scope, d.role, {
    metadata: { name: stolonName(d.role), namespace: NAMESPACE, labels },
    spec: {
      replicas: d.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...stolonPodBase(d.role),
          containers: [
            {
              name: d.role,
              image: STOLON_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              command: [stolonName(d.role)],
              env: [...storeEnv(PREFIX[d.role]), metricsEnv(PREFIX[d.role]), ...d.env],
              ports: d.ports,
              resources: resources({ cpuMillis: 50, memoryMiB: 64 }),
              readinessProbe: d.readinessProbe,
              livenessProbe: httpProbe('/metrics', METRICS_PORT, { periodSeconds: 20 }),
              securityContext: restrictedContainerSecurity(),
              volumeMounts: d.volumeMounts,
            },
          ],
          volumes: d.volumes,
        },
      },
    },
  });
  podDisruptionBudget(scope, { name: stolonName(d.role), namespace: NAMESPACE, podLabels: labels, minAvailable: d.minAvailable });
}

/** The sentinels: odd, one per node, so a majority (2 of 3) survives the loss of a node. */
export function renderSentinels(scope: PlatformComponent): void {
  stolonDeployment(scope, {
    role: 'sentinel',
    replicas: 3,
    env: [
      // Read only while the store is empty: the first start of a site needs no stolonctl init.
      { name: 'STSENTINEL_INITIAL_CLUSTER_SPEC', value: `${SPEC_DIR}/${SPEC_FILE}` },
    ],
    ports: [{ name: 'metrics', containerPort: METRICS_PORT }],
    readinessProbe: httpProbe('/metrics', METRICS_PORT),
    volumeMounts: [{ name: 'spec', mountPath: SPEC_DIR, readOnly: true }, TMP_MOUNT],
    volumes: [{ name: 'spec', configMap: { name: STOLON_OBJECTS.clusterSpec } }, TMP_VOLUME],
    minAvailable: 2,
  });
}

/** The proxies (always the current master) and `stolon-proxy`, the Service applications write through. */
export function renderProxies(scope: PlatformComponent): void {
  stolonDeployment(scope, {
    role: 'proxy',
    replicas: 2,
    env: [
      // The default listen address is 127.0.0.1.
      { name: 'STPROXY_LISTEN_ADDRESS', value: '0.0.0.0' },
      { name: 'STPROXY_PORT', value: String(PG_PORT) },
      // Detect a dead peer (a node or the other site gone) within about a minute on an idle
      // connection. Linux does not probe one with data unacknowledged, as the replication stream
      // over a stalled link is: its end comes from wal_sender_timeout (spec.ts STALLED_LINK_TIMEOUTS).
      { name: 'STPROXY_TCP_KEEPALIVE_IDLE', value: '30' },
      { name: 'STPROXY_TCP_KEEPALIVE_INTERVAL', value: '10' },
      { name: 'STPROXY_TCP_KEEPALIVE_COUNT', value: '3' },
    ],
    ports: [
      { name: 'postgres', containerPort: PG_PORT },
      { name: 'metrics', containerPort: METRICS_PORT },
    ],
    readinessProbe: tcpProbe(PG_PORT, { periodSeconds: 5 }),
    volumeMounts: [TMP_MOUNT],
    volumes: [TMP_VOLUME],
  });
  new k8s.KubeService(scope, 'proxy-svc', {
    metadata: { name: stolonName('proxy'), namespace: NAMESPACE, labels: commonLabels(scope.componentName) },
    spec: { selector: podLabels('proxy'), ports: [postgresServicePort()] },
  });
}
