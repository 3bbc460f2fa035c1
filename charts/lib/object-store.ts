/**
 * The contract every object store offers to the components that store objects (the resizer,
 * database backups). The site file chooses the kind (`minio` in the cluster, an existing `s3`
 * endpoint, or an `aws` bucket resolved at synth); clients only see this interface.
 */
import type { PlatformComponent } from '../component';
import type { Endpoint } from './declarations';
import type { RotatingSecret } from './workload';

/** What a client needs to reach one bucket. */
export interface BucketAccess {
  /** S3 endpoint URL as pods reach it. */
  readonly endpointUrl: string;
  /** Region name (any value for MinIO). */
  readonly region: string;
  /** Bucket name. */
  readonly bucket: string;
  /** Whether clients must use path-style addressing (MinIO, most S3-compatible services). */
  readonly pathStyle: boolean;
  /** Kubernetes Secret, in the client's namespace, with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  readonly credentialsSecret: RotatingSecret;
}

/** How a bucket keeps its objects (rendered as the bucket's lifecycle rules). */
export interface BucketOptions {
  /**
   * Objects older than this many days are deleted (backups).
   * @default kept forever
   */
  readonly expireAfterDays?: number;
}

/**
 * CloudFormation outputs fetched before rendering (pipeline/aws-outputs.ts), keyed by
 * `<region>/<stackName>`, then by output key. Only sites whose store is `aws` need them.
 */
export type StackOutputs = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** Key of a stack in `StackOutputs`. */
export function stackKey(region: string, stackName: string): string {
  return `${region}/${stackName}`;
}

export interface ObjectStore {
  /** The component that provides the store (clients sync after it). */
  readonly component: PlatformComponent;
  /**
   * Gives `client` (its pods `pods`) access to the bucket for `purpose`: declares the bucket, the
   * credentials Secret in the client's namespace, the network flow and the sync dependency.
   */
  grant(client: PlatformComponent, pods: Endpoint, purpose: string, options?: BucketOptions): BucketAccess;
}
