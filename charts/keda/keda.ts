import type { Construct } from 'constructs';
import type { ScaledObjectSpecTriggers } from '../../imports/keda-keda.sh';
import { apiServerCallerCidrs } from '../network-policies/policies';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { JetStreamLagTrigger } from '../lib/bus';
import type { Endpoint } from '../lib/declarations';
import { chartFile } from '../lib/upstream';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { restrictedContainerSecurity, restrictedPodSecurityAsImageUser, spreadOverNodes } from '../lib/workload';
import { KEDA, KEDA_WORKLOADS } from './release';
import { COMPONENT } from '../../model/components';
import { singleReplicaNodeLoss } from '../lib/resilience';

const NAMESPACE = 'keda';

/** KEDA's chart keys per workload (security contexts): its values.yaml names the metrics API server `metricServer`. */
const CHART_KEYS = ['operator', 'metricServer', 'webhooks'] as const;

/** The chart's default, stated: while the webhook is down, KEDA's objects are accepted unchecked, so it never blocks a sync. */
const WEBHOOK_FAILURE_POLICY = 'Ignore';

/** Ports the chart's pods listen on (upstream chart templates). */
const PORTS = { operatorGrpc: 9666, metricsApiserver: 6443, webhooks: 9443 } as const;

/**
 * KEDA: event-driven autoscaling (scales the resizer's workers on the bus's queue lag). Installed
 * from its upstream chart, with the CRDs (ScaledObject, TriggerAuthentication, ...) our clients use;
 * what it runs and the resources it gets are in its release table (release.ts).
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
    this.declareFailureBehaviour({
      serves: 'KEDA: scales the workers on bus lag',
      nodeLoss: singleReplicaNodeLoss(
        'the metrics API server',
        'workers keep their current count (2 operator replicas keep the ScaledObjects)',
      ),
    });
    this.syncOrder.servesWebhook({
      name: 'keda-admission',
      failurePolicy: WEBHOOK_FAILURE_POLICY,
      group: 'keda.sh',
      servedBy: [KEDA_WORKLOADS.webhooks.name],
      reference: chartFile(KEDA, 'templates/webhooks/validatingconfiguration.yaml'),
    });
    this.syncOrder.servesApi({
      group: 'external.metrics.k8s.io',
      servedBy: KEDA_WORKLOADS.metricsApiserver.name,
      reference: chartFile(KEDA, 'templates/metrics-server/apiservice.yaml'),
    });
    this.ownNamespace({ name: NAMESPACE, podSecurity: 'restricted' });

    const perWorkload = <T>(value: T): Record<(typeof CHART_KEYS)[number], T> =>
      Object.fromEntries(CHART_KEYS.map((key) => [key, value])) as Record<(typeof CHART_KEYS)[number], T>;
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
      values: mergeValues(
        {
          crds: { install: true, additionalAnnotations: { 'helm.sh/resource-policy': 'keep' } },
          webhooks: { enabled: true, failurePolicy: WEBHOOK_FAILURE_POLICY },
          // The images' own non-root user, the rest of the restricted profile.
          podSecurityContext: perWorkload(restrictedPodSecurityAsImageUser()),
          securityContext: perWorkload(restrictedContainerSecurity()),
          topologySpreadConstraints: { operator: spreadOverNodes({ app: KEDA_WORKLOADS.operator.name }) },
        },
        releasedWorkloads(this, KEDA),
      ),
    });

    const pods = (name: string, ports: number[]): Endpoint =>
      this.endpoint({ podLabels: { app: name }, ports: ports.map((port) => ({ port })) });
    this.operatorPods = pods(KEDA_WORKLOADS.operator.name, [PORTS.operatorGrpc]);
    const metricsApiserver = pods(KEDA_WORKLOADS.metricsApiserver.name, [PORTS.metricsApiserver]);
    const webhooks = pods(KEDA_WORKLOADS.webhooks.name, [PORTS.webhooks]);
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
