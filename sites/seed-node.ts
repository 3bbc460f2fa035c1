import type { SiteNode, SystemWorkload } from './types';

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

/**
 * Why the committed sites accept overcommit. The figures come from `npm run capacity`; each site
 * file accepts what it measures, with room for its largest Job, rounded up to 5%: any growth fails
 * synth again and is seen in review.
 */
export const SEED_VM_SHORTFALL =
  "seed 000's VMs are 4 vCPU / 4 GiB; Mayastor alone takes 2 dedicated cores, 1 GiB and 2 GiB of hugepages per node. " +
  'npm run capacity shows the platform needs about 6 vCPU / 8 GiB per node, and 6 vCPU / 10 GiB to run on after the loss of a node or with the resizer at its autoscaling maximum. ' +
  'Accepted until the VMs are resized (to be requested from the DNUM); until then the pods beyond capacity stay Pending.';
