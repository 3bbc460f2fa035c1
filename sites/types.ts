/**
 * The facts that differ between sites. A site file holds data only; every component reads what it
 * needs from here, and cross-site facts (the primary's address, the peer's addresses) are read from
 * the other site's model, never typed twice.
 */

/** A data disk that Mayastor turns into a DiskPool. */
export interface DataDisk {
  /** Stable device URI, e.g. `aio:///dev/disk/by-id/virtio-data1` (aio://, uring:// or /dev/...). */
  readonly uri: string;
  /** Usable size of the device in GiB. */
  readonly sizeGiB: number;
}

/** One Kubernetes node (a VM in the seeds). */
export interface SiteNode {
  /** Kubernetes node name (the VM's hostname). */
  readonly name: string;
  /** The node's IPv4 address on the site network. */
  readonly address: string;
  /** Virtual CPUs of the VM. */
  readonly vcpu: number;
  /** Memory of the VM in MiB. */
  readonly memoryMiB: number;
  /** System disk of the VM in GB. */
  readonly diskGB: number;
  /** Whether the node also runs the control plane (every seed node is a master). */
  readonly controlPlane: boolean;
  /** What the kubelet, system daemons and (if any) the control plane keep for themselves. */
  readonly reserved: { readonly cpuMillis: number; readonly memoryMiB: number };
  /** Disks given to Mayastor; an empty list means the node is not a storage node. */
  readonly dataDisks: readonly DataDisk[];
}

/** Addresses MetalLB may hand out, and the fixed ones our services pin. */
export interface LoadBalancerPool {
  /** IPv4 addresses or ranges (`a.b.c.d/nn` or `a.b.c.d-a.b.c.e`) announced by MetalLB. */
  readonly ipv4: readonly string[];
  /** Optional IPv6 addresses or ranges. */
  readonly ipv6?: readonly string[];
  /** Fixed addresses, by the service that owns them; each must lie inside the pool. */
  readonly fixed: {
    /** Envoy's floating IP, where the edge proxy sends ports 80/443. */
    readonly ingress: string;
    /** The database endpoint the other site replicates from (used on the primary site). */
    readonly database: string;
    /** The bus link other sites connect to. */
    readonly bus: string;
  };
}

/** Which side of the cross-site PostgreSQL pair a site runs. */
export type DatabaseRole = 'primary' | 'standby';

/**
 * The site's object store (issue 5), chosen per site; every component that stores objects (the
 * resizer, database backups) uses it through the `ObjectStore` contract. Switching kind is one line.
 */
export type ObjectStoreChoice = MinioObjectStore | S3ObjectStore | AwsObjectStore;

/** MinIO inside the cluster, one server on a replicated Mayastor volume. */
export interface MinioObjectStore {
  readonly kind: 'minio';
  /** Size of MinIO's volume in GiB (Mayastor keeps one copy of it on each of `repl` nodes). */
  readonly volumeGiB: number;
  /** Vault path (under vault.kvMount) of the root credentials, properties `user` and `password`. */
  readonly rootCredentialsPath: string;
}

/** An existing S3-compatible service outside the cluster (the seed's MinIO on the utility VM). */
export interface S3ObjectStore {
  readonly kind: 's3';
  /** Endpoint URL as pods reach it, e.g. `https://s3.chataik.fr:9000`. */
  readonly endpoint: string;
  /** Region name the service expects (any value for MinIO, e.g. `us-east-1`). */
  readonly region: string;
  /** Addresses (CIDRs) the endpoint resolves to: the egress NetworkPolicy allows only these. */
  readonly cidrs: readonly string[];
  /** Bucket names are `<bucketPrefix>-<purpose>` (the service may be shared by several sites). */
  readonly bucketPrefix: string;
  /** Vault path prefix of the access keys: `<path>/<purpose>`, properties `access_key_id`, `secret_access_key`. */
  readonly credentialsPath: string;
  /** Whether clients use path-style URLs (MinIO and most S3-compatible services: true). */
  readonly pathStyle: boolean;
}

/**
 * AWS S3: the buckets are defined with aws-cdk-lib in this program (stack `stackName`), and their
 * deploy-time names and region are read from the stack's CloudFormation outputs during synth.
 */
export interface AwsObjectStore {
  readonly kind: 'aws';
  /** CloudFormation stack holding the site's buckets. */
  readonly stackName: string;
  /** AWS region the stack is deployed to (where synth asks CloudFormation). */
  readonly region: string;
  /** Vault path prefix of the IAM access keys: `<path>/<purpose>`, properties `access_key_id`, `secret_access_key`. */
  readonly credentialsPath: string;
}

/** A container image reference set per site: a registry, a tag, and optionally a digest. */
export interface ImageSource {
  /** Registry and path prefix, e.g. `registry.chataik.fr/chatalk`. */
  readonly registry: string;
  /** Release tag, e.g. `1.4.2` (never `latest`). */
  readonly tag: string;
  /** Optional digests (`sha256:<64 hex>`) by image name, copied from the registry, never invented. */
  readonly digests?: Readonly<Record<string, string>>;
}

/** Replica bounds an autoscaler may move between. */
export interface ReplicaRange {
  /** Fewest replicas. */
  readonly min: number;
  /** Most replicas (must fit the site's capacity). */
  readonly max: number;
}

/** The image-resizing service of seed 001 on this site. */
export interface ResizerSite {
  /** Where the `resizer-api` and `resizer-worker` images are pulled from. */
  readonly image: ImageSource;
  /** API replicas (CPU autoscaling); at least 2 so a node loss keeps uploads working. */
  readonly api: ReplicaRange;
  /** Worker replicas (scaled on the bus consumer's lag). */
  readonly workers: ReplicaRange;
}

/** Everything one site is made of. */
export interface Site {
  /** Short identifier, also the directory under gitops/ (lowercase letters, digits, dashes). */
  readonly name: string;
  /** Where the site is, for people. */
  readonly location: string;
  /** Kubernetes minor version the cluster runs, e.g. `1.28`. */
  readonly kubernetesVersion: string;
  /** The cluster's nodes. */
  readonly nodes: readonly SiteNode[];
  /** Cluster networking. */
  readonly network: {
    /** Pod CIDR of the cluster. */
    readonly podCidr: string;
    /** Service CIDR of the cluster. */
    readonly serviceCidr: string;
    /** The Kubernetes API server as the nodes reach it (IPv4 address and port). */
    readonly apiServer: { readonly address: string; readonly port: number };
  };
  /** MetalLB pool and the fixed addresses taken from it. */
  readonly loadBalancer: LoadBalancerPool;
  /** Names served through the edge. */
  readonly dns: {
    /** Public domain, the same on every site (the edge chooses the site). */
    readonly publicDomain: string;
    /** Optional per-site name, e.g. `chataalk.chataik.fr`, for reaching one site directly. */
    readonly siteHostname?: string;
  };
  /** The site's role in the cross-site database pair. */
  readonly database: { readonly role: DatabaseRole };
  /** Where External Secrets reads secrets from. */
  readonly vault: {
    /** Vault's URL. */
    readonly address: string;
    /** Kubernetes auth mount path in Vault. */
    readonly authMount: string;
    /** Vault role the External Secrets service account logs in as. */
    readonly authRole: string;
    /** KV v2 mount holding the platform's secrets. */
    readonly kvMount: string;
  };
  /** Where the site stores objects: `minio` in the cluster, an existing `s3` service, or `aws`. */
  readonly objectStore: ObjectStoreChoice;
  /** The image-resizing service. */
  readonly resizer: ResizerSite;
  /** What Argo CD on this site pulls. */
  readonly gitops: {
    /** Git URL of this repository. */
    readonly repoUrl: string;
    /** Branch, tag or commit Argo CD follows. */
    readonly revision: string;
  };
}
