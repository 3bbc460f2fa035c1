import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { commonLabels } from '../lib/labels';
import { ARGO_ANNOTATIONS } from '../lib/sync-order';
import { chartFile } from '../lib/upstream';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { MAYASTOR } from './release';
import { IO_ENGINE_METRICS, STORAGE_ALERTS } from './alerts';
import { DiskPool } from './diskpool';
import { renderNodeLocalClass } from './node-local';
import { DEFAULT_CLASS_REPLICAS, IO_ENGINE_CORES, STORAGE_NODE_LABEL, storageNodes } from './requirements';
import { COMPONENT } from '../../model/components';

const NAMESPACE = 'mayastor';

/**
 * The part of the chart's values.yaml we set besides replicas and resources (those come from the
 * release table, release.ts); everything else stays at the pinned chart's default.
 */
export interface MayastorValues {
  readonly image: { readonly pullPolicy: 'IfNotPresent' };
  readonly io_engine: {
    /** Cores each io-engine polls on, dedicated (it busy-polls: they are fully used). */
    readonly cpuCount: string;
    readonly nodeSelector: Readonly<Record<string, string>>;
  };
  readonly etcd: {
    readonly image: { readonly repository: string };
    readonly volumePermissions: { readonly image: { readonly repository: string } };
    readonly podAntiAffinityPreset: 'hard';
    readonly persistence: { readonly size: string };
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
    this.declareFailureBehaviour({
      serves: 'Mayastor and node-local volumes',
      nodeLoss: {
        state: 'degraded',
        reason: `replicated volumes keep a copy on another node (${DEFAULT_CLASS_REPLICAS} replicas); node-local volumes of the lost node wait for it`,
      },
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
    const storage = storageNodes(this.site);
    const values: MayastorValues = {
      image: { pullPolicy: 'IfNotPresent' },
      io_engine: {
        cpuCount: String(IO_ENGINE_CORES),
        nodeSelector: { [STORAGE_NODE_LABEL.key]: STORAGE_NODE_LABEL.value, 'kubernetes.io/arch': 'amd64' },
      },
      // The control plane's state: one member per node (three, release.ts), so it keeps quorum over one node loss.
      etcd: {
        // The chart's etcd subchart (bitnami/etcd 8.6.0) pins tags that Bitnami moved from
        // docker.io/bitnami to docker.io/bitnamilegacy in August 2025: same tags, new repository.
        image: { repository: 'bitnamilegacy/etcd' },
        volumePermissions: { image: { repository: 'bitnamilegacy/bitnami-shell' } },
        podAntiAffinityPreset: 'hard',
        persistence: { size: '2Gi' },
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
    const allNodes = this.site.nodes.map((n) => n.name);
    // The io-engine runs on the storage nodes (its node selector), the CSI node plugin and the HA node agent on every node.
    const workloads = releasedWorkloads(this, MAYASTOR, {
      'mayastor-io-engine': storage.map((n) => n.name),
      'mayastor-csi-node': allNodes,
      'mayastor-agent-ha-node': allNodes,
    });
    this.useHelmChart({ upstream: MAYASTOR, releaseName: 'mayastor', values: mergeValues({ ...values }, workloads) });

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

    // The pools' state and sizes, from the exporter beside each io-engine (base.metrics.enabled above).
    const { port, podLabels, metrics } = IO_ENGINE_METRICS;
    this.exposeMetrics({ pods: this.endpoint({ podLabels, ports: [{ port, name: 'metrics' }] }), port, metrics });
    for (const alert of STORAGE_ALERTS) this.declareAlert(alert);
  }
}
