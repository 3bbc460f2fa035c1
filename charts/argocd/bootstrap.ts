import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { namespaceObject } from '../namespaces';
import type { DeclaredComponent } from '../lib/declared';
import { installArgoCd } from './argocd';
import { ARGOCD_NAMESPACE, BOOTSTRAP_DIRECTORY } from './constants';
import { renderRoot } from './root';
import { unaffected } from '../lib/resilience';

/**
 * The one-time bootstrap of a site: `kubectl apply --server-side -k gitops/<site>/bootstrap`
 * installs Argo CD (the same release and patches as the `argocd` component) and the root
 * Application with its project, and nothing that needs another component's CRDs (the `argocd`
 * directory also holds Argo CD's HTTPProxy, which needs Contour). It is not a child Application:
 * once the root syncs, the root manages itself and the `argocd` component takes over Argo CD.
 */
export class BootstrapComponent extends PlatformComponent {
  /**
   * @param argocd what the `argocd` component declared: its namespaces and CRDs are applied here first
   * @param lastWave the last sync wave of the app-of-apps (AppsComponent.lastWave), where the root goes
   */
  constructor(scope: Construct, context: SiteContext, argocd: DeclaredComponent, lastWave: number) {
    super(scope, { name: BOOTSTRAP_DIRECTORY, context, namespace: ARGOCD_NAMESPACE, installsCrds: argocd.syncOrder.crds });
    this.declareFailureBehaviour({
      serves: 'the first install (applied once by hand, no pods)',
      nodeLoss: unaffected('applied once, no pods'),
    });
    for (const ns of argocd.namespaces) namespaceObject(this, ns, argocd.name);
    installArgoCd(this, context.access);
    // The same root and project the apps directory holds, so the root's first sync changes nothing.
    renderRoot(this, lastWave);
  }
}
