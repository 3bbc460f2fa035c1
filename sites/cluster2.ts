import type { Site } from './types';
import { OUTSIDE_RANGE_ON_1_36 } from './kubernetes';
import { objectStores } from './object-stores';
import { KUBESPRAY_SYSTEM_WORKLOADS, SEED_VM_SHORTFALL, seedNode } from './seed-node';

/**
 * Esplanade (seed 000: cluster2, the database primary). Addresses are from the documentation ranges
 * (RFC 5737 198.51.100.0/24, RFC 3849 2001:db8::/32): replace them with the real ones.
 */
export const cluster2: Site = {
  name: 'cluster2',
  location: 'Esplanade',
  kubernetesVersion: '1.36',
  compatibility: { acceptOutsideRange: OUTSIDE_RANGE_ON_1_36 },
  nodes: [seedNode('chataalk1', '198.51.100.11'), seedNode('chataalk2', '198.51.100.12'), seedNode('chataalk3', '198.51.100.13')],
  systemWorkloads: KUBESPRAY_SYSTEM_WORKLOADS,
  capacity: {
    acceptOvercommit: {
      reason: SEED_VM_SHORTFALL,
      cpuPercent: 156,
      memoryPercent: 435,
      afterNodeLoss: { cpuPercent: 176, memoryPercent: 539 },
      atAutoscalingMaximum: { cpuPercent: 164, memoryPercent: 455 },
    },
  },
  network: {
    podCidr: '10.233.64.0/18',
    serviceCidr: '10.233.0.0/18',
    apiServer: { address: '198.51.100.10', port: 6443 },
    // Kubespray's defaults: CoreDNS at the third address of the service network, NodeLocal DNSCache.
    dns: { clusterAddress: '10.233.0.3', nodeLocalAddress: '169.254.25.10' },
  },
  loadBalancer: {
    ipv4: ['198.51.100.100-198.51.100.107'],
    ipv6: ['2001:db8:2::100-2001:db8:2::107'],
    fixed: { ingress: '198.51.100.100', database: '198.51.100.101', bus: '198.51.100.102' },
  },
  dns: { publicDomain: 'chataik.fr', siteHostname: 'chataalk-vip.chataik.fr' },
  certificates: {
    kind: 'acme-rfc2136',
    server: 'https://acme-v02.api.letsencrypt.org/directory',
    email: 'sre@chataik.fr',
    nameserver: '203.0.113.53:53',
    tsigKeyName: 'cert-manager-cluster2',
    tsigAlgorithm: 'HMACSHA256',
  },
  database: { role: 'primary' },
  bus: { role: 'hub' },
  vault: {
    address: 'https://vault.chataik.fr:8200',
    authMount: 'kubernetes-cluster2',
    authRole: 'external-secrets',
    kvMount: 'platform',
  },
  // No S3 service on this site (chataalk4 is unused): MinIO in the cluster. Or .s3 / .aws.
  objectStore: objectStores.minio('cluster2'),
  resizer: {
    // The private registry on chataalk-dumas (seed 000); the tag is the release to run.
    image: { registry: 'registry.chataik.fr/chatalk', tag: '1.0.0' },
    api: { min: 2, max: 4 },
    workers: { min: 1, max: 4 },
  },
  gitops: { repoUrl: 'https://gitlab.chataik.fr/platform/platform.git', revision: 'main' },
};
