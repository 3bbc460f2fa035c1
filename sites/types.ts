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
  /** 2 MiB hugepages the node reserves at boot (Mayastor's io-engine needs them), in MiB; taken from its memory. */
  readonly hugepagesMiB?: number;
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
  /** Pods the installer runs that gitops/ does not render, counted by the capacity check. */
  readonly systemWorkloads?: readonly SystemWorkload[];
  /** Capacity decisions of the site (npm run capacity shows the figures). */
  readonly capacity?: {
    /** Requests above allocatable accepted, with the reason; without it, overcommit fails synth. */
    readonly acceptOvercommit?: OvercommitAcceptance;
  };
  /** Components this site does not run, by component name, with the reason (every other site runs them all). */
  readonly components?: { readonly optOut?: Readonly<Record<string, string>> };
  /** What Argo CD on this site pulls. */
  readonly gitops: {
    /** Git URL of this repository. */
    readonly repoUrl: string;
    /** Branch, tag or commit Argo CD follows. */
    readonly revision: string;
  };
}
