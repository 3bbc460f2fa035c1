/** Whether a PodDisruptionBudget blocks every voluntary eviction of a workload (node drains hang). */
import type { KubeObject } from '../render';
import { record } from '../validate/context';
import { podTemplateOf, selects } from '../validate/workloads';
import { keyOf, type TreeObject, type TreeSide } from './objects';

export const BLOCKS = 'every voluntary eviction blocks (node drains hang)';

/**
 * Why `pdb` blocks every voluntary eviction of a workload with `replicas` pods, if it does:
 * minAvailable at or above the replicas (a percentage rounds up, as the API server does), or
 * maxUnavailable 0. A blocked eviction makes `kubectl drain` (and node upgrades) hang.
 */
function pdbBlocks(pdb: TreeObject, replicas: number): string | undefined {
  if (replicas <= 0) return undefined;
  const { minAvailable, maxUnavailable } = record(pdb.body.spec);
  if (typeof minAvailable === 'number' && replicas <= minAvailable)
    return `replicas ${replicas} at or below the minAvailable ${minAvailable} of PodDisruptionBudget ${pdb.name}`;
  const percent = (v: unknown) => (typeof v === 'string' && /^\d+%$/.test(v) ? Number(v.slice(0, -1)) : undefined);
  const minPercent = percent(minAvailable);
  if (minPercent !== undefined && Math.ceil((replicas * minPercent) / 100) >= replicas)
    return `minAvailable ${String(minAvailable)} of PodDisruptionBudget ${pdb.name} keeps all ${replicas} replica(s)`;
  if (maxUnavailable === 0 || percent(maxUnavailable) === 0)
    return `maxUnavailable ${String(maxUnavailable)} of PodDisruptionBudget ${pdb.name}`;
  return undefined;
}

/** The PodDisruptionBudgets of the new tree (only `only` if given) that block every eviction of `workload`, with why. */
export function blockingPdbs(workload: TreeObject, after: TreeSide, only?: TreeObject): string[] {
  const template = podTemplateOf(workload.body as unknown as KubeObject);
  if (!template || typeof template.replicas !== 'number') return [];
  const replicas = template.replicas;
  return after
    .find('PodDisruptionBudget', workload.site, workload.namespace)
    .filter((pdb) => (only === undefined || keyOf(pdb) === keyOf(only)) && selects(record(pdb.body.spec).selector, template.labels))
    .map((pdb) => pdbBlocks(pdb, replicas))
    .filter((why): why is string => why !== undefined);
}
