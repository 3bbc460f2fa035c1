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
