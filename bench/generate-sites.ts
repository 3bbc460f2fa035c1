import type { PlatformModel, Site } from '../sites';
import { EDGE } from '../sites/edge';
import { cluster1 } from '../sites/cluster1';

/**
 * N synthetic sites shaped like cluster1, each with its own names and addresses (from 10.0.0.0/8,
 * never routed anywhere: the bench only renders), the first one the database primary.
 */
export function generateSites(count: number): Site[] {
  return Array.from({ length: count }, (_, i) => {
    const b = Math.floor(i / 250);
    const c = i % 250;
    const net = `10.${b}.${c}`;
    return {
      ...cluster1,
      name: `site${i}`,
      location: `Bench ${i}`,
      nodes: cluster1.nodes.map((n, k) => ({ ...n, name: `site${i}-node${k}`, address: `${net}.${11 + k}` })),
      network: { ...cluster1.network, apiServer: { address: `${net}.10`, port: 6443 } },
      loadBalancer: { ipv4: [`${net}.100-${net}.107`], fixed: { ingress: `${net}.100`, database: `${net}.101`, bus: `${net}.102` } },
      dns: { publicDomain: cluster1.dns.publicDomain, siteHostname: `site${i}.${cluster1.dns.publicDomain}` },
      database: { role: i === 0 ? 'primary' : 'standby' },
      bus: { role: i === 0 ? 'hub' : 'leaf' },
    };
  });
}

/** A model of N generated sites behind the committed edge, split evenly between them. */
export function generateModel(count: number): PlatformModel {
  const sites = generateSites(count);
  return { sites, edge: { ...EDGE, split: { mode: 'weighted', weights: Object.fromEntries(sites.map((s) => [s.name, 1])) } } };
}
