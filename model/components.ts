/**
 * The platform's components, each named once. A name is the component's directory under
 * gitops/<site>/, its Argo CD Application, the prefix of its objects and its key in a site's
 * `components.optOut`. Listed in the order the registry builds them (charts/platform.ts): the
 * pieces, then the views that render what the pieces declare.
 */
export const COMPONENT = {
  argocd: 'argocd',
  externalSecrets: 'external-secrets',
  reloader: 'reloader',
  metallb: 'metallb',
  certManager: 'cert-manager',
  publicCertificates: 'public-certificates',
  contour: 'contour',
  mayastor: 'mayastor',
  objectStore: 'object-store',
  keda: 'keda',
  metricsServer: 'metrics-server',
  bus: 'bus',
  postgres: 'postgres',
  resizer: 'resizer',
  monitoring: 'monitoring',
  namespaces: 'namespaces',
  apps: 'apps',
  bootstrap: 'bootstrap',
} as const;

/** The name of one of the platform's components. */
export type ComponentName = (typeof COMPONENT)[keyof typeof COMPONENT];

/** Every component name, in the registry's order. */
export const COMPONENT_NAMES: readonly ComponentName[] = Object.values(COMPONENT);

/**
 * Where a component comes in the registry's order (components not in the registry, such as a
 * test's, after every registered one): views list components in this order, whatever the order
 * they were built in.
 */
export function registryRank(name: string): number {
  const rank = COMPONENT_NAMES.indexOf(name as ComponentName);
  return rank < 0 ? COMPONENT_NAMES.length : rank;
}

/** A site's `components.optOut`: the components it leaves out, each with the reason. */
export type OptOuts = Readonly<Partial<Record<ComponentName, string>>>;

/** The reason `optOut` gives for leaving out the component `name` (any name: views see test components too). */
export function optOutReason(optOut: OptOuts | undefined, name: string): string | undefined {
  return (optOut as Readonly<Record<string, string | undefined>> | undefined)?.[name];
}
