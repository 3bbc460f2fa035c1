import type { UpstreamChart } from '../lib/upstream';

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
};
