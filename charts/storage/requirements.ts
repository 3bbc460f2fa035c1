/**
 * What Mayastor asks of a node (openebs.io "Replicated PV Mayastor" installation prerequisites and
 * the chart's io-engine values). Shared by the site validation, the Mayastor component and the
 * README, so the three cannot disagree.
 */
import type { Site, SiteNode } from '../../sites';

/** Label the io-engine DaemonSet selects storage nodes by. */
export const STORAGE_NODE_LABEL = { key: 'openebs.io/engine', value: 'mayastor' } as const;
/** Oldest kernel with a usable NVMe over TCP initiator for Mayastor. */
export const MIN_KERNEL: readonly [number, number] = [5, 13];
/** Cores each io-engine busy-polls, dedicated (the chart's `io_engine.cpuCount` default and upstream's recommendation). */
export const IO_ENGINE_CORES = 2;
/** 2 MiB hugepages each io-engine requests (chart `io_engine.resources.*.hugepages2Mi`). */
export const IO_ENGINE_HUGEPAGES_MIB = 2048;
/** Kernel module the CSI node plugin connects volumes with. */
export const NVME_TCP_MODULE = 'nvme-tcp';

/** A storage node is a node with at least one data disk: it runs an io-engine and holds a DiskPool. */
export function isStorageNode(node: SiteNode): boolean {
  return node.dataDisks.length > 0;
}

/** The site's storage nodes, in site-file order. */
export function storageNodes(site: Site): SiteNode[] {
  return site.nodes.filter(isStorageNode);
}

/** Parses `major.minor[.patch...]`; undefined when the text is not a kernel version. */
export function parseKernel(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)(\.\d+)?([-+~.][\w.+~-]*)?$/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Whether a kernel version is at least MIN_KERNEL. */
export function kernelIsRecentEnough(text: string): boolean {
  const k = parseKernel(text);
  return k !== undefined && (k[0] > MIN_KERNEL[0] || (k[0] === MIN_KERNEL[0] && k[1] >= MIN_KERNEL[1]));
}

/** Synchronous replicas of the default StorageClass (seed 002): a site needs this many storage nodes. */
export const DEFAULT_CLASS_REPLICAS = 2;
