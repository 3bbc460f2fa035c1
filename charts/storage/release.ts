import type { ReleasedWorkload, UpstreamChart } from '../lib/upstream';
import { IO_ENGINE_CORES, IO_ENGINE_HUGEPAGES_MIB } from './requirements';

/** A one-replica control-plane workload at the chart's own requests, which we do not set (`helm template` on the pinned chart). */
const atChartDefaults = (name: string, cpuMillis: number, memoryMiB: number): ReleasedWorkload => ({
  name,
  replicas: 1,
  containers: [{ cpuMillis, memoryMiB }],
});

const TAG = 'v2.7.1';

/** Mayastor from its chart (openebs/mayastor-extensions, chart `mayastor`). */
export const MAYASTOR: UpstreamChart = {
  name: 'mayastor',
  project: 'Mayastor',
  release: { repo: 'openebs/mayastor-extensions', ref: TAG },
  chart: {
    repoURL: 'https://openebs.github.io/mayastor-extensions',
    name: 'mayastor',
    version: '2.7.1',
    source: { repo: 'openebs/mayastor-extensions', ref: TAG, path: 'chart' },
  },
  // The chart's prerequisites: "Kubernetes v1.21+"; the project publishes no tested range.
  kubernetes: { oldest: '1.21', basis: 'prerequisite', source: `openebs/mayastor-extensions@${TAG}:chart/doc.yaml` },
  workloads: [
    // On each storage node (the component names them). Guaranteed QoS: whole cores, memory and
    // hugepages with limits equal to requests.
    {
      name: 'mayastor-io-engine',
      kind: 'DaemonSet',
      replicas: 'perNode',
      containers: [
        {
          values: 'io_engine.resources',
          cpuMillis: IO_ENGINE_CORES * 1000,
          cpuLimitMillis: IO_ENGINE_CORES * 1000,
          memoryMiB: 1024,
          memoryLimitMiB: 1024,
          hugepagesMiB: IO_ENGINE_HUGEPAGES_MIB,
        },
      ],
    },
    {
      name: 'mayastor-csi-node',
      kind: 'DaemonSet',
      replicas: 'perNode',
      containers: [
        { values: 'csi.node.resources', cpuMillis: 100, cpuLimitMillis: 100, memoryMiB: 64, memoryLimitMiB: 128 },
        // csi-driver-registrar: fixed in the chart's template (templates/mayastor/csi/csi-node-daemonset.yaml).
        { cpuMillis: 100, memoryMiB: 50 },
      ],
    },
    { name: 'mayastor-agent-ha-node', kind: 'DaemonSet', replicas: 'perNode', containers: [{ cpuMillis: 100, memoryMiB: 64 }] },
    // The control plane's state: three members, one per node, so it keeps quorum over one node loss.
    {
      name: 'mayastor-etcd',
      kind: 'StatefulSet',
      replicas: 3,
      replicasValue: 'etcd.replicaCount',
      containers: [{ values: 'etcd.resources', cpuMillis: 100, memoryMiB: 256, memoryLimitMiB: 512 }],
    },
    // The HA cluster agent is a second container of agent-core's pod (agents.ha.cluster.resources).
    {
      name: 'mayastor-agent-core',
      replicas: 1,
      containers: [
        { cpuMillis: 500, memoryMiB: 32 },
        { cpuMillis: 100, memoryMiB: 16 },
      ],
    },
    atChartDefaults('mayastor-api-rest', 50, 32),
    atChartDefaults('mayastor-csi-controller', 16, 64),
    atChartDefaults('mayastor-operator-diskpool', 50, 16),
    // The chart sets no requests for the local-PV provisioner that serves etcd's volumes: an estimate.
    atChartDefaults('mayastor-localpv-provisioner', 10, 32),
  ],
};
