/**
 * The site's NATS servers: a StatefulSet of three servers, one per node, each with its JetStream
 * store on a node-local volume, the configuration every one of them runs, the Services clients,
 * the servers themselves and (on the hub) the other sites reach them by, and the budget that keeps
 * a majority up.
 */
import { createHash } from 'node:crypto';
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { PlatformComponent } from '../component';
import { commonLabels } from '../lib/labels';
import {
  httpProbe,
  onePerNode,
  podDisruptionBudget,
  resources,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  restartOnSecretChangeLater,
  spreadOverNodes,
  type RotatingSecret,
} from '../lib/workload';
import type { FixedLoadBalancer } from '../metallb/metallb';
import {
  CONFIG_DIR,
  DATA_DIR,
  EXPORTER_IMAGE,
  HEADLESS_SERVICE,
  METRICS_PORT,
  NAMESPACE,
  NATS_IMAGE,
  NATS_MEMORY_LIMIT_MIB,
  PORTS,
  REPLICAS,
  RUN_DIR,
  STATEFULSET,
  VOLUME_GIB,
} from './constants';
import type { LinkEnd } from './link-end';

/** What the servers are rendered from: the rest is the bus's constants. */
export interface NatsServersProps {
  /** Labels of the server pods (what the Services select). */
  readonly podLabels: Record<string, string>;
  /** StorageClass of each server's volume: node-local (storage/node-local.ts). */
  readonly storageClassName: string;
  /** This site's end of the cross-site link: its certificate's volume and mount. */
  readonly link: LinkEnd;
  /** The nats.conf every server runs, rendered when the chart is serialized (clients declare until then). */
  readonly configText: () => string;
  /** The server container's environment, also rendered late. */
  readonly env: () => k8s.EnvVar[];
  /** The Vault-backed Secrets that environment reads (the servers restart when one changes), also late. */
  readonly secrets: () => readonly RotatingSecret[];
  /** What the nats container runs. */
  readonly script: string;
  /**
   * The hub's fixed address for the leaf sites (MetalLB).
   * @default none: a leaf, or a hub without leaves, exposes no leafnode Service
   */
  readonly hubEndpoint?: FixedLoadBalancer;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Renders the servers of `bus` (see the file comment). */
export function renderServers(bus: PlatformComponent, props: NatsServersProps): void {
  const configMap = new k8s.KubeConfigMap(bus, 'config', {
    metadata: { name: `${STATEFULSET}-config`, namespace: NAMESPACE, labels: commonLabels(bus.componentName) },
    data: Lazy.any({ produce: () => ({ 'nats.conf': props.configText() }) }),
  });
  const natsResources = resources({ cpuMillis: 100, memoryMiB: 384, memoryLimitMiB: NATS_MEMORY_LIMIT_MIB });
  new k8s.KubeStatefulSet(bus, 'statefulset', {
    metadata: {
      name: STATEFULSET,
      namespace: NAMESPACE,
      labels: { ...commonLabels(bus.componentName, 'nats'), ...props.podLabels },
      // Passwords are read from the environment at start: a rotated one restarts the servers one by one.
      annotations: restartOnSecretChangeLater(props.secrets),
    },
    spec: {
      serviceName: HEADLESS_SERVICE,
      replicas: REPLICAS,
      // All servers start together: JetStream needs a majority of them to elect its meta leader.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      selector: { matchLabels: props.podLabels },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: {
          labels: { ...commonLabels(bus.componentName, 'nats'), ...props.podLabels },
          // A configuration change restarts the servers one by one (the PDB keeps a majority).
          annotations: Lazy.any({ produce: () => ({ 'platform.chataik.fr/config-sha256': sha256(props.configText()) }) }),
        },
        spec: {
          securityContext: restrictedPodSecurity(1000),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // Longer than the lame-duck duration, so clients move away before the server stops.
          terminationGracePeriodSeconds: 60,
          topologySpreadConstraints: spreadOverNodes(props.podLabels),
          // Each server's copy is on its node: never two servers on one node.
          affinity: onePerNode(props.podLabels),
          containers: [
            {
              name: 'nats',
              image: NATS_IMAGE,
              // A shell first: it starts the loop reloading renewed certificates, then execs the server.
              command: ['/bin/sh', '-c', props.script],
              env: Lazy.any({ produce: () => props.env() }),
              ports: [
                { name: 'client', containerPort: PORTS.client },
                { name: 'cluster', containerPort: PORTS.cluster },
                { name: 'leafnodes', containerPort: PORTS.leafnodes },
                { name: 'monitor', containerPort: PORTS.monitor },
              ],
              resources: natsResources,
              securityContext: restrictedContainerSecurity(),
              // JetStream recovery of a large store can take minutes: liveness waits for startup.
              startupProbe: httpProbe('/healthz', 'monitor', { periodSeconds: 10, failureThreshold: 90 }),
              livenessProbe: httpProbe('/healthz?js-enabled-only=true', 'monitor', { periodSeconds: 30, failureThreshold: 3 }),
              readinessProbe: httpProbe('/healthz?js-server-only=true', 'monitor', { periodSeconds: 10, failureThreshold: 3 }),
              lifecycle: { preStop: { exec: { command: ['nats-server', `-sl=ldm=${RUN_DIR}/nats.pid`] } } },
              volumeMounts: [
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                ...props.link.mounts(),
                { name: 'data', mountPath: DATA_DIR },
                { name: 'run', mountPath: RUN_DIR },
              ],
            },
            {
              name: 'exporter',
              image: EXPORTER_IMAGE,
              args: [
                '-port',
                String(METRICS_PORT),
                '-varz',
                '-connz',
                '-routez',
                '-subz',
                '-leafz',
                '-jsz=all',
                `http://localhost:${PORTS.monitor}`,
              ],
              ports: [{ name: 'metrics', containerPort: METRICS_PORT }],
              resources: resources({ cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 }),
              securityContext: restrictedContainerSecurity(),
              livenessProbe: httpProbe('/metrics', 'metrics', { periodSeconds: 30 }),
              readinessProbe: httpProbe('/metrics', 'metrics'),
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: configMap.name } },
            ...props.link.volumes(),
            { name: 'run', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: commonLabels(bus.componentName, 'nats') },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: props.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(`${VOLUME_GIB}Gi`) } },
          },
        },
      ],
    },
  });
  renderServices(bus, props);
  podDisruptionBudget(bus, {
    name: STATEFULSET,
    namespace: NAMESPACE,
    podLabels: props.podLabels,
    minAvailable: Math.floor(REPLICAS / 2) + 1,
  });
}

function renderServices(bus: PlatformComponent, props: NatsServersProps): void {
  const labels = commonLabels(bus.componentName, 'nats');
  const { podLabels } = props;
  const port = (name: string, number: number): k8s.ServicePort => ({
    name,
    port: number,
    targetPort: k8s.IntOrString.fromString(name),
  });
  new k8s.KubeService(bus, 'headless', {
    metadata: { name: HEADLESS_SERVICE, namespace: NAMESPACE, labels },
    spec: {
      clusterIp: 'None',
      // Servers must find each other before they are ready: readiness needs the cluster formed.
      publishNotReadyAddresses: true,
      selector: podLabels,
      ports: [port('client', PORTS.client), port('cluster', PORTS.cluster), port('monitor', PORTS.monitor)],
    },
  });
  new k8s.KubeService(bus, 'client', {
    metadata: { name: STATEFULSET, namespace: NAMESPACE, labels },
    spec: { selector: podLabels, ports: [port('client', PORTS.client)] },
  });
  const endpoint = props.hubEndpoint;
  if (endpoint) {
    new k8s.KubeService(bus, 'leafnodes', {
      metadata: { name: `${STATEFULSET}-leafnodes`, namespace: NAMESPACE, labels, annotations: endpoint.annotations },
      spec: {
        type: endpoint.type,
        // Keeps the leaf site's source address, which the NetworkPolicy admits.
        externalTrafficPolicy: endpoint.externalTrafficPolicy,
        selector: podLabels,
        ports: [port('leafnodes', PORTS.leafnodes)],
      },
    });
  }
}
