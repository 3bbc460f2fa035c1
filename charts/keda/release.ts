import type { UpstreamChart } from '../lib/upstream';

const VERSION = '2.20.2';

/** KEDA from its chart, whose version follows KEDA's (chart 2.x.y ships KEDA 2.x.y). */
export const KEDA: UpstreamChart = {
  name: 'keda',
  project: 'KEDA',
  release: { repo: 'kedacore/keda', ref: `v${VERSION}` },
  chart: {
    repoURL: 'https://kedacore.github.io/charts',
    name: 'keda',
    version: VERSION,
    source: { repo: 'kedacore/charts', ref: `v${VERSION}`, path: 'keda' },
  },
  // "Kubernetes Compatibility" (N-2 tested): v2.20 on v1.33 to v1.35; v2.21 is unreleased, "TBD".
  kubernetes: {
    oldest: '1.33',
    newest: '1.35',
    basis: 'tested',
    source: 'kedacore/keda-docs@a55c5d34:content/docs/2.20/operate/cluster.md',
  },
};
