import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

/** A workload whose replica count an autoscaler owns, and what that autoscaler reads. */
export interface AutoscaledWorkload {
  /** The autoscaler, as findings name objects: `Kind/namespace/name`. */
  readonly autoscaler: string;
  /** The workload's kind (`Deployment` when the autoscaler names none). */
  readonly kind: string;
  /** The workload's name. */
  readonly name: string;
  /** Its namespace: the autoscaler's. */
  readonly namespace?: string;
  /** The most replicas the autoscaler may run, when it says. */
  readonly maxReplicas?: number;
  /** The aggregated metrics APIs it reads to scale (see metricsApisNeeded). */
  readonly metricsApis: readonly string[];
}

/** The parts of a rendered object (plain JSON) the autoscaling views read. */
interface ObjectJson {
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: unknown;
}

/**
 * The workloads the HorizontalPodAutoscalers and KEDA ScaledObjects among `objects` scale, read
 * from those objects themselves, so that Argo CD's exemption (charts/argocd/apps.ts), the sync
 * order and the capacity check can never disagree with what is deployed.
 */
export function scaleTargets(objects: readonly ObjectJson[]): AutoscaledWorkload[] {
  return objects.flatMap((o) => {
    if (o.kind !== 'HorizontalPodAutoscaler' && o.kind !== 'ScaledObject') return [];
    const spec = (o.spec ?? {}) as {
      scaleTargetRef?: { kind?: unknown; name?: unknown };
      maxReplicas?: unknown;
      maxReplicaCount?: unknown;
    };
    const target = spec.scaleTargetRef ?? {};
    if (typeof target.name !== 'string' || target.name === '') return [];
    const max = o.kind === 'HorizontalPodAutoscaler' ? spec.maxReplicas : spec.maxReplicaCount;
    const namespace = o.metadata?.namespace;
    return [
      {
        autoscaler: `${o.kind}/${namespace ? `${namespace}/` : ''}${o.metadata?.name ?? '?'}`,
        kind: typeof target.kind === 'string' ? target.kind : 'Deployment',
        name: target.name,
        namespace,
        ...(typeof max === 'number' ? { maxReplicas: max } : {}),
        metricsApis: metricsApisNeeded(o),
      },
    ];
  });
}

/** `scaleTargets` of the autoscaling objects under `scope` (each serialized alone). */
export function autoscaledWorkloads(scope: Construct): AutoscaledWorkload[] {
  return scaleTargets(
    scope.node
      .findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && (c.kind === 'HorizontalPodAutoscaler' || c.kind === 'ScaledObject'))
      .map((o) => o.toJson() as ObjectJson),
  );
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
