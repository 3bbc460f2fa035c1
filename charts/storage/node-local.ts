/**
 * The StorageClass for workloads that replicate between their own pods (stolon keepers stream WAL
 * to each other, NATS JetStream keeps R3 streams): one copy per pod, on the node the pod runs on,
 * and the pod pinned to that node.
 *
 * Why not a one-replica Mayastor volume: Mayastor 2.7.1 places the replica by its own choice when
 * the claim is created (`Immediate` binding; with `WaitForFirstConsumer` its CSI controller
 * ignores the node the scheduler picked: CreateVolume reads no accessibility requirements and
 * reports every CSI node as accessible), publishes a one-replica volume's target on the replica's
 * node, and lets the pod run anywhere (control-plane/csi-driver/src/bin/controller/controller.rs,
 * v2.7.1; the `local` parameter of Mayastor 1.x is gone). A pod then depends on two nodes, its
 * own and its data's, and one node loss can take a server and another server's data: two of three
 * NATS servers, or both keepers. OpenEBS LocalPV hostpath (the provisioner the Mayastor chart
 * already installs for its own etcd) binds on first use and gives the volume node affinity to the
 * node the pod was scheduled on (openebs/dynamic-localpv-provisioner, provisioner_hostpath.go), so
 * a node loss takes exactly one member with its own copy. A second Mayastor replica would also do,
 * at twice the storage and a network round trip on every write, for data already kept three times.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { commonLabels } from '../lib/labels';

/** Provisioner of the chart's LocalPV hostpath (dynamic-localpv-provisioner). */
export const LOCAL_PV_PROVISIONER = 'openebs.io/local';
/** Directory on each node holding the node-local volumes (one subdirectory per volume). */
export const NODE_LOCAL_BASE_PATH = '/var/local/platform/node-local';

/** Renders the node-local StorageClass. */
export function renderNodeLocalClass(scope: Construct, name: string, component: string): void {
  new k8s.KubeStorageClass(scope, name, {
    metadata: {
      name,
      labels: commonLabels(component),
      annotations: {
        'openebs.io/cas-type': 'local',
        'cas.openebs.io/config': `- name: StorageType\n  value: hostpath\n- name: BasePath\n  value: ${NODE_LOCAL_BASE_PATH}\n`,
      },
    },
    provisioner: LOCAL_PV_PROVISIONER,
    // The volume is made on the node the scheduler picks for the pod, and the pod stays there.
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Delete',
    // A directory on the node's disk: no size is enforced, nothing to expand.
    allowVolumeExpansion: false,
  });
}
