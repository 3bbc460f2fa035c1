import type { Construct } from 'constructs';
import { PlatformError, type Finding } from '../../model/errors';
import type { Site } from '../../sites';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { DeclaredComponent } from '../lib/declared';
import { apiServerCallerCidrs } from '../network-policies/policies';
import { chartFile } from '../lib/upstream';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { restrictedPodSecurityAsImageUser, spreadOverNodes } from '../lib/workload';
import { METRICS_SERVER_RELEASE, METRICS_SERVER_WORKLOAD } from './release';
import { COMPONENT } from '../../model/components';
import { spreadNodeLoss } from '../lib/resilience';

export const METRICS_SERVER = COMPONENT.metricsServer;
const NAMESPACE = METRICS_SERVER;
/** The resource metrics API metrics-server serves (HPAs on CPU and memory read it). */
export const RESOURCE_METRICS_API = 'metrics.k8s.io';

/** The port metrics-server serves on (the chart's default). */
const PORT = 10250;
const POD_LABELS = METRICS_SERVER_WORKLOAD.podLabels;

/** Props of metrics-server. */
export interface MetricsServerProps {
  /**
   * Scrape the kubelets without verifying their serving certificates (`--kubelet-insecure-tls`):
   * Kubespray's default kubelets serve a self-signed certificate (`kubelet_rotate_server_certificates:
   * false`). Turn it off once the kubelets' certificates are signed by the cluster CA.
   * @default true
   */
  readonly kubeletInsecureTls?: boolean;
}

/** The part of the chart's values.yaml we set besides replicas and resources (checked with `helm template` on the pinned chart). */
export interface MetricsServerValues {
  readonly args: readonly string[];
  readonly podDisruptionBudget: { readonly enabled: true; readonly minAvailable: number };
  /** Pod-level restricted settings; the chart's container securityContext already drops every capability. */
  readonly podSecurityContext: ReturnType<typeof restrictedPodSecurityAsImageUser>;
  readonly topologySpreadConstraints: ReturnType<typeof spreadOverNodes>;
}

/**
 * metrics-server, the resource metrics API (`metrics.k8s.io`) that HorizontalPodAutoscalers on CPU
 * or memory, KEDA's cpu and memory triggers and `kubectl top` read; Kubespray leaves it off by
 * default. Upstream chart, restricted Pod Security: the chart runs it as user 1000 with every
 * capability dropped on port 10250, as upstream's own manifests do (the README's note that it
 * needs NET_BIND_SERVICE dates from 0.5; the 0.8.1 image sets no file capability).
 */
export class MetricsServerComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext, props: MetricsServerProps = {}) {
    super(scope, { name: METRICS_SERVER, context, namespace: NAMESPACE });
    this.declareFailureBehaviour({ serves: 'metrics-server: CPU metrics for the HPAs', nodeLoss: spreadNodeLoss('metrics-server', 2) });
    this.ownNamespace({ name: NAMESPACE, podSecurity: 'restricted' });
    const values: MetricsServerValues = {
      args: props.kubeletInsecureTls === false ? [] : ['--kubelet-insecure-tls'],
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      podSecurityContext: restrictedPodSecurityAsImageUser(),
      topologySpreadConstraints: spreadOverNodes(POD_LABELS),
    };
    this.useHelmChart({
      upstream: METRICS_SERVER_RELEASE,
      releaseName: METRICS_SERVER,
      values: mergeValues({ ...values }, releasedWorkloads(this, METRICS_SERVER_RELEASE)),
      alsoDeploysTo: [
        {
          namespace: 'kube-system',
          reason:
            'the API server aggregation is bound to extension-apiserver-authentication-reader there (RoleBinding metrics-server-auth-reader)',
        },
      ],
    });
    this.syncOrder.servesApi({
      group: RESOURCE_METRICS_API,
      servedBy: METRICS_SERVER_WORKLOAD.name,
      reference: chartFile(METRICS_SERVER_RELEASE, 'templates/apiservice.yaml'),
    });

    const pods = this.endpoint({ podLabels: POD_LABELS, ports: [{ port: PORT, name: 'https' }], serviceName: METRICS_SERVER });
    this.usesApiServer(pods);
    this.talksOutside({
      pods,
      direction: 'egress',
      cidrs: this.site.nodes.map((n) => `${n.address}/32`),
      ports: [{ port: PORT }],
      reason: "metrics-server scrapes every kubelet's /metrics/resource on the node's InternalIP (--kubelet-preferred-address-types)",
    });
    this.talksOutside({
      pods,
      direction: 'ingress',
      cidrs: apiServerCallerCidrs(this.site),
      ports: [{ port: PORT }],
      reason:
        'kube-apiserver serves metrics.k8s.io from metrics-server (the APIService), calling from the control-plane nodes or, through the overlay, from their tunnel addresses in the pod network',
    });
  }
}

/**
 * Refuses, on a site without metrics-server, the autoscalers of `components` that read the
 * resource metrics API (found in their rendered objects), naming the component and the object.
 * Where metrics-server runs, they sync after it (lib/sync-waves.ts).
 */
export function requireResourceMetrics(site: Site, components: readonly DeclaredComponent[], metricsServer: boolean): void {
  if (metricsServer) return;
  const findings: Finding[] = [];
  for (const component of components) {
    const readers = component.autoscaled.filter((w) => w.metricsApis.includes(RESOURCE_METRICS_API)).map((w) => w.autoscaler);
    if (readers.length === 0) continue;
    findings.push({
      site: site.name,
      component: component.name,
      object: readers[0],
      field: `components.optOut.${METRICS_SERVER}`,
      message: `${readers.join(', ')} scale${readers.length === 1 ? 's' : ''} on resource metrics (${RESOURCE_METRICS_API}), which only ${METRICS_SERVER} serves: keep ${METRICS_SERVER}, or opt out of ${component.name} too`,
    });
  }
  if (findings.length > 0) throw new PlatformError(findings);
}
