/**
 * Node-local volumes for the capacity view: a StatefulSet whose claims are on a node-local
 * StorageClass keeps each pod on the node its volume was made on (the volume's node affinity), and
 * its data on that node's system disk.
 */
import type { RenderedSite } from '../render';
import { list, record } from './context';
import { parseQuantity } from './workloads';

/** Provisioners whose volumes live on one node's disk (the pod is pinned to it). */
const NODE_LOCAL_PROVISIONERS = ['openebs.io/local', 'kubernetes.io/no-provisioner'];
/** The kubelet evicts pods when its filesystem has less than 15% free (imagefs default, the stricter one). */
export const DISK_EVICTION_FREE = 0.15;

/** Names of the site's StorageClasses whose volumes are node-local. */
export function nodeLocalClasses(rendered: RenderedSite): Set<string> {
  return new Set(
    rendered.components
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'StorageClass' && NODE_LOCAL_PROVISIONERS.includes(String(o.provisioner ?? '')))
      .map((o) => o.metadata.name),
  );
}

/** Whether a StatefulSet keeps its pods' data on node-local volumes. */
export function onNodeLocalVolumes(object: { kind: string; spec?: unknown }, local: Set<string>): boolean {
  return (
    object.kind === 'StatefulSet' &&
    list(record(object.spec).volumeClaimTemplates).some((t) => local.has(String(record(t.spec).storageClassName ?? '')))
  );
}

/** GiB of node-local volumes on one node at most: each such StatefulSet has at most one member per node. */
export function nodeLocalGiBPerNode(rendered: RenderedSite): number {
  const local = nodeLocalClasses(rendered);
  return rendered.components
    .flatMap((c) => c.objects)
    .filter((o) => onNodeLocalVolumes(o, local))
    .flatMap((o) => list(record(o.spec).volumeClaimTemplates))
    .filter((t) => local.has(String(record(t.spec).storageClassName ?? '')))
    .reduce((n, t) => n + (parseQuantity(record(record(record(t.spec).resources).requests).storage) ?? 0) / 2 ** 30, 0);
}
