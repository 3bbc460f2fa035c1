/**
 * The registry of platform components. Each component is built here once per site and receives the
 * components it talks to as typed objects; adding a component is one chart file and one line here.
 */
import type { Construct } from 'constructs';
import { AppsComponent } from './argocd/apps';
import { ArgoCdComponent } from './argocd/argocd';
import { componentsOf, type SiteContext } from './component';
import { NamespacesComponent } from './namespaces';
import { buildObjectStore } from './object-store';
import { SecretsComponent } from './secrets/secrets';
import type { Site } from '../sites';

export function buildPlatform(app: Construct, context: SiteContext): void {
  new ArgoCdComponent(app, context);
  // Components receive what they use as typed objects (e.g. `secrets` for their VaultSecrets).
  const secrets = new SecretsComponent(app, context);
  // The site's object store (minio, s3 or aws per the site file); clients call `store.grant(...)`.
  buildObjectStore(app, context, secrets);

  // Views over every component: built last so they see all of them.
  new NamespacesComponent(app, context, componentsOf(app));
  new AppsComponent(app, context, componentsOf(app));
}

/**
 * Files rendered once for all sites (rendered only when every site is rendered). Paths are
 * relative to gitops/.
 */
export function globalFiles(sites: readonly Site[]): Map<string, string> {
  const lines = [
    '# gitops/',
    '',
    'Rendered by `npm run synth` from the TypeScript model in this repository: do not edit by hand.',
    '',
    ...sites.map(
      (s) =>
        `- \`${s.name}/\`: site ${s.name} (${s.location}); bootstrap with \`kubectl apply -k gitops/${s.name}/argocd\`, see the README.`,
    ),
    '',
  ];
  return new Map([['README.md', lines.join('\n')]]);
}
