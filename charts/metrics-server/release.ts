import type { UpstreamChart } from '../lib/upstream';

const CHART_VERSION = '3.13.1';

/** metrics-server from its chart: chart 3.13.1 ships metrics-server 0.8.1. */
export const METRICS_SERVER_RELEASE: UpstreamChart = {
  name: 'metrics-server',
  project: 'metrics-server',
  release: { repo: 'kubernetes-sigs/metrics-server', ref: 'v0.8.1' },
  chart: {
    repoURL: 'https://kubernetes-sigs.github.io/metrics-server/',
    name: 'metrics-server',
    version: CHART_VERSION,
    source: { repo: 'kubernetes-sigs/metrics-server', ref: `metrics-server-helm-chart-${CHART_VERSION}`, path: 'charts/metrics-server' },
  },
  // "Compatibility Matrix": 0.8.x supports Kubernetes 1.31+.
  kubernetes: {
    oldest: '1.31',
    basis: 'supported',
    source: `kubernetes-sigs/metrics-server@metrics-server-helm-chart-${CHART_VERSION}:README.md`,
  },
};
