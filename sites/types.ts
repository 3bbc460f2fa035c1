/**
 * The facts that differ between sites. A site file holds data only; every component reads what it
 * needs from here, and cross-site facts (the primary's address, the peer's addresses) are read from
 * the other site's model, never typed twice.
 */
import type { OptOuts } from '../model/components';

/** A data disk that Mayastor turns into a DiskPool. */
export interface DataDisk {
  /** Stable device URI, e.g. `aio:///dev/disk/by-id/virtio-data1` (aio://, uring:// or /dev/...). */
  readonly uri: string;
  /** Usable size of the device in GiB. */
  readonly sizeGiB: number;
}

/**
 * What the node provisioning (Kubespray/Ansible, before Kubernetes) sets up on a host. Mayastor's
 * io-engine needs it on every storage node; `pipeline/validate-sites.ts` checks it.
 */
export interface NodeHost {
  /** Operating system release, e.g. `Ubuntu 22.04` (the seeds' 18.04 ships kernel 4.15 and must be upgraded). */
  readonly os: string;
  /** Running kernel, `major.minor[.patch]`; a storage node needs 5.13 or newer (NVMe over TCP initiator). */
  readonly kernel: string;
  /** Memory reserved as 2 MiB hugepages at boot (`vm.nr_hugepages` x 2), MiB; the kubelet removes it from allocatable memory. A storage node needs 2048. */
  readonly hugepages2MiB: number;
  /** Kernel modules loaded at boot (`/etc/modules-load.d`); a storage node needs `nvme-tcp`. */
  readonly kernelModules: readonly string[];
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
  /** Host facts (OS, kernel, hugepages, modules) the storage layer depends on. */
  readonly host: NodeHost;
}

/** Pods the cluster installer runs outside gitops/ (control plane, CNI, DNS), for the capacity check. */
export interface SystemWorkload {
  /** Workload name, e.g. `kube-apiserver`. */
  readonly name: string;
  /** `perNode` (DaemonSets, static pods), or a replica count. */
  readonly replicas: number | 'perNode';
  /** Only on control-plane nodes (static pods of the control plane). */
  readonly controlPlaneOnly?: boolean;
  /** CPU request per pod, millicores. */
  readonly cpuMillis: number;
  /** Memory request per pod, MiB. */
  readonly memoryMiB: number;
}

/** Overcommit a site accepts knowingly (requests above what nodes can allocate: some pods stay Pending). */
export interface OvercommitAcceptance {
  /** Why it is accepted (shown by npm run validate and npm run capacity). */
  readonly reason: string;
  /** Highest accepted CPU requests on a node, in percent of its allocatable, with every node up (default 100). */
  readonly cpuPercent?: number;
  /** Highest accepted memory requests on a node, in percent of its allocatable, with every node up (default 100). */
  readonly memoryPercent?: number;
  /** The same after the loss of any one node (default: the values above). */
  readonly afterNodeLoss?: { readonly cpuPercent?: number; readonly memoryPercent?: number };
  /** The same with every autoscaler at its maximum (default: the values with every node up). */
  readonly atAutoscalingMaximum?: { readonly cpuPercent?: number; readonly memoryPercent?: number };
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

/**
 * How cert-manager obtains the site's TLS certificates. Public names are served by Envoy itself
 * (the edge passes TLS through), so they need publicly trusted certificates: ACME with a DNS-01
 * challenge (an HTTP-01 self-check from inside the cluster reaches Envoy without the PROXY header
 * and fails). Vault PKI suits names only internal clients use.
 */
export type CertificateIssuer =
  | {
      /** ACME (e.g. Let's Encrypt) with DNS-01 through RFC 2136 dynamic updates (BIND, Knot, PowerDNS). */
      readonly kind: 'acme-rfc2136';
      /** ACME directory URL. */
      readonly server: string;
      /** Account e-mail the CA writes to about expiring certificates. */
      readonly email: string;
      /** Authoritative DNS server accepting TSIG-signed updates, `host:port`. */
      readonly nameserver: string;
      /** TSIG key name; its secret is read from Vault (`certificates/<site>/tsig`, property `secret`). */
      readonly tsigKeyName: string;
      /** TSIG algorithm. */
      readonly tsigAlgorithm: 'HMACSHA256' | 'HMACSHA512';
    }
  | {
      /** Vault's PKI secrets engine, logging in with the site's Vault Kubernetes auth. */
      readonly kind: 'vault-pki';
      /** Signing path, e.g. `pki_int/sign/platform`. */
      readonly path: string;
      /** Vault role cert-manager logs in as. */
      readonly role: string;
    };

/** Which side of the cross-site PostgreSQL pair a site runs. */
export type DatabaseRole = 'primary' | 'standby';

/**
 * The site's end of the cross-site bus link: exactly one site is the `hub` (it listens for
 * leafnode connections on `loadBalancer.fixed.bus`), every other site is a `leaf` that dials it.
 */
export type BusRole = 'hub' | 'leaf';

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
  /**
   * Kubernetes minor release the cluster runs, e.g. `1.36`: rendered objects are validated against
   * its API schema (imported by `npm run import`), and every pinned upstream release must state
   * support for it, or be accepted in `compatibility`.
   */
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
    /**
     * Where pods send DNS queries: the cluster DNS Service address and, with NodeLocal DNSCache
     * (Kubespray's default), the link-local address of the cache on every node, which no pod
     * selector can match, so NetworkPolicies must name it.
     */
    readonly dns: { readonly clusterAddress: string; readonly nodeLocalAddress?: string };
  };
  /** MetalLB pool and the fixed addresses taken from it. */
  readonly loadBalancer: LoadBalancerPool;
  /** Names served through the edge. */
  readonly dns: {
    /** Public domain, the same on every site (the edge chooses the site). */
    readonly publicDomain: string;
    /** Optional per-site name, e.g. `chataalk.chataik.fr`, for reaching one site directly. */
    readonly siteHostname?: string;
    /**
     * Whether the edge may send the public domain's traffic here (default true). A site that must
     * never take public traffic (staging) sets false: it is left out of the edge's split and is
     * reached by its `siteHostname` only.
     */
    readonly servesPublicDomain?: boolean;
  };
  /** Where the site's TLS certificates come from (one cert-manager ClusterIssuer per site). */
  readonly certificates: CertificateIssuer;
  /** The site's role in the cross-site database pair. */
  readonly database: { readonly role: DatabaseRole };
  /** The site's message bus (NATS JetStream; one JetStream domain per site). */
  readonly bus: {
    /** Which end of the cross-site leafnode link this site is. */
    readonly role: BusRole;
  };
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
  /** Pods the installer runs that gitops/ does not render, counted by the capacity check. */
  readonly systemWorkloads?: readonly SystemWorkload[];
  /** Capacity decisions of the site (npm run capacity shows the figures). */
  readonly capacity?: {
    /** Requests above allocatable accepted, with the reason; without it, overcommit fails synth. */
    readonly acceptOvercommit?: OvercommitAcceptance;
  };
  /** Kubernetes-version decisions of the site (npm run validate lists them). */
  readonly compatibility?: {
    /**
     * Pinned upstream releases run although their project's stated Kubernetes range does not
     * include `kubernetesVersion`, by pin as synth names it (`contour@0.7.0`), with the reason;
     * without it, synth refuses the site. An acceptance of a pin no longer installed, or now in
     * range, is refused too.
     */
    readonly acceptOutsideRange?: Readonly<Record<string, string>>;
  };
  /**
   * The monitoring stack's settings (charts/monitoring).
   * @default mail to sre@<publicDomain> through smtp.<publicDomain>:587, Prometheus as MonitoringSite says
   */
  readonly monitoring?: MonitoringSite;
  /** Components this site does not run, by component name, with the reason (every other site runs them all). */
  readonly components?: { readonly optOut?: OptOuts };
  /** What Argo CD on this site pulls. */
  readonly gitops: {
    /** Git URL of this repository. */
    readonly repoUrl: string;
    /** Branch, tag or commit Argo CD follows. */
    readonly revision: string;
  };
}

/** How the edge splits traffic between sites. */
export type SplitPolicy =
  | {
      /** Every connection goes to `active`; the others take over only when it is down. */
      readonly mode: 'active-backup';
      /** Site name receiving the traffic while it is healthy. */
      readonly active: string;
    }
  | {
      /** Connections are spread by weight over the healthy sites. */
      readonly mode: 'weighted';
      /** Weight per site name (1..256); a site missing here gets no traffic. */
      readonly weights: Readonly<Record<string, number>>;
    };

/**
 * The edge proxy (seed 000: the HAProxy VM at AIUS, public IPv4 and IPv6, in front of both sites).
 * Not a Kubernetes site: its backends are read from every site's `loadBalancer.fixed.ingress`.
 */
export interface EdgeProxy {
  /** VM host name, for people. */
  readonly name: string;
  /** Public IPv4 address the frontends bind. */
  readonly ipv4: string;
  /** Public IPv6 address the frontends bind (the sites have no IPv6 inside). */
  readonly ipv6?: string;
  /** Addresses the VM connects to the sites from (Envoy only accepts these). */
  readonly sourceAddresses: readonly string[];
  /** How traffic is split between sites. */
  readonly split: SplitPolicy;
  /** Largest number of concurrent client connections. */
  readonly maxConnections: number;
}

/** A site's monitoring settings; every field has a default. */
export interface MonitoringSite {
  /**
   * Where alert mails go and how they are sent; the SMTP password is read from Vault.
   * @default to sre@<publicDomain>, from alertmanager-<site>@<publicDomain>, through smtp.<publicDomain>:587 as alertmanager-<site>, password at monitoring/smtp
   */
  readonly mail?: {
    readonly to?: string;
    readonly from?: string;
    /** `host:port` of the SMTP relay (STARTTLS required). */
    readonly smarthost?: string;
    readonly username?: string;
    /** Vault KV path (under the site's mount) of the secret whose `password` property is the SMTP password. */
    readonly credentialsPath?: string;
  };
  /**
   * How long Prometheus keeps samples, days.
   * @default 7
   */
  readonly retentionDays?: number;
  /**
   * Size of each Prometheus replica's volume, GiB (retention is also capped at 85 % of it).
   * @default 5
   */
  readonly volumeGiB?: number;
  /**
   * The other sites whose floating addresses this site probes (SiteUnreachable fires from here
   * when none of a site's addresses answers); every site must be watched by at least one other.
   * @default the sites this one watches in the ring of site names (charts/monitoring/watchers.ts): every site is watched by the nearest min(2, w) sites before it that run monitoring, w those other than itself; with all running it, the next 2 after this one
   */
  readonly watches?: readonly string[];
}
