import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

/** A workload whose replica count an autoscaler owns. */
export interface AutoscaledWorkload {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/**
 * The workloads the HorizontalPodAutoscalers and KEDA ScaledObjects under `scope` scale, read from
 * those objects themselves so that Argo CD's exemption (and the capacity check, which reads the
 * rendered objects the same way) can never disagree with what is deployed.
 */
export function autoscaledWorkloads(scope: Construct): AutoscaledWorkload[] {
  return scope.node
    .findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && (c.kind === 'HorizontalPodAutoscaler' || c.kind === 'ScaledObject'))
    .map((o) => {
      const json = o.toJson() as { metadata?: { namespace?: string }; spec?: { scaleTargetRef?: { kind?: string; name?: string } } };
      const target = json.spec?.scaleTargetRef ?? {};
      return { kind: target.kind ?? 'Deployment', name: target.name ?? '', namespace: json.metadata?.namespace };
    })
    .filter((w) => w.name !== '');
}

/**
 * The aggregated metrics APIs an autoscaling object needs to scale (and to be healthy for Argo CD,
 * which marks an HPA Degraded on FailedGetResourceMetric): an HPA's Resource and ContainerResource
 * metrics and KEDA's cpu and memory triggers read `metrics.k8s.io` (metrics-server), External
 * metrics and KEDA's other triggers `external.metrics.k8s.io`, Pods and Object metrics
 * `custom.metrics.k8s.io`.
 */
export function metricsApisNeeded(object: { readonly kind: string; readonly spec?: unknown }): string[] {
  const spec = (object.spec ?? {}) as { metrics?: { type?: string }[]; triggers?: { type?: string }[] };
  const groups = new Set<string>();
  if (object.kind === 'HorizontalPodAutoscaler') {
    for (const m of spec.metrics ?? []) {
      if (m.type === 'Resource' || m.type === 'ContainerResource') groups.add('metrics.k8s.io');
      if (m.type === 'External') groups.add('external.metrics.k8s.io');
      if (m.type === 'Pods' || m.type === 'Object') groups.add('custom.metrics.k8s.io');
    }
  }
  if (object.kind === 'ScaledObject') {
    // KEDA turns every other trigger into an External metric of its own metrics API server.
    for (const t of spec.triggers ?? []) groups.add(t.type === 'cpu' || t.type === 'memory' ? 'metrics.k8s.io' : 'external.metrics.k8s.io');
  }
  return [...groups].sort();
}

/** `Kind/namespace/name` of the autoscaling objects under `scope` that read the metrics API `group`. */
export function autoscalersReading(scope: Construct, group: string): string[] {
  return scope.node
    .findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && (c.kind === 'HorizontalPodAutoscaler' || c.kind === 'ScaledObject'))
    .map((o) => o.toJson() as { kind: string; metadata?: { name?: string; namespace?: string }; spec?: unknown })
    .filter((o) => metricsApisNeeded(o).includes(group))
    .map((o) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`);
}
