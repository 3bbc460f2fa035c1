import type { SiteNode } from './types';

/**
 * A node as the seeds describe every VM: 4 vCPU, 4 GiB, 50 GB, each also a control-plane member
 * (3 masters per site). Reservations follow Kubespray's defaults for a master (kube-reserved +
 * system-reserved) on a node this small; the data disk is a second virtual disk for Mayastor that
 * the seeds do not list yet and the VMs must be given. The seeds run Ubuntu 18.04 (kernel 4.15):
 * Mayastor needs kernel 5.13+ with nvme-tcp, so the host facts below are the upgraded node
 * (Ubuntu 22.04, kernel 5.15) with 1024 hugepages of 2 MiB reserved at boot.
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
    host: { os: 'Ubuntu 22.04', kernel: '5.15', hugepages2MiB: 2048, kernelModules: ['nvme-tcp'] },
  };
}
