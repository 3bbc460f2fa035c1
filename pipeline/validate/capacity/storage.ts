/** Storage a site's claims need with their replication, against its DiskPools and its nodes' system disks. */
import type { RenderedSite } from '../../render';
import { list, objectId, record } from '../context';
import { nodeLocalGiBPerNode } from '../node-local';
import { parseQuantity } from '../workloads';

/** Storage demand against the DiskPools. */
export interface StorageUsage {
  /** GiB of claims times their replication, on Mayastor classes. */
  readonly neededGiB: number;
  /** GiB of the site's DiskPools (data disks). */
  readonly poolGiB: number;
  /** Each claim counted: `component: object field`, size and replication. */
  readonly claims: readonly { readonly name: string; readonly sizeGiB: number; readonly replicas: number; readonly storageClass: string }[];
  /** GiB of node-local volumes on one node at most (each pinned StatefulSet has one member per node), on the system disk. */
  readonly nodeLocalGiB: number;
  /** Smallest system disk of the site's nodes, GB. */
  readonly systemDiskGB: number;
}

/** Claims on the site and their replication, against the DiskPools. */
export function storageUsage(rendered: RenderedSite): StorageUsage {
  const objects = rendered.components.flatMap((c) => c.objects.map((o) => ({ o, c: c.name })));
  const classes = new Map(
    objects
      .filter(({ o }) => o.kind === 'StorageClass')
      .map(({ o }) => [o.metadata.name, { provisioner: String(o.provisioner ?? ''), repl: Number(record(o.parameters).repl ?? 1) }]),
  );
  const claims: { name: string; sizeGiB: number; replicas: number; storageClass: string }[] = [];
  const claim = (name: string, spec: Record<string, unknown>, copies: number) => {
    const storageClass = String(spec.storageClassName ?? '');
    const cls = classes.get(storageClass);
    if (!cls || !cls.provisioner.includes('mayastor')) return;
    const bytes = parseQuantity(record(record(spec.resources).requests).storage) ?? 0;
    claims.push({ name, sizeGiB: (bytes / 2 ** 30) * copies, replicas: Number.isFinite(cls.repl) ? cls.repl : 1, storageClass });
  };
  for (const c of rendered.components) {
    for (const u of c.declarations.upstreamWorkloads.filter((w) => w.claim && typeof w.replicas === 'number')) {
      const replicas = u.replicas as number;
      const spec = { storageClassName: u.claim!.storageClass, resources: { requests: { storage: `${u.claim!.sizeGiB}Gi` } } };
      claim(`${c.name}: ${u.name} (upstream) x${replicas}`, spec, replicas);
    }
  }
  for (const { o, c } of objects) {
    if (o.kind === 'PersistentVolumeClaim') claim(`${c}: ${objectId(o)}`, record(o.spec), 1);
    if (o.kind === 'StatefulSet') {
      const spec = record(o.spec);
      const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
      for (const t of list(spec.volumeClaimTemplates)) {
        claim(`${c}: ${objectId(o)} ${String(record(t.metadata).name)} x${replicas}`, record(t.spec), replicas);
      }
    }
  }
  return {
    claims,
    neededGiB: claims.reduce((n, x) => n + x.sizeGiB * x.replicas, 0),
    poolGiB: rendered.site.nodes.reduce((n, node) => n + node.dataDisks.reduce((m, d) => m + d.sizeGiB, 0), 0),
    nodeLocalGiB: nodeLocalGiBPerNode(rendered),
    systemDiskGB: Math.min(...rendered.site.nodes.map((n) => n.diskGB)),
  };
}
