import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { CrdDeclaration } from '../lib/sync-order';
import { containerResources, releasedWorkloads } from '../lib/released-workloads';
import { cite } from '../lib/upstream';
import { APPLICATION_HEALTH_SETTING, ARGOCD_NAMESPACE, PROJECT, ROOT_PROJECT } from './constants';
import { ARGOCD } from './release';
import { APPLICATION_CONTROLLER_METRICS, ARGOCD_ALERTS } from './alerts';
import { COMPONENT } from '../../model/components';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import type { AccessConfig } from '../../sites/access';
import { accessFindings, ARGOCD_PART_OF, GITHUB_OAUTH_SECRET, rbacSettings, ssoSettings } from './access';
import { singleReplicaNodeLoss } from '../lib/resilience';

/** The patches write millicores and MiB (the charts' formatter would write 1024Mi as 1Gi). */
const MANIFEST_QUANTITIES = { cpu: (m: number) => `${m}m`, memory: (mib: number) => `${mib}Mi` };

/** The CRDs Argo CD's released manifests install (the bootstrap applies them too). */
export const ARGOCD_CRDS: CrdDeclaration = {
  group: 'argoproj.io',
  source: 'manifests',
  keptOnDelete: false,
  reference: `${cite(ARGOCD.release, 'manifests/install.yaml')} (Application, AppProject, ApplicationSet)`,
};

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
 * reconciling while the other is down. Once the bootstrap directory has installed it, Argo CD
 * manages this directory like any other (self-management): its settings change through git.
 */
export class ArgoCdComponent extends PlatformComponent {
  /** @param props.secrets the site's secrets component: the GitHub OAuth app comes from Vault through it */
  constructor(scope: Construct, context: SiteContext, props: { readonly secrets: SecretsComponent }) {
    super(scope, {
      name: COMPONENT.argocd,
      context,
      namespace: ARGOCD_NAMESPACE,
      installsCrds: [ARGOCD_CRDS],
      // No cascading delete: removing this Application (or pruning it from apps/) would delete Argo
      // CD itself and its CRDs, and with them every Application.
      keepObjectsOnRemoval: true,
    });
    this.declareFailureBehaviour({
      serves: 'Argo CD: syncs the site from git',
      nodeLoss: singleReplicaNodeLoss('each Argo CD server', 'nothing is synced; what runs keeps running'),
    });
    this.ownNamespace({
      name: ARGOCD_NAMESPACE,
      podSecurity: 'baseline',
      podSecurityReason: 'the upstream install.yaml is applied as released and is not audited against the restricted profile here',
      upstreamChart: true,
      networkPolicyReason:
        "the released install.yaml brings Argo CD's own NetworkPolicies; its repo-server and controller reach git, Helm repositories and the API server",
    });
    for (const finding of accessFindings(context.access, [
      PROJECT,
      ROOT_PROJECT,
      ...(context.access.teamProjects ?? []).map((p) => p.name),
    ]))
      this.report(finding);
    installArgoCd(this, context.access);
    // Dex reads the OAuth app of this site's Argo CD from Vault: one app per site, since GitHub
    // accepts only the callback URL registered with the app, and each site's is its own URL.
    const oauthApp = `${context.access.githubOAuthVaultPath}/${this.site.name}`;
    new VaultSecret(this, 'github-oauth', {
      store: props.secrets,
      name: GITHUB_OAUTH_SECRET,
      namespace: ARGOCD_NAMESPACE,
      secretLabels: ARGOCD_PART_OF,
      data: {
        clientID: { path: oauthApp, property: 'clientID' },
        clientSecret: { path: oauthApp, property: 'clientSecret' },
      },
    });
    // The capacity check counts what installArgoCd patches into the released workloads (one table, ARGOCD.workloads).
    releasedWorkloads(this, ARGOCD);

    // The UI and CLI at argocd.<siteHostname>: each site has its own Argo CD, so its name must
    // reach that site (the edge routes per-site names by SNI and Host), not whichever site the
    // edge picks for public names; without a per-site name, argocd.<publicDomain>.
    // argocd-server keeps its TLS (no `server.insecure`: nothing travels in clear inside the
    // cluster) and, over TLS, serves HTTP/1.1 to browsers and the REST API and HTTP/2 only to gRPC
    // (argoproj/argo-cd@v3.5.1:server/server.go, the cmux matchers on the TLS listener). So two
    // routes, as upstream's Contour example does (docs/operator-manual/ingress.md): gRPC by its
    // content type over HTTP/2, everything else over HTTP/1.1.
    const server = this.endpoint({
      podLabels: { 'app.kubernetes.io/name': 'argocd-server' },
      ports: [{ port: 8080, name: 'server' }],
      serviceName: 'argocd-server',
    });
    const host = argoCdHost(this.site);
    // Streams (application watch, logs) stay open; idle ones are closed after an hour.
    const streaming = { responseTimeout: 'infinity', idleTimeout: '1h', retries: 0 } as const;
    this.exposeHttp({
      host,
      pathPrefix: '/',
      header: { name: 'content-type', contains: 'application/grpc' },
      backend: server,
      port: 443,
      backendProtocol: 'h2',
      ...streaming,
    });
    this.exposeHttp({ host, pathPrefix: '/', backend: server, port: 443, backendProtocol: 'tls', ...streaming });
    const { port, podLabels, metrics } = APPLICATION_CONTROLLER_METRICS;
    this.exposeMetrics({ pods: this.endpoint({ podLabels, ports: [{ port, name: 'metrics' }] }), port, metrics });
    for (const alert of ARGOCD_ALERTS) this.declareAlert(alert);
  }
}

/** The public name of a site's Argo CD (see ArgoCdComponent). */
export function argoCdHost(site: SiteContext['site']): string {
  return `argocd.${site.dns.siteHostname ?? site.dns.publicDomain}`;
}

/**
 * The pinned upstream release and our changes to it, added to `component`: the released
 * install.yaml through kustomize, our requests and limits and the Application health check as
 * patches of the released objects. Shared by the `argocd` component (Argo CD managing itself) and
 * the one-time `bootstrap` directory.
 */
export function installArgoCd(component: PlatformComponent, access: AccessConfig): void {
  // install.yaml names no namespace (it is applied with -n argocd); Argo CD's own docs pin it here.
  component.useUpstreamManifests(ARGOCD, { namespace: ARGOCD_NAMESPACE });
  // The released install.yaml sets no requests or limits: kustomize merges these into its workloads.
  for (const w of ARGOCD.workloads) {
    const patch = new ApiObject(component, `${w.name}-resources`, {
      apiVersion: 'apps/v1',
      kind: w.kind ?? 'Deployment',
      metadata: { name: w.name, namespace: ARGOCD_NAMESPACE },
      spec: {
        template: {
          spec: {
            containers: w.containers.map((c) => ({ name: c.name, resources: containerResources(c, MANIFEST_QUANTITIES) })),
          },
        },
      },
    });
    component.kustomizePatch(patch);
  }

  // Merged by kustomize into the released argocd-cm rather than replacing it.
  const settings = new k8s.KubeConfigMap(component, 'argocd-cm', {
    metadata: { name: 'argocd-cm', namespace: ARGOCD_NAMESPACE },
    data: { [APPLICATION_HEALTH_SETTING]: APPLICATION_HEALTH_LUA, ...ssoSettings(access, argoCdHost(component.site)) },
  });
  component.kustomizePatch(settings);
  // Merged into the released (empty) argocd-rbac-cm: who may do what (sites/access.ts).
  const rbac = new k8s.KubeConfigMap(component, 'argocd-rbac-cm', {
    metadata: { name: 'argocd-rbac-cm', namespace: ARGOCD_NAMESPACE },
    data: rbacSettings(access),
  });
  component.kustomizePatch(rbac);
}
