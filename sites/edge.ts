import type { EdgeProxy } from './types';

/**
 * The HAProxy VM at AIUS (seed 000): public IPv4 and IPv6, ports 80 and 443 to the sites. Today it
 * sends everything to cluster1 and is meant to balance over both later: active/backup with cluster1
 * active keeps today's behaviour, with cluster2 taking over when cluster1 is down. Addresses are
 * from the documentation ranges (RFC 5737 203.0.113.0/24, RFC 3849): replace them with the real ones.
 */
export const EDGE: EdgeProxy = {
  name: 'chataik-lb',
  ipv4: '203.0.113.10',
  ipv6: '2001:db8:ff::10',
  sourceAddresses: ['203.0.113.10/32'],
  split: { mode: 'active-backup', active: 'cluster1' },
  maxConnections: 20000,
};
