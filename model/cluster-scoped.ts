/**
 * Kinds that live outside namespaces. cdk8s gives every object of a chart the chart's namespace;
 * the render removes it from these kinds (the API server would reject or ignore it, and the diff
 * would show a field that means nothing).
 */
const CLUSTER_SCOPED = new Set([
  // Kubernetes 1.36 (GA kinds)
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'DeviceClass',
  'FlowSchema',
  'IngressClass',
  'IPAddress',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'ResourceSlice',
  'RuntimeClass',
  'ServiceCIDR',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
  'VolumeAttributesClass',
  // Imported CRDs with `scope: Cluster`
  'ClusterSecretStore',
  'ClusterExternalSecret',
  'ClusterIssuer',
  'ClusterTriggerAuthentication',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** The API group of `apiVersion` as RBAC and AppProjects name it: `apps` for `apps/v1`, `''` for the core `v1`. */
export function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}
