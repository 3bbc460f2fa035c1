import type { Construct } from 'constructs';
import { PlatformComponent, type SiteContext } from '../component';
import { namespaceObject } from '../namespaces';
import type { AppsComponent } from './apps';
import { installArgoCd, type ArgoCdComponent } from './argocd';
import { ARGOCD_NAMESPACE, BOOTSTRAP_DIRECTORY } from './constants';
import { renderRoot } from './root';

/**
 * The one-time bootstrap of a site: `kubectl apply --server-side -k gitops/<site>/bootstrap`
 * installs Argo CD (the same release and patches as the `argocd` component) and the root
 * Application with its project, and nothing that needs another component's CRDs (the `argocd`
 * directory also holds Argo CD's HTTPProxy, which needs Contour). It is not a child Application:
 * once the root syncs, the root manages itself and the `argocd` component takes over Argo CD.
 */
export class BootstrapComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext, argocd: ArgoCdComponent, apps: AppsComponent) {
    super(scope, { name: BOOTSTRAP_DIRECTORY, context, namespace: ARGOCD_NAMESPACE });
    for (const ns of argocd.namespaces) namespaceObject(this, ns, argocd.componentName);
    installArgoCd(this);
    this.syncOrder.installsCrds(...argocd.syncOrder.crds);
    // The same root and project the apps directory holds, so the root's first sync changes nothing.
    renderRoot(this, apps.lastWave);
  }
}
