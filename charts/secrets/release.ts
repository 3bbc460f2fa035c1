import type { UpstreamChart } from '../lib/upstream';

const VERSION = '2.9.0';

/** External Secrets Operator from its chart (the CRDs in imports/ come from the same release). */
export const EXTERNAL_SECRETS: UpstreamChart = {
  name: 'external-secrets',
  project: 'External Secrets Operator',
  release: { repo: 'external-secrets/external-secrets', ref: `v${VERSION}` },
  chart: {
    repoURL: 'https://charts.external-secrets.io',
    name: 'external-secrets',
    version: VERSION,
    source: { repo: 'external-secrets/external-secrets', ref: `helm-chart-${VERSION}`, path: 'deploy/charts/external-secrets' },
  },
  // "Supported Versions": only the latest minor is supported, and 2.9 is tested on 1.36 alone
  // ("no test coverage for any other kubernetes version than the ones running on our test suites").
  kubernetes: {
    oldest: '1.36',
    newest: '1.36',
    basis: 'tested',
    source: `external-secrets/external-secrets@helm-chart-${VERSION}:docs/introduction/stability-support.md`,
  },
  workloads: [
    {
      name: 'external-secrets',
      replicas: 1,
      replicasValue: 'replicaCount',
      containers: [{ values: 'resources', cpuMillis: 20, memoryMiB: 64, memoryLimitMiB: 128 }],
    },
    {
      name: 'external-secrets-webhook',
      replicas: 1,
      containers: [{ values: 'webhook.resources', cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 }],
    },
    {
      name: 'external-secrets-cert-controller',
      replicas: 1,
      containers: [{ values: 'certController.resources', cpuMillis: 10, memoryMiB: 64, memoryLimitMiB: 128 }],
    },
  ],
  creates: {
    cluster: {
      'admissionregistration.k8s.io': ['ValidatingWebhookConfiguration'],
      'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
    },
    namespaced: { '': ['Secret', 'Service', 'ServiceAccount'], apps: ['Deployment'], 'rbac.authorization.k8s.io': ['Role', 'RoleBinding'] },
    ownSecrets: [
      { name: 'external-secrets-webhook', reason: 'rendered empty; the cert controller writes the webhook certificate into it' },
    ],
    source: 'helm template of the pinned chart with our values (cluster1), --include-crds --kube-version 1.33',
  },
};
