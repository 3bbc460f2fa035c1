import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { CrdDeclaration } from '../lib/sync-order';
import { cite } from '../lib/upstream';
import { APPLICATION_HEALTH_SETTING, ARGOCD_NAMESPACE } from './constants';
import { ARGOCD } from './release';
import { COMPONENT } from '../../model/components';

/** Argo CD's released workloads, their main container and what we give them (sized for a small site). */
const ARGOCD_WORKLOADS: readonly {
  name: string;
  kind: 'Deployment' | 'StatefulSet';
  container: string;
  cpuMillis: number;
  memoryMiB: number;
  memoryLimitMiB: number;
  service?: { name: string; ports: readonly number[] };
}[] = [
  {
    name: 'argocd-application-controller',
    kind: 'StatefulSet',
    container: 'argocd-application-controller',
    cpuMillis: 250,
    memoryMiB: 512,
    memoryLimitMiB: 1024,
  },
  { name: 'argocd-repo-server', kind: 'Deployment', container: 'argocd-repo-server', cpuMillis: 100, memoryMiB: 256, memoryLimitMiB: 512 },
  {
    name: 'argocd-server',
    kind: 'Deployment',
    container: 'argocd-server',
    cpuMillis: 50,
    memoryMiB: 128,
    memoryLimitMiB: 256,
    service: { name: 'argocd-server', ports: [80, 443] },
  },
  { name: 'argocd-redis', kind: 'Deployment', container: 'redis', cpuMillis: 50, memoryMiB: 64, memoryLimitMiB: 128 },
  { name: 'argocd-dex-server', kind: 'Deployment', container: 'dex', cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 },
  {
    name: 'argocd-applicationset-controller',
    kind: 'Deployment',
    container: 'argocd-applicationset-controller',
    cpuMillis: 20,
    memoryMiB: 64,
    memoryLimitMiB: 128,
  },
  {
    name: 'argocd-notifications-controller',
    kind: 'Deployment',
    container: 'argocd-notifications-controller',
    cpuMillis: 10,
    memoryMiB: 32,
    memoryLimitMiB: 64,
  },
];

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
  constructor(scope: Construct, context: SiteContext) {
    super(scope, {
      name: COMPONENT.argocd,
      context,
      namespace: ARGOCD_NAMESPACE,
      installsCrds: [ARGOCD_CRDS],
      // No cascading delete: removing this Application (or pruning it from apps/) would delete Argo
      // CD itself and its CRDs, and with them every Application.
      keepObjectsOnRemoval: true,
    });
    this.ownNamespace({
      name: ARGOCD_NAMESPACE,
      podSecurity: 'baseline',
      podSecurityReason: 'the upstream install.yaml is applied as released and is not audited against the restricted profile here',
      upstreamChart: true,
      networkPolicyReason:
        "the released install.yaml brings Argo CD's own NetworkPolicies; its repo-server and controller reach git, Helm repositories and the API server",
    });
    installArgoCd(this);

    // The capacity check counts what installArgoCd patches into the released workloads.
    for (const w of ARGOCD_WORKLOADS) {
      this.declareUpstreamWorkload({
        name: w.name,
        namespace: ARGOCD_NAMESPACE,
        replicas: 1,
        cpuMillis: w.cpuMillis,
        memoryMiB: w.memoryMiB,
        podLabels: { 'app.kubernetes.io/name': w.name },
        ...(w.service ? { service: w.service } : {}),
      });
    }

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
    const host = `argocd.${this.site.dns.siteHostname ?? this.site.dns.publicDomain}`;
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
  }
}

/**
 * The pinned upstream release and our changes to it, added to `component`: the released
 * install.yaml through kustomize, our requests and limits and the Application health check as
 * patches of the released objects. Shared by the `argocd` component (Argo CD managing itself) and
 * the one-time `bootstrap` directory.
 */
export function installArgoCd(component: PlatformComponent): void {
  // install.yaml names no namespace (it is applied with -n argocd); Argo CD's own docs pin it here.
  component.useUpstreamManifests(ARGOCD, { namespace: ARGOCD_NAMESPACE });
  // The released install.yaml sets no requests or limits: kustomize merges these into its workloads.
  for (const w of ARGOCD_WORKLOADS) {
    const patch = new ApiObject(component, `${w.name}-resources`, {
      apiVersion: 'apps/v1',
      kind: w.kind,
      metadata: { name: w.name, namespace: ARGOCD_NAMESPACE },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: w.container,
                resources: {
                  requests: { cpu: `${w.cpuMillis}m`, memory: `${w.memoryMiB}Mi` },
                  limits: { memory: `${w.memoryLimitMiB}Mi` },
                },
              },
            ],
          },
        },
      },
    });
    component.kustomizePatch(patch);
  }

  // Merged by kustomize into the released argocd-cm rather than replacing it.
  const settings = new k8s.KubeConfigMap(component, 'argocd-cm', {
    metadata: { name: 'argocd-cm', namespace: ARGOCD_NAMESPACE },
    data: { [APPLICATION_HEALTH_SETTING]: APPLICATION_HEALTH_LUA },
  });
  component.kustomizePatch(settings);
}
