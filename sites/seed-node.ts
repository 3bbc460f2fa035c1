import type { SiteNode, SystemWorkload } from './types';

/**
 * A node as the seeds describe every VM: 4 vCPU, 4 GiB, 50 GB, Ubuntu, each also a control-plane
 * member (3 masters per site). Reservations follow Kubespray's defaults for a master
 * (kube-reserved + system-reserved) on a node this small; the data disk is a second virtual disk
 * for Mayastor that the seeds do not list yet and the VMs must be given.
 */
export function seedNode(name: string, address: string): SiteNode {
  return {
    name,
    address,
    vcpu: 4,
    memoryMiB: 4096,
    diskGB: 50,
    controlPlane: true,
    reserved: { cpuMillis: 700, memoryMiB: 768 },
    dataDisks: [{ uri: 'aio:///dev/disk/by-id/virtio-mayastor-data', sizeGiB: 20 }],
  };
}

/**
 * What Kubespray runs on a seed cluster besides our gitops/ (its defaults: kubeadm's control-plane
 * static pods on every master, Calico and NodeLocal DNSCache on every node, two CoreDNS; etcd runs
 * on the host and is covered by `reserved`). Compare with `kubectl describe node` once the
 * clusters exist and correct these figures here.
 */
export const KUBESPRAY_SYSTEM_WORKLOADS: readonly SystemWorkload[] = [
  { name: 'kube-apiserver', replicas: 'perNode', controlPlaneOnly: true, cpuMillis: 250, memoryMiB: 0 },
  { name: 'kube-controller-manager', replicas: 'perNode', controlPlaneOnly: true, cpuMillis: 200, memoryMiB: 0 },
  { name: 'kube-scheduler', replicas: 'perNode', controlPlaneOnly: true, cpuMillis: 100, memoryMiB: 0 },
  { name: 'calico-node', replicas: 'perNode', cpuMillis: 150, memoryMiB: 64 },
  { name: 'nodelocaldns', replicas: 'perNode', cpuMillis: 100, memoryMiB: 70 },
  { name: 'coredns', replicas: 2, cpuMillis: 100, memoryMiB: 70 },
];
