import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from './component';
import type { SiteContext } from './context';
import type { DeclaredComponent, NamespaceDeclaration } from './lib/declared';
import { commonLabels } from './lib/labels';
import { COMPONENT } from '../model/components';
import { unaffected } from './lib/resilience';

/**
 * Renders every namespace the other components declare, with its Pod Security labels. Every
 * component syncs after it (lib/sync-waves.ts): namespaces are the first sync wave.
 */
export class NamespacesComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext, components: readonly DeclaredComponent[]) {
    // Deleting a namespace deletes everything in it: no cascading delete.
    super(scope, { name: COMPONENT.namespaces, context, keepObjectsOnRemoval: true });
    this.declareFailureBehaviour({ serves: 'the namespaces (objects only, no pods)', nodeLoss: unaffected('objects in the API, no pods') });
    const seen = new Map<string, string>();
    for (const component of components) {
      for (const ns of component.namespaces) {
        const owner = seen.get(ns.name);
        if (owner) throw new Error(`site ${this.site.name}: namespace ${ns.name} is declared by both ${owner} and ${component.name}`);
        seen.set(ns.name, component.name);
        namespaceObject(this, ns, component.name);
      }
    }
  }
}

/** A declared namespace as a Namespace object, with its Pod Security labels and the reasons for any exception. */
export function namespaceObject(scope: PlatformComponent, ns: NamespaceDeclaration, owner: string): k8s.KubeNamespace {
  return new k8s.KubeNamespace(scope, ns.name, {
    metadata: {
      name: ns.name,
      labels: {
        ...commonLabels(owner),
        'pod-security.kubernetes.io/enforce': ns.podSecurity,
        // The policy of the site's own release: a Kubernetes upgrade shows its Pod Security changes in the diff.
        'pod-security.kubernetes.io/enforce-version': `v${scope.site.kubernetesVersion}`,
        // Even where an exception is granted, show what the restricted profile would refuse.
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
      annotations: {
        // Deleting a namespace deletes everything in it: Argo CD never prunes one; removing a
        // namespace is a deliberate `kubectl delete` after review.
        'argocd.argoproj.io/sync-options': 'Prune=false',
        ...(ns.podSecurityReason ? { 'platform.chataik.fr/pod-security-reason': ns.podSecurityReason } : {}),
        // Upstream charts' namespaces get no default-deny NetworkPolicy: say why.
        ...(ns.networkPolicyReason ? { 'platform.chataik.fr/no-default-deny-reason': ns.networkPolicyReason } : {}),
      },
    },
  });
}
