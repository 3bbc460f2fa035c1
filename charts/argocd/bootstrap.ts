import type { Construct } from 'constructs';
import { PlatformComponent, type SiteContext } from '../component';
import { namespaceObject } from '../namespaces';
import { installArgoCd, type ArgoCdComponent } from './argocd';
import { ARGOCD_NAMESPACE } from './constants';

/**
 * The one-time bootstrap of a site: `kubectl apply --server-side -k gitops/<site>/bootstrap`
 * installs Argo CD (the same release and patches as the `argocd` component) and the root
 * Application, and nothing that needs another component's CRDs (the `argocd` directory also holds
 * Argo CD's HTTPProxy, which needs Contour). It is not a child Application: once the root syncs,
 * the `argocd` component takes over these objects.
 */
export class BootstrapComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext, argocd: ArgoCdComponent) {
    super(scope, { name: 'bootstrap', context, namespace: ARGOCD_NAMESPACE });
    for (const ns of argocd.namespaces) namespaceObject(this, ns, argocd.componentName);
    installArgoCd(this);
  }
}
