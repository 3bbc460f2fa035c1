import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { commonLabels } from '../lib/labels';
import { ARGO_ANNOTATIONS } from '../lib/sync-order';
import { chartFile } from '../lib/upstream';
import { MAYASTOR } from './release';
import { DiskPool } from './diskpool';
import { renderNodeLocalClass } from './node-local';
import { DEFAULT_CLASS_REPLICAS, IO_ENGINE_CORES, IO_ENGINE_HUGEPAGES_MIB, STORAGE_NODE_LABEL, storageNodes } from './requirements';
import { COMPONENT } from '../../model/components';

const NAMESPACE = 'mayastor';

/** Requests and limits in the chart's shape. */
interface ChartResources {
  readonly requests: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
}

/** The part of the chart's values.yaml we set; everything else stays at the pinned chart's default. */
export interface MayastorValues {
  readonly image: { readonly pullPolicy: 'IfNotPresent' };
  readonly io_engine: {
    /** Cores each io-engine polls on, dedicated (it busy-polls: they are fully used). */
    readonly cpuCount: string;
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly resources: ChartResources;
  };
  readonly csi: { readonly node: { readonly resources: ChartResources } };
  readonly etcd: {
    readonly image: { readonly repository: string };
    readonly volumePermissions: { readonly image: { readonly repository: string } };
    readonly replicaCount: number;
    readonly podAntiAffinityPreset: 'hard';
    readonly persistence: { readonly size: string };
    readonly resources: ChartResources;
  };
  readonly 'loki-stack': { readonly enabled: false };
  readonly eventing: { readonly enabled: false };
  readonly obs: { readonly callhome: { readonly enabled: false } };
  readonly 'localpv-provisioner': { readonly analytics: { readonly enabled: false } };
  readonly storageClass: { readonly enabled: false };
  readonly base: { readonly metrics: { readonly enabled: true } };
}

/** A StorageClass we render, with the reason a workload would pick it. */
export interface StorageClassChoice {
  /** StorageClass name. */
  readonly name: string;
  /** Synchronous copies of each volume. */
  readonly replicas: number;
  /** `replicated-volume`: copies on distinct nodes, the pod may move; `member-node-local`: on the pod's node, the pod pinned there. */
  readonly placement: 'replicated-volume' | 'member-node-local';
}

/**
 * Mayastor (OpenEBS Replicated PV) from its upstream chart, the site's DiskPools (one per data disk
 * of each storage node, from the site model) and the two StorageClasses workloads choose from.
 */
export class MayastorComponent extends PlatformComponent {
  /**
   * Seed 002's class, the cluster default: 2 synchronous replicas on different nodes, for workloads
   * that keep a single copy of their data themselves (a volume survives the loss of one node).
   */
  readonly replicated: StorageClassChoice = { name: 'mayastor', replicas: DEFAULT_CLASS_REPLICAS, placement: 'replicated-volume' };
  /**
   * For workloads that replicate between their own pods (stolon keepers, NATS JetStream): one
   * copy per pod on the pod's own node, the pod pinned there, so a node loss takes one member
   * and its own copy only (node-local.ts says why not a one-replica Mayastor volume).
   */
  readonly nodeLocal: StorageClassChoice = { name: 'node-local', replicas: 1, placement: 'member-node-local' };

  constructor(scope: Construct, context: SiteContext) {
    super(scope, {
      name: COMPONENT.mayastor,
      context,
      namespace: NAMESPACE,
      installsCrds: [
        {
          group: 'openebs.io',
          kinds: ['DiskPool'],
          source: 'operator',
          createdBy: 'mayastor-operator-diskpool',
          keptOnDelete: true,
          reference: `openebs/mayastor-control-plane@${MAYASTOR.release.ref}:k8s/operators/src/pool/main.rs (create_crd once etcd and agent-core answer)`,
        },
        {
          group: 'snapshot.storage.k8s.io',
          source: 'chart',
          keptOnDelete: true,
          reference: `${chartFile(MAYASTOR, 'charts/crds/values.yaml')} (csi.volumeSnapshots.keep)`,
        },
      ],
    });
    this.ownNamespace({
      name: NAMESPACE,
      podSecurity: 'privileged',
      podSecurityReason:
        'the io-engine and CSI node plugin are privileged host-level storage daemons (hugepages, NVMe-oF target and initiator, mounts)',
      upstreamChart: true,
      networkPolicyReason:
        "the chart's agents, etcd, CSI controller and operators talk to each other, to the API server and to the host-network io-engine and CSI node pods on ports the chart does not declare to us",
    });
    const cores = IO_ENGINE_CORES;
    const storage = storageNodes(this.site);
    const values: MayastorValues = {
      image: { pullPolicy: 'IfNotPresent' },
      io_engine: {
        cpuCount: String(cores),
        nodeSelector: { [STORAGE_NODE_LABEL.key]: STORAGE_NODE_LABEL.value, 'kubernetes.io/arch': 'amd64' },
        // Guaranteed QoS: whole cores, memory and hugepages with limits equal to requests.
        resources: {
          requests: { cpu: String(cores), memory: '1Gi', hugepages2Mi: `${IO_ENGINE_HUGEPAGES_MIB / 1024}Gi` },
          limits: { cpu: String(cores), memory: '1Gi', hugepages2Mi: `${IO_ENGINE_HUGEPAGES_MIB / 1024}Gi` },
        },
      },
      csi: { node: { resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } } } },
      // The control plane's state: three members, one per node, so it keeps quorum over one node loss.
      etcd: {
        // The chart's etcd subchart (bitnami/etcd 8.6.0) pins tags that Bitnami moved from
        // docker.io/bitnami to docker.io/bitnamilegacy in August 2025: same tags, new repository.
        image: { repository: 'bitnamilegacy/etcd' },
        volumePermissions: { image: { repository: 'bitnamilegacy/bitnami-shell' } },
        replicaCount: 3,
        podAntiAffinityPreset: 'hard',
        persistence: { size: '2Gi' },
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      },
      // Off: log shipping belongs to the platform's monitoring, not a second Loki per storage system.
      'loki-stack': { enabled: false },
      // Off: eventing only feeds callhome, and runs a three-node NATS of its own.
      eventing: { enabled: false },
      // Off: callhome reports usage to the vendor over the internet; the sites must not phone home.
      obs: { callhome: { enabled: false } },
      // Off for the same reason: the LocalPV provisioner sends usage analytics by default.
      'localpv-provisioner': { analytics: { enabled: false } },
      // Off: we render our own classes below (the chart's would be `mayastor-single-replica`).
      storageClass: { enabled: false },
      base: { metrics: { enabled: true } },
    };
    this.useHelmChart({ upstream: MAYASTOR, releaseName: 'mayastor', values: values as unknown as Record<string, unknown> });
    this.declareUpstream(
      cores,
      storage.map((n) => n.name),
    );

    for (const node of storage) {
      node.dataDisks.forEach((disk, i) => {
        const name = i === 0 ? `pool-${node.name}` : `pool-${node.name}-${i}`;
        new DiskPool(this, name, {
          metadata: {
            name,
            namespace: NAMESPACE,
            labels: commonLabels(this.componentName, 'pool'),
            // The operator creates the DiskPool CRD once the chart's wave 0 runs; the Application's
            // SkipDryRunOnMissingResource lets the sync start without it.
            annotations: { [ARGO_ANNOTATIONS.wave]: '1' },
          },
          spec: { node: node.name, disks: [disk.uri] },
        });
      });
    }

    new k8s.KubeStorageClass(this, this.replicated.name, {
      metadata: {
        name: this.replicated.name,
        labels: commonLabels(this.componentName),
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'io.openebs.csi-mayastor',
      parameters: {
        // Seed 002's values. ioTimeout is deprecated upstream in favour of the chart-wide
        // io_engine.nvme.ioTimeout but still honoured per volume by 2.7.
        ioTimeout: '30',
        protocol: 'nvmf',
        repl: String(this.replicated.replicas),
        stsAffinityGroup: 'true',
      },
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    });
    renderNodeLocalClass(this, this.nodeLocal.name, this.componentName);
  }

  /** Resources of the chart's workloads with the values above, for the capacity check. */
  private declareUpstream(cores: number, storageNodeNames: string[]): void {
    const allNodes = this.site.nodes.map((n) => n.name);
    const ns = NAMESPACE;
    this.declareUpstreamWorkload({
      name: 'mayastor-io-engine',
      namespace: ns,
      replicas: 'perNode',
      nodes: storageNodeNames,
      cpuMillis: cores * 1000,
      memoryMiB: 1024,
      hugepagesMiB: IO_ENGINE_HUGEPAGES_MIB,
    });
    this.declareUpstreamWorkload({
      name: 'mayastor-csi-node',
      namespace: ns,
      replicas: 'perNode',
      nodes: allNodes,
      cpuMillis: 100,
      memoryMiB: 64,
    });
    this.declareUpstreamWorkload({
      name: 'mayastor-agent-ha-node',
      namespace: ns,
      replicas: 'perNode',
      nodes: allNodes,
      cpuMillis: 100,
      memoryMiB: 64,
    });
    for (const [name, replicas, cpuMillis, memoryMiB] of [
      ['mayastor-etcd', 3, 100, 256],
      ['mayastor-agent-core', 1, 500, 32],
      ['mayastor-agent-ha-cluster', 1, 100, 16],
      ['mayastor-api-rest', 1, 50, 32],
      ['mayastor-csi-controller', 1, 16, 64],
      ['mayastor-operator-diskpool', 1, 50, 16],
      // The chart sets no requests for the local-PV provisioner that serves etcd's volumes: an estimate.
      ['mayastor-localpv-provisioner', 1, 10, 32],
    ] as const) {
      this.declareUpstreamWorkload({ name, namespace: ns, replicas, cpuMillis, memoryMiB });
    }
  }
}
