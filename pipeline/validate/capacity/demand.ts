/**
 * What a site asks of its nodes: every pod group that runs steadily or now and then, from the
 * rendered objects (our workloads), the upstream workloads components declare, and the
 * installer's pods the site file lists, with the most replicas each autoscaler may run.
 */
import { scaleTargets } from '../../../charts/lib/autoscaling';
import type { RenderedSite } from '../../render';
import { objectId, record } from '../context';
import { nodeLocalClasses, onNodeLocalVolumes } from '../node-local';
import { hasNodeSpreading, onePerNode, podRequests, podTemplateOf, type PodRequests } from '../workloads';

/** Pods of one workload, as placement sees them. */
export interface PodGroup {
  /** `component: Kind/namespace/name`, for the report. */
  readonly name: string;
  readonly component: string;
  readonly requests: PodRequests;
  /** Replica count, or one per eligible node. */
  readonly replicas: number | 'perNode';
  /** The most replicas an autoscaler (HPA, KEDA ScaledObject) may run, when one scales the workload. */
  readonly maxReplicas?: number;
  /** Nodes the pods may run on (all when undefined). */
  readonly nodes?: readonly string[];
  /** Spread with maxSkew 1 over nodes. */
  readonly spread: boolean;
  /** At most one pod per node (required anti-affinity). */
  readonly onePerNode: boolean;
  /**
   * Each pod keeps its data on a node-local volume and stays on the node it was first placed on:
   * after a node loss the pod there waits for its node instead of moving.
   */
  readonly pinned?: boolean;
  /** Short-lived (Jobs): not counted in steady state, but must fit somewhere. */
  readonly transient: boolean;
}

/** Every pod group of a rendered site. */
export function podGroups(rendered: RenderedSite): PodGroup[] {
  const nodeNames = rendered.site.nodes.map((n) => n.name);
  const groups: PodGroup[] = [];
  for (const w of rendered.site.systemWorkloads ?? []) {
    groups.push({
      name: `installer: ${w.name}`,
      component: 'installer',
      requests: { cpuMillis: w.cpuMillis, memoryMiB: w.memoryMiB, hugepagesMiB: 0 },
      replicas: w.replicas,
      nodes: w.controlPlaneOnly ? rendered.site.nodes.filter((n) => n.controlPlane).map((n) => n.name) : undefined,
      spread: true,
      onePerNode: false,
      transient: false,
    });
  }
  const maxima = autoscalerMaxima(rendered);
  const local = nodeLocalClasses(rendered);
  for (const c of rendered.components) {
    c.objects.forEach((object, i) => {
      if (c.patchIndexes.has(i)) return;
      const template = podTemplateOf(object);
      if (!template) return;
      const max = maxima.get(`${object.metadata.namespace ?? ''}/${object.kind}/${object.metadata.name}`);
      const selector = record(template.spec.nodeSelector);
      const host = selector['kubernetes.io/hostname'];
      groups.push({
        name: `${c.name}: ${objectId(object)}`,
        component: c.name,
        requests: podRequests(template),
        replicas: template.replicas,
        ...(max !== undefined ? { maxReplicas: max } : {}),
        nodes: typeof host === 'string' ? nodeNames.filter((n) => n === host) : undefined,
        spread: hasNodeSpreading(template.spec),
        onePerNode: onePerNode(template.spec),
        pinned: onNodeLocalVolumes(object, local),
        transient: !template.longRunning,
      });
    });
    for (const u of c.declarations.upstreamWorkloads) {
      groups.push({
        name: `${c.name}: upstream ${u.namespace}/${u.name}`,
        component: c.name,
        requests: { cpuMillis: u.cpuMillis, memoryMiB: u.memoryMiB, hugepagesMiB: u.hugepagesMiB ?? 0 },
        replicas: u.replicas,
        nodes: u.nodes,
        spread: u.spread ?? false,
        onePerNode: false,
        transient: false,
      });
    }
  }
  return groups;
}

/**
 * The most replicas each autoscaled workload may reach, from the HorizontalPodAutoscalers and KEDA
 * ScaledObjects rendered on the site, keyed `namespace/Kind/name` of the workload they scale.
 */
function autoscalerMaxima(rendered: RenderedSite): Map<string, number> {
  const maxima = new Map<string, number>();
  for (const w of scaleTargets(rendered.components.flatMap((c) => c.objects))) {
    if (w.maxReplicas !== undefined) maxima.set(`${w.namespace ?? ''}/${w.kind}/${w.name}`, w.maxReplicas);
  }
  return maxima;
}
