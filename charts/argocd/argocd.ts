import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { Application } from '../../imports/argocd-argoproj.io';
import { PlatformComponent, type SiteContext } from '../component';
import { commonLabels } from '../lib/labels';
import { APPS_DIRECTORY, ARGOCD_NAMESPACE, ARGOCD_VERSION, IN_CLUSTER, sitePath } from './constants';

/**
 * Argo CD health of an Application, restored so that sync waves between child Applications wait
 * for each wave to be healthy (the check was removed from Argo CD's defaults in 1.8).
 */
const APPLICATION_HEALTH_LUA = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
`;

/**
 * Argo CD itself, one per site, in-cluster, managing only its own site so that a site keeps
 * reconciling while the other is down. This directory is also the one-time bootstrap: applying it
 * installs the pinned upstream release and the root Application; from then on Argo CD manages
 * this directory like any other (self-management).
 */
export class ArgoCdComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext) {
    super(scope, { name: 'argocd', context, namespace: ARGOCD_NAMESPACE });
    this.ownsCrds = true;
    this.ownNamespace({
      name: ARGOCD_NAMESPACE,
      podSecurity: 'baseline',
      podSecurityReason: 'the upstream install.yaml is applied as released and is not audited against the restricted profile here',
    });
    this.useKustomize({
      remoteResources: [`https://raw.githubusercontent.com/argoproj/argo-cd/${ARGOCD_VERSION}/manifests/install.yaml`],
    });

    // The upstream install.yaml sets no requests: what we expect each to use, for the capacity check.
    for (const [name, replicas, cpuMillis, memoryMiB] of [
      ['argocd-application-controller', 1, 250, 512],
      ['argocd-repo-server', 1, 100, 256],
      ['argocd-server', 1, 50, 128],
      ['argocd-redis', 1, 50, 64],
      ['argocd-dex-server', 1, 10, 32],
      ['argocd-applicationset-controller', 1, 20, 64],
      ['argocd-notifications-controller', 1, 10, 32],
    ] as const) {
      this.declareUpstreamWorkload({ name, namespace: ARGOCD_NAMESPACE, replicas, cpuMillis, memoryMiB });
    }

    // Merged by kustomize into the released argocd-cm rather than replacing it.
    const settings = new k8s.KubeConfigMap(this, 'argocd-cm', {
      metadata: { name: 'argocd-cm', namespace: ARGOCD_NAMESPACE },
      data: { 'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH_LUA },
    });
    this.kustomizePatch(settings);

    // The root of the app-of-apps. It lives in the `default` project: upstream keeps app-of-apps
    // admin-only, and the site's restricted project is itself one of the objects it syncs.
    new Application(this, 'root', {
      metadata: { name: 'root', namespace: ARGOCD_NAMESPACE, labels: commonLabels('argocd') },
      spec: {
        project: 'default',
        source: {
          repoUrl: this.site.gitops.repoUrl,
          targetRevision: this.site.gitops.revision,
          path: sitePath(this.site.name, APPS_DIRECTORY),
        },
        destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          retry: { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
        },
      },
    });
  }
}
