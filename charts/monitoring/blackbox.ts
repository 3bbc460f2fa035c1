/**
 * The blackbox exporter: Prometheus asks it to probe a target (`/probe?module=..&target=..`) and
 * scrapes the answer. Each site probes the floating addresses of the sites it watches (watchers.ts)
 * and every public route through it, so the loss of a site is seen, and alerted, from the sites
 * that remain.
 */
import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { PlatformComponent } from '../component';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import {
  httpProbe,
  podDisruptionBudget,
  resources,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  spreadOverNodes,
} from '../lib/workload';

/** prometheus-community/helm-charts@kube-prometheus-stack-88.3.0:charts/prometheus-blackbox-exporter/Chart.yaml, appVersion. */
export const BLACKBOX_IMAGE = 'quay.io/prometheus/blackbox-exporter:v0.28.0';
export const BLACKBOX_PORT = 9115;
const NAME = 'blackbox-exporter';

/** The probe modules, by name: what a Probe object asks for. */
export const BLACKBOX_MODULES = {
  /** An HTTPS route answers 2xx (or a redirect) with a certificate that verifies. */
  https: 'https_2xx',
  /** A floating address accepts TCP connections (ingress, database, bus). */
  tcp: 'tcp_connect',
} as const;

/** Statuses that show the route works end to end (the application answered): anything but a 5xx or no answer. */
const ANSWERED = [200, 201, 204, 301, 302, 303, 307, 308, 400, 401, 403, 404, 405];

let config: { readonly text: string; readonly sha256: string } | undefined;

/** The exporter's configuration (the same file the tests run the real exporter with). */
export function blackboxConfig(): string {
  return blackboxFile().text;
}

/** The configuration and its digest: constants, made once per process (the yaml library's stringify and the hash cost about 1 ms a site). */
function blackboxFile(): { readonly text: string; readonly sha256: string } {
  if (!config) {
    const text = stringify({
      modules: {
        [BLACKBOX_MODULES.https]: {
          prober: 'http',
          timeout: '5s',
          http: { preferred_ip_protocol: 'ip4', valid_status_codes: ANSWERED, fail_if_not_ssl: true, follow_redirects: false },
        },
        [BLACKBOX_MODULES.tcp]: { prober: 'tcp', timeout: '5s', tcp: { preferred_ip_protocol: 'ip4' } },
      },
    });
    config = { text, sha256: createHash('sha256').update(text).digest('hex') };
  }
  return config;
}

/** Two replicas spread over nodes: losing a node must not blind a site to the other's loss. */
export class BlackboxExporter extends Construct {
  /** The exporter's pods and Service, which Probe objects name. */
  readonly pods: Endpoint;

  constructor(component: PlatformComponent, id: string) {
    super(component, id);
    const namespace = component.namespace!;
    const podLabels = commonLabels(component.componentName, NAME);
    this.pods = component.endpoint({ podLabels, ports: [{ port: BLACKBOX_PORT, name: 'http' }], serviceName: NAME });
    const config = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: NAME, namespace, labels: podLabels },
      data: { 'blackbox.yml': blackboxConfig() },
    });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: NAME, namespace, labels: podLabels },
      spec: {
        replicas: 2,
        selector: { matchLabels: podLabels },
        template: {
          // The exporter reads its modules at start: a changed configuration rolls the pods.
          metadata: { labels: podLabels, annotations: { 'checksum/config': blackboxFile().sha256 } },
          spec: {
            securityContext: restrictedPodSecurity(65534),
            topologySpreadConstraints: spreadOverNodes(podLabels),
            automountServiceAccountToken: false,
            containers: [
              {
                name: NAME,
                image: BLACKBOX_IMAGE,
                args: ['--config.file=/etc/blackbox/blackbox.yml', `--web.listen-address=:${BLACKBOX_PORT}`],
                ports: [{ name: 'http', containerPort: BLACKBOX_PORT }],
                resources: resources({ cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 }),
                securityContext: restrictedContainerSecurity(),
                readinessProbe: httpProbe('/-/healthy', BLACKBOX_PORT),
                livenessProbe: httpProbe('/-/healthy', BLACKBOX_PORT, { periodSeconds: 20 }),
                volumeMounts: [{ name: 'config', mountPath: '/etc/blackbox', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: config.name } }],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name: NAME, namespace, labels: podLabels },
      spec: { selector: podLabels, ports: [{ name: 'http', port: BLACKBOX_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
    podDisruptionBudget(this, { name: NAME, namespace, podLabels });
  }
}
