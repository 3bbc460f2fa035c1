import type { Construct } from 'constructs';
import type { ScaledObjectSpecTriggers } from '../../imports/keda-keda.sh';
import { apiServerCallerCidrs } from '../network-policies/policies';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { JetStreamLagTrigger } from '../lib/bus';
import type { Endpoint } from '../lib/declarations';
import { chartFile } from '../lib/upstream';
import { KEDA } from './release';
import { COMPONENT } from '../../model/components';

const NAMESPACE = 'keda';

/** Pod resources we give each KEDA workload (the chart's defaults ask for 1 GiB limits). */
const WORKLOADS = {
  operator: { deployment: 'keda-operator', replicas: 2, cpuMillis: 50, memoryMiB: 128, memoryLimitMiB: 256 },
  metricServer: { deployment: 'keda-operator-metrics-apiserver', replicas: 1, cpuMillis: 50, memoryMiB: 96, memoryLimitMiB: 256 },
  webhooks: { deployment: 'keda-admission-webhooks', replicas: 1, cpuMillis: 10, memoryMiB: 48, memoryLimitMiB: 128 },
} as const;

type KedaWorkload = keyof typeof WORKLOADS;

/** The chart's default, stated: while the webhook is down, KEDA's objects are accepted unchecked, so it never blocks a sync. */
const WEBHOOK_FAILURE_POLICY = 'Ignore';

/** Ports the chart's pods listen on (upstream chart templates). */
const PORTS = { operatorGrpc: 9666, metricsApiserver: 6443, webhooks: 9443 } as const;

function perWorkload<T>(make: (w: (typeof WORKLOADS)[KedaWorkload]) => T): Record<KedaWorkload, T> {
  return {
    operator: make(WORKLOADS.operator),
    metricServer: make(WORKLOADS.metricServer),
    webhooks: make(WORKLOADS.webhooks),
  };
}

/**
 * KEDA: event-driven autoscaling (scales the resizer's workers on the bus's queue lag). Installed
 * from its upstream chart, with the CRDs (ScaledObject, TriggerAuthentication, ...) our clients use.
 * The operator runs two replicas (leader election) so that losing a node does not stop scaling.
 */
export class KedaComponent extends PlatformComponent {
  /** The operator pods: they run the scalers, so they are what connects to event sources. */
  readonly operatorPods: Endpoint;

  constructor(scope: Construct, context: SiteContext) {
    super(scope, {
      name: COMPONENT.keda,
      context,
      namespace: NAMESPACE,
      installsCrds: [
        ...['keda.sh', 'eventing.keda.sh'].map((group) => ({
          group,
          source: 'chart' as const,
          // `crds.additionalAnnotations` below: Argo CD never deletes them with the Application.
          keptOnDelete: true,
          reference: chartFile(KEDA, 'templates/crds/crd-scaledobjects.yaml'),
        })),
      ],
    });
    this.syncOrder.servesWebhook({
      name: 'keda-admission',
      failurePolicy: WEBHOOK_FAILURE_POLICY,
      group: 'keda.sh',
      servedBy: [WORKLOADS.webhooks.deployment],
      reference: chartFile(KEDA, 'templates/webhooks/validatingconfiguration.yaml'),
    });
    this.syncOrder.servesApi({
      group: 'external.metrics.k8s.io',
      servedBy: WORKLOADS.metricServer.deployment,
      reference: chartFile(KEDA, 'templates/metrics-server/apiservice.yaml'),
    });
    this.ownNamespace({ name: NAMESPACE, podSecurity: 'restricted' });

    const restrictedContainer = {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    };
    const restrictedPod = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
    this.useHelmChart({
      upstream: KEDA,
      releaseName: 'keda',
      alsoDeploysTo: [
        {
          namespace: 'kube-system',
          reason:
            'the metrics API server is bound to extension-apiserver-authentication-reader there (RoleBinding keda-operator-auth-reader)',
        },
      ],
      values: {
        crds: { install: true, additionalAnnotations: { 'helm.sh/resource-policy': 'keep' } },
        operator: { replicaCount: WORKLOADS.operator.replicas },
        metricsServer: { replicaCount: WORKLOADS.metricServer.replicas },
        webhooks: { enabled: true, replicaCount: WORKLOADS.webhooks.replicas, failurePolicy: WEBHOOK_FAILURE_POLICY },
        resources: perWorkload((w) => ({
          requests: { cpu: `${w.cpuMillis}m`, memory: `${w.memoryMiB}Mi` },
          limits: { memory: `${w.memoryLimitMiB}Mi` },
        })),
        podSecurityContext: perWorkload(() => restrictedPod),
        securityContext: perWorkload(() => restrictedContainer),
        topologySpreadConstraints: {
          operator: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: WORKLOADS.operator.deployment } },
            },
          ],
        },
      },
    });
    for (const w of Object.values(WORKLOADS)) {
      this.declareUpstreamWorkload({
        name: w.deployment,
        namespace: NAMESPACE,
        replicas: w.replicas,
        cpuMillis: w.cpuMillis,
        memoryMiB: w.memoryMiB,
      });
    }

    const pods = (name: string, ports: number[]): Endpoint =>
      this.endpoint({ podLabels: { app: name }, ports: ports.map((port) => ({ port })) });
    this.operatorPods = pods(WORKLOADS.operator.deployment, [PORTS.operatorGrpc]);
    const metricsApiserver = pods(WORKLOADS.metricServer.deployment, [PORTS.metricsApiserver]);
    const webhooks = pods(WORKLOADS.webhooks.deployment, [PORTS.webhooks]);
    for (const p of [this.operatorPods, metricsApiserver, webhooks]) this.usesApiServer(p);
    // The metrics API server asks the operator for metric values over gRPC.
    this.talksTo(metricsApiserver, this.operatorPods);
    // The API server calls the external-metrics APIService and the admission webhook.
    const callers = apiServerCallerCidrs(this.site);
    this.talksOutside({
      pods: metricsApiserver,
      direction: 'ingress',
      cidrs: callers,
      ports: [{ port: PORTS.metricsApiserver }],
      reason:
        'kube-apiserver serves external.metrics.k8s.io from the KEDA metrics API server (HPA reads queue lag through it); it calls from the control-plane nodes or, through the overlay, from their tunnel addresses in the pod network',
    });
    this.talksOutside({
      pods: webhooks,
      direction: 'ingress',
      cidrs: callers,
      ports: [{ port: PORTS.webhooks }],
      reason:
        'kube-apiserver calls the KEDA admission webhook that validates ScaledObjects, from the control-plane nodes or, through the overlay, from their tunnel addresses in the pod network',
    });
  }
}

/**
 * A ScaledObject trigger scaling on a JetStream consumer's lag (`bus.lagTrigger(consumer)`):
 * KEDA aims at `lagThreshold` pending messages per replica, and scales from zero once the lag
 * exceeds `activationLagThreshold` (0 when omitted).
 */
export function natsJetStreamTrigger(
  lag: JetStreamLagTrigger,
  thresholds: { readonly lagThreshold: number; readonly activationLagThreshold?: number },
): ScaledObjectSpecTriggers {
  for (const [name, value] of Object.entries(thresholds)) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0))
      throw new Error(`KEDA trigger: ${name} must be a whole number, got ${value}`);
  }
  return {
    type: 'nats-jetstream',
    metadata: {
      natsServerMonitoringEndpoint: lag.natsServerMonitoringEndpoint,
      account: lag.account,
      stream: lag.stream,
      consumer: lag.consumer,
      lagThreshold: String(thresholds.lagThreshold),
      ...(thresholds.activationLagThreshold !== undefined ? { activationLagThreshold: String(thresholds.activationLagThreshold) } : {}),
    },
  };
}
