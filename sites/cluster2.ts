import type { Site } from './types';
import { KUBESPRAY_SYSTEM_WORKLOADS, seedNode } from './seed-node';

/**
 * Esplanade (seed 000: cluster2, the database primary). Addresses are from the documentation ranges
 * (RFC 5737 198.51.100.0/24, RFC 3849 2001:db8::/32): replace them with the real ones.
 */
export const cluster2: Site = {
  name: 'cluster2',
  location: 'Esplanade',
  kubernetesVersion: '1.28',
  nodes: [seedNode('chataalk1', '198.51.100.11'), seedNode('chataalk2', '198.51.100.12'), seedNode('chataalk3', '198.51.100.13')],
  systemWorkloads: KUBESPRAY_SYSTEM_WORKLOADS,
  network: {
    podCidr: '10.233.64.0/18',
    serviceCidr: '10.233.0.0/18',
    apiServer: { address: '198.51.100.10', port: 6443 },
  },
  loadBalancer: {
    ipv4: ['198.51.100.100-198.51.100.107'],
    ipv6: ['2001:db8:2::100-2001:db8:2::107'],
    fixed: { ingress: '198.51.100.100', database: '198.51.100.101', bus: '198.51.100.102' },
  },
  dns: { publicDomain: 'chataik.fr', siteHostname: 'chataalk-vip.chataik.fr' },
  database: { role: 'primary' },
  vault: {
    address: 'https://vault.chataik.fr:8200',
    authMount: 'kubernetes-cluster2',
    authRole: 'external-secrets',
    kvMount: 'platform',
  },
  gitops: { repoUrl: 'https://gitlab.chataik.fr/platform/platform.git', revision: 'main' },
};
