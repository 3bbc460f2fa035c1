import type { Site } from './types';
import { OUTSIDE_RANGE_ON_1_36 } from './kubernetes';
import { objectStores } from './object-stores';
import { KUBESPRAY_SYSTEM_WORKLOADS, SEED_VM_SHORTFALL, seedNode } from './seed-node';

/**
 * Illkirch (seed 000: cluster1). The seeds give no addresses: every address here is from the
 * documentation ranges (RFC 5737 192.0.2.0/24, RFC 3849 2001:db8::/32) and must be replaced by the
 * real ones before deployment.
 */
export const cluster1: Site = {
  name: 'cluster1',
  location: 'Illkirch',
  kubernetesVersion: '1.36',
  compatibility: { acceptOutsideRange: OUTSIDE_RANGE_ON_1_36 },
  nodes: [seedNode('chataalk-balzac', '192.0.2.11'), seedNode('chataalk-camus', '192.0.2.12'), seedNode('chataalk-zola', '192.0.2.13')],
  systemWorkloads: KUBESPRAY_SYSTEM_WORKLOADS,
  capacity: {
    acceptOvercommit: {
      reason: SEED_VM_SHORTFALL,
      cpuPercent: 155,
      memoryPercent: 420,
      afterNodeLoss: { cpuPercent: 173, memoryPercent: 519 },
      atAutoscalingMaximum: { cpuPercent: 165, memoryPercent: 442 },
    },
  },
  network: {
    podCidr: '10.233.64.0/18',
    serviceCidr: '10.233.0.0/18',
    apiServer: { address: '192.0.2.10', port: 6443 },
    // Kubespray's defaults: CoreDNS at the third address of the service network, NodeLocal DNSCache.
    dns: { clusterAddress: '10.233.0.3', nodeLocalAddress: '169.254.25.10' },
  },
  loadBalancer: {
    ipv4: ['192.0.2.100-192.0.2.107'],
    ipv6: ['2001:db8:1::100-2001:db8:1::107'],
    fixed: { ingress: '192.0.2.100', database: '192.0.2.101', bus: '192.0.2.102' },
  },
  dns: { publicDomain: 'chataik.fr', siteHostname: 'chataalk.chataik.fr' },
  certificates: {
    kind: 'acme-rfc2136',
    server: 'https://acme-v02.api.letsencrypt.org/directory',
    email: 'sre@chataik.fr',
    nameserver: '203.0.113.53:53',
    tsigKeyName: 'cert-manager-cluster1',
    tsigAlgorithm: 'HMACSHA256',
  },
  database: { role: 'standby' },
  bus: { role: 'leaf' },
  vault: {
    address: 'https://vault.chataik.fr:8200',
    authMount: 'kubernetes-cluster1',
    authRole: 'external-secrets',
    kvMount: 'platform',
  },
  // The seed's MinIO on chataalk-dumas, on this site: spares the 4 GiB nodes. Or .minio / .aws.
  objectStore: objectStores.s3('cluster1'),
  resizer: {
    // The private registry on chataalk-dumas (seed 000); the tag is the release to run.
    image: { registry: 'registry.chataik.fr/chatalk', tag: '1.0.0' },
    api: { min: 2, max: 4 },
    workers: { min: 1, max: 4 },
  },
  gitops: { repoUrl: 'https://gitlab.chataik.fr/platform/platform.git', revision: 'main' },
};
