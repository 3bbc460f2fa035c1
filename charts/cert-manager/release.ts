import type { UpstreamChart } from '../lib/upstream';

const TAG = 'v1.21.1';

/** cert-manager from its chart (the CRDs in imports/ come from the same release). */
export const CERT_MANAGER: UpstreamChart = {
  name: 'cert-manager',
  project: 'cert-manager',
  release: { repo: 'cert-manager/cert-manager', ref: TAG },
  chart: {
    repoURL: 'https://charts.jetstack.io',
    name: 'cert-manager',
    version: TAG,
    source: { repo: 'cert-manager/cert-manager', ref: TAG, path: 'deploy/charts/cert-manager' },
  },
  // "Supported releases": 1.21 is supported and tested on 1.33 to 1.36. Its CRDs use
  // `selectableFields`, which Kubernetes serves from 1.30 (GA in 1.32).
  kubernetes: {
    oldest: '1.33',
    newest: '1.36',
    basis: 'tested',
    source: 'cert-manager/website@776e5dba:content/docs/releases/README.md',
  },
  // Memory limits at twice the requests; one replica each (the chart's default).
  workloads: [
    { name: 'cert-manager', replicas: 1, containers: [{ values: 'resources', cpuMillis: 20, memoryMiB: 96, memoryLimitMiB: 192 }] },
    {
      name: 'cert-manager-webhook',
      replicas: 1,
      containers: [{ values: 'webhook.resources', cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 }],
    },
    {
      name: 'cert-manager-cainjector',
      replicas: 1,
      containers: [{ values: 'cainjector.resources', cpuMillis: 10, memoryMiB: 96, memoryLimitMiB: 192 }],
    },
    {
      name: 'cert-manager-startupapicheck',
      replicas: 1,
      job: true,
      containers: [{ values: 'startupapicheck.resources', cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 }],
    },
  ],
  creates: {
    cluster: {
      'admissionregistration.k8s.io': ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
      'apiextensions.k8s.io': ['CustomResourceDefinition'],
      'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
    },
    namespaced: {
      '': ['Service', 'ServiceAccount'],
      apps: ['Deployment'],
      batch: ['Job'],
      'rbac.authorization.k8s.io': ['Role', 'RoleBinding'],
    },
    ownSecrets: [{ name: 'cert-manager-webhook-ca', reason: "the webhook's serving CA, which the webhook generates and rotates itself" }],
    source: 'helm template of the pinned chart with our values (cluster1), --include-crds --kube-version 1.33',
  },
};
