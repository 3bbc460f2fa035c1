import type { Construct } from 'constructs';
import type { EdgeProxy } from '../../sites';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { Endpoint } from '../lib/declarations';
import type { MetalLbComponent } from '../metallb/metallb';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { chartFile } from '../lib/upstream';
import { watchersOf } from '../lib/watchers';
import { CONTOUR } from './release';
import { scrapeJob } from '../lib/alerts';
import { CONTOUR_METRICS, ENVOY_METRICS, ingressAlerts } from './alerts';
import { COMPONENT } from '../../model/components';

export const CONTOUR_NAMESPACE = 'projectcontour';
const RELEASE = 'contour';
/** Envoy's container ports (above 1024: Envoy runs as a non-root user). */
export const ENVOY_PORTS = { http: 8080, https: 8443, metrics: 8002 } as const;
const CONTOUR_PORTS = { xds: 8001, metrics: 8000 } as const;

/** Labels the chart puts on the pods of one of its parts. */
function chartPodLabels(part: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'contour', 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': part };
}

/** Props of the ingress component. */
export interface ContourProps {
  /** MetalLB: Envoy's Service takes the site's fixed `ingress` address. */
  readonly metallb: MetalLbComponent;
  /** The edge proxy: the only source allowed to reach Envoy, and it sends the PROXY header. */
  readonly edge: EdgeProxy;
}

/**
 * Contour with Envoy, the site's ingress (seed 002). Envoy is a DaemonSet behind a LoadBalancer
 * Service on the site's floating address, `externalTrafficPolicy: Local`, and every Envoy
 * listener expects the PROXY protocol header the edge HAProxy sends, so Envoy (and the
 * applications, in X-Forwarded-For / X-Envoy-External-Address) see the client's real address.
 * Root HTTPProxies are only accepted in this namespace (`--root-namespaces`): a component cannot
 * claim a host name by hand; routes are rendered from the components' `exposeHttp` declarations
 * (see routes.ts).
 */
export class ContourComponent extends PlatformComponent {
  /** Envoy's pods: the source of every routed request (NetworkPolicies of exposed services). */
  readonly envoy: Endpoint;
  /** The address Envoy's Service gets. */
  readonly address: string;

  constructor(scope: Construct, context: SiteContext, props: ContourProps) {
    super(scope, {
      name: COMPONENT.contour,
      context,
      namespace: CONTOUR_NAMESPACE,
      installsCrds: [
        {
          group: 'projectcontour.io',
          source: 'chart',
          keptOnDelete: false,
          reference: chartFile(CONTOUR, 'templates/crds/contour-crds.yaml'),
        },
      ],
      // The chart cannot mark its CRDs kept, and deleting the HTTPProxy CRD deletes every
      // component's routes: no cascading delete for this Application.
      keepObjectsOnRemoval: true,
    });
    this.declareFailureBehaviour({
      serves: "Contour/Envoy: the site's ingress on its floating address",
      nodeLoss: {
        state: 'up',
        reason: 'Envoy runs on every node and the floating address moves to a live one; 2 Contour replicas spread over nodes',
      },
      edgeLoss: {
        state: 'degraded',
        reason: 'public traffic arrives only through the edge: it stops; traffic to the floating address from inside the networks goes on',
      },
    });
    this.ownNamespace({
      name: CONTOUR_NAMESPACE,
      podSecurity: 'baseline',
      podSecurityReason:
        "the chart's certgen Job and Envoy's init container are not audited against the restricted profile here (Contour and Envoy themselves run non-root, drop ALL, RuntimeDefault seccomp); warn/audit show any gap",
    });
    const lb = props.metallb.fixedLoadBalancer(this, 'ingress');
    this.address = lb.address;
    this.useHelmChart({
      upstream: CONTOUR,
      releaseName: RELEASE,
      values: mergeValues(releasedWorkloads(this, CONTOUR), {
        contour: {
          manageCRDs: true,
          // PROXY protocol on every Envoy listener; root proxies only in this namespace.
          extraArgs: ['--use-proxy-protocol', `--root-namespaces=${CONTOUR_NAMESPACE}`],
          // Never two controllers on a node (the release table counts one per node).
          podAntiAffinityPreset: 'hard',
          // Our NetworkPolicies (derived from declarations) replace the chart's permissive ones.
          networkPolicy: { enabled: false },
        },
        envoy: {
          kind: 'daemonset',
          containerPorts: ENVOY_PORTS,
          useHostPort: { http: false, https: false, metrics: false },
          networkPolicy: { enabled: false },
          service: {
            name: 'envoy',
            type: lb.type,
            externalTrafficPolicy: lb.externalTrafficPolicy,
            annotations: lb.annotations,
          },
        },
        configInline: {
          disablePermitInsecure: false,
          'accesslog-format': 'json',
          tls: { 'minimum-protocol-version': '1.2' },
        },
      }),
    });

    const envoy = this.endpoint({
      podLabels: chartPodLabels('envoy'),
      ports: [
        { port: ENVOY_PORTS.http, name: 'http' },
        { port: ENVOY_PORTS.https, name: 'https' },
        { port: ENVOY_PORTS.metrics, name: 'metrics' },
      ],
      serviceName: 'envoy',
    });
    const contour = this.endpoint({
      podLabels: chartPodLabels('contour'),
      ports: [
        { port: CONTOUR_PORTS.xds, name: 'xds' },
        { port: CONTOUR_PORTS.metrics, name: 'metrics' },
      ],
    });
    const certgen = this.endpoint({ podLabels: chartPodLabels('contour-certgen'), ports: [] });
    this.envoy = envoy;

    this.talksOutside({
      pods: envoy,
      direction: 'ingress',
      cidrs: props.edge.sourceAddresses,
      ports: [{ port: ENVOY_PORTS.http }, { port: ENVOY_PORTS.https }],
      reason: `client connections relayed by the edge proxy ${props.edge.name} (PROXY protocol v2)`,
    });
    // The sites that watch this one open TCP connections to its floating address (SiteUnreachable);
    // they leave their cluster through their nodes' addresses, which the Local Service keeps.
    const watchers = watchersOf(this.site, this.sites);
    if (watchers.length > 0)
      this.talksOutside({
        pods: envoy,
        direction: 'ingress',
        cidrs: watchers.flatMap((w) => w.nodes.map((n) => `${n.address}/32`)).sort(),
        ports: [{ port: ENVOY_PORTS.https }],
        reason: `probes of the floating address by the sites that watch this one (${watchers.map((w) => w.name).join(', ')})`,
      });
    this.talksTo(envoy, contour, [{ port: CONTOUR_PORTS.xds }]);
    this.usesApiServer(contour);
    this.usesApiServer(certgen);
    this.exposeMetrics({ pods: envoy, port: ENVOY_PORTS.metrics, path: '/stats/prometheus', metrics: ENVOY_METRICS });
    this.exposeMetrics({ pods: contour, port: CONTOUR_PORTS.metrics, metrics: CONTOUR_METRICS });
    for (const alert of ingressAlerts(scrapeJob(envoy), ENVOY_PORTS.metrics)) this.declareAlert(alert);
  }
}
