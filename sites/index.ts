import { cluster1 } from './cluster1';
import { cluster2 } from './cluster2';
import type { Site } from './types';

/** Every site the platform renders. A new site is a new file in this folder and one line here. */
export const SITES: readonly Site[] = [cluster1, cluster2];

export type { Site, SiteNode, DataDisk, DatabaseRole, LoadBalancerPool, SystemWorkload } from './types';
