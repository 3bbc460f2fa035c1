/**
 * Safe defaults for the workloads we render ourselves: the restricted Pod Security profile,
 * requests and memory limits, spreading over nodes and a PodDisruptionBudget. Every chart builds
 * its pods from these so that a fix here reaches all of them.
 */
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

/**
 * Pod-level part of the restricted profile for an image whose own non-root user we keep (the
 * upstream charts' images, which we run as built).
 */
export function restrictedPodSecurityAsImageUser(): {
  readonly runAsNonRoot: true;
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
} {
  return { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Pod-level part of the restricted profile. `fsGroup` makes mounted volumes writable for the user. */
export function restrictedPodSecurity(user = 65532): k8s.PodSecurityContext {
  return {
    ...restrictedPodSecurityAsImageUser(),
    runAsUser: user,
    runAsGroup: user,
    fsGroup: user,
    fsGroupChangePolicy: 'OnRootMismatch',
  };
}

/** Container-level part of the restricted profile, with a read-only root filesystem. */
export function restrictedContainerSecurity(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Requests, and a memory limit equal to the request unless given (memory is not compressible). */
export function resources(props: {
  cpuMillis: number;
  memoryMiB: number;
  memoryLimitMiB?: number;
  cpuLimitMillis?: number;
}): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString(`${props.cpuMillis}m`), memory: k8s.Quantity.fromString(`${props.memoryMiB}Mi`) },
    limits: {
      memory: k8s.Quantity.fromString(`${props.memoryLimitMiB ?? props.memoryMiB}Mi`),
      ...(props.cpuLimitMillis ? { cpu: k8s.Quantity.fromString(`${props.cpuLimitMillis}m`) } : {}),
    },
  };
}

/**
 * Spreads replicas over nodes: at most one more on any node than on another. Tainted nodes (a node
 * being drained, or down) are ignored, so the survivors still schedule after a node loss.
 */
export function spreadOverNodes(podLabels: Record<string, string>): k8s.TopologySpreadConstraint[] {
  return [
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
      nodeTaintsPolicy: 'Honor',
      labelSelector: { matchLabels: podLabels },
    },
  ];
}

/**
 * At most one pod per node, required: for members that keep their data on their node
 * (storage/node-local.ts), where two members on one node would make one node loss take two.
 * Spreading alone allows two on a node when another node is down at the first scheduling.
 */
export function onePerNode(podLabels: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: podLabels } },
      ],
    },
  };
}

/** HTTP GET probe on a named or numbered port. */
export function httpProbe(
  path: string,
  port: number | string,
  props: { periodSeconds?: number; failureThreshold?: number; initialDelaySeconds?: number } = {},
): k8s.Probe {
  return {
    httpGet: { path, port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port) },
    periodSeconds: props.periodSeconds ?? 10,
    failureThreshold: props.failureThreshold ?? 3,
    ...(props.initialDelaySeconds ? { initialDelaySeconds: props.initialDelaySeconds } : {}),
  };
}

/** TCP probe on a port. */
export function tcpProbe(
  port: number,
  props: { periodSeconds?: number; failureThreshold?: number; initialDelaySeconds?: number } = {},
): k8s.Probe {
  return {
    tcpSocket: { port: k8s.IntOrString.fromNumber(port) },
    periodSeconds: props.periodSeconds ?? 10,
    failureThreshold: props.failureThreshold ?? 3,
    ...(props.initialDelaySeconds ? { initialDelaySeconds: props.initialDelaySeconds } : {}),
  };
}

/** What a PodDisruptionBudget does with a pod that runs but is not ready (policy/v1, GA in Kubernetes 1.31). */
export const UNHEALTHY_POD_EVICTION = 'AlwaysAllow';

/**
 * A PodDisruptionBudget named after the workload. By default one pod may be evicted at a time;
 * pass `minAvailable` for quorum workloads (a majority must stay up). Unready pods may always be
 * evicted: they serve nothing, and under the default (IfHealthyBudget) they block every drain of
 * their node while the budget is used up (a crash-looping keeper, a server that never joins).
 */
export function podDisruptionBudget(
  scope: Construct,
  props: { name: string; namespace: string; podLabels: Record<string, string>; minAvailable?: number },
): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, `${props.name}-pdb`, {
    metadata: { name: props.name, namespace: props.namespace },
    spec: {
      selector: { matchLabels: props.podLabels },
      unhealthyPodEvictionPolicy: UNHEALTHY_POD_EVICTION,
      ...(props.minAvailable !== undefined
        ? { minAvailable: k8s.IntOrString.fromNumber(props.minAvailable) }
        : { maxUnavailable: k8s.IntOrString.fromNumber(1) }),
    },
  });
}

/** A writable emptyDir at /tmp, since the root filesystem is read-only. */
export const TMP_VOLUME: k8s.Volume = { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } };
export const TMP_MOUNT: k8s.VolumeMount = { name: 'tmp', mountPath: '/tmp' };

/**
 * A Secret whose data changes while the pods reading it run: External Secrets keeps it equal to
 * Vault (charts/secrets, `VaultSecret`), so a credential rotated in Vault reaches it within its
 * refresh interval, but not the pods, which read it at start.
 */
export interface RotatingSecret {
  /** Name of the Kubernetes Secret, in the namespace of the pods that read it. */
  readonly secretName: string;
  /** Where its data is rotated: only a `VaultSecret` is one, never a name written by hand. */
  readonly rotatedIn: 'vault';
}

/**
 * The annotation Reloader reads on a workload: the Secrets, by name (comma-separated, each an
 * anchored regular expression), whose change restarts it (`SecretUpdateOnChangeAnnotation`,
 * stakater/Reloader@v1.4.21:internal/pkg/options/flags.go; matched in pkg/common/common.go,
 * `ShouldReload`). Named Secrets rather than `reloader.stakater.com/auto`: a Secret added to a
 * pod later restarts nothing until it is named here, and validation says so.
 */
export const RESTART_ON_SECRET_CHANGE = 'secret.reloader.stakater.com/reload';

/**
 * Metadata annotations of a workload (Deployment, StatefulSet, Job) that reads `secrets`: Reloader
 * rolls it (a Job: deletes and recreates it) when one of them changes. A Deployment rolls by its
 * strategy and a StatefulSet one pod at a time, each waiting for the replacement to be ready; a
 * rollout does not evict, so PodDisruptionBudgets bound drains, not this.
 */
export function restartOnSecretChange(secrets: readonly RotatingSecret[]): Record<string, string> {
  const names = reloadList(secrets);
  return names ? { [RESTART_ON_SECRET_CHANGE]: names } : {};
}

/**
 * The same, for a workload whose Secrets are known only once every component is built (the bus
 * servers' passwords, the buckets' keys): the annotation's value is rendered at synth.
 */
export function restartOnSecretChangeLater(secrets: () => readonly RotatingSecret[]): Record<string, string> {
  return { [RESTART_ON_SECRET_CHANGE]: Lazy.any({ produce: () => reloadList(secrets()) }) as string };
}

function reloadList(secrets: readonly RotatingSecret[]): string {
  return [...new Set(secrets.map((s) => s.secretName))].sort().join(',');
}

/** An environment variable from one key of a rotating Secret (list the Secret in `restartOnSecretChange`). */
export function secretEnv(name: string, secret: RotatingSecret, key: string): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret.secretName, key } } };
}
