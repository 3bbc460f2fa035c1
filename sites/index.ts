import { cluster1 } from './cluster1';
import { cluster2 } from './cluster2';
import { ACCESS, type AccessConfig } from './access';
import { EDGE } from './edge';
import type { EdgeProxy, Site } from './types';

/** Every site the platform renders. A new site is a new file in this folder and one line here. */
export const SITES: readonly Site[] = [cluster1, cluster2];

export type {
  Site,
  SiteNode,
  DataDisk,
  DatabaseRole,
  LoadBalancerPool,
  NodeHost,
  BusRole,
  CertificateIssuer,
  EdgeProxy,
  SplitPolicy,
  ObjectStoreChoice,
  MinioObjectStore,
  S3ObjectStore,
  AwsObjectStore,
  ImageSource,
  ReplicaRange,
  ResizerSite,
  SystemWorkload,
} from './types';
export { EDGE } from './edge';

/** The whole model: every site and the edge proxy in front of them. */
export interface PlatformModel {
  /** Every registered site. */
  readonly sites: readonly Site[];
  /** The HAProxy edge VM in front of the sites. */
  readonly edge: EdgeProxy;
  /**
   * Who may do what in every site's Argo CD.
   * @default ACCESS (sites/access.ts)
   */
  readonly access?: AccessConfig;
}

/** The committed platform. */
export const PLATFORM: PlatformModel = { sites: SITES, edge: EDGE, access: ACCESS };
