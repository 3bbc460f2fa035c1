import type { AwsObjectStore, MinioObjectStore, S3ObjectStore } from './types';

/**
 * The three object-store kinds a site can pick (issue 5), as data. A site file sets
 * `objectStore: inClusterMinio('<site>')`, `utilityVmS3('<site>')` or `awsS3('<site>')`: switching
 * is that one line. Vault paths are per site, under the site's `vault.kvMount`.
 */

/** MinIO in the cluster on a 10 GiB replicated Mayastor volume (fits a 20 GiB pool per node). */
export function inClusterMinio(site: string, volumeGiB = 10): MinioObjectStore {
  return { kind: 'minio', volumeGiB, rootCredentialsPath: `object-store/${site}/minio-root` };
}

/**
 * The seed's MinIO on the utility VM chataalk-dumas (Illkirch, 4 vCPU, 8 GB, 75 GB). The address
 * is from the documentation range like every address in sites/: replace it with the VM's.
 */
export function utilityVmS3(site: string): S3ObjectStore {
  return {
    kind: 's3',
    endpoint: 'https://chataalk-dumas.chataik.fr:9000',
    region: 'us-east-1',
    cidrs: ['192.0.2.20/32'],
    bucketPrefix: site,
    credentialsPath: `object-store/${site}`,
    pathStyle: true,
  };
}

/** Buckets in AWS S3 (Paris region by default), defined with aws-cdk-lib in this program. */
export function awsS3(site: string, region = 'eu-west-3'): AwsObjectStore {
  return { kind: 'aws', stackName: `chatalk-${site}-objects`, region, credentialsPath: `object-store/${site}/aws` };
}

/** The kinds by name, so a site file switches with one word: `objectStore: objectStores.minio('x')`. */
export const objectStores = { minio: inClusterMinio, s3: utilityVmS3, aws: awsS3 } as const;
