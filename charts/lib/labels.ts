/** Labels every object we render carries, so `kubectl get -l` and Argo CD views can select ours. */
export function commonLabels(component: string, role?: string): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': 'platform',
    'app.kubernetes.io/managed-by': 'cdk8s',
    'app.kubernetes.io/component': component,
    ...(role ? { 'app.kubernetes.io/name': `${component}-${role}` } : {}),
  };
}
