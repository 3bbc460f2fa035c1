import type { Construct } from 'constructs';
import { COMPONENT } from '../../model/components';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { Endpoint } from '../lib/declarations';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { singleReplicaNodeLoss, unaffected } from '../lib/resilience';
import { chartFile } from '../lib/upstream';
import { restrictedPodSecurityAsImageUser } from '../lib/workload';
import { MONITORING_NAMESPACE } from '../network-policies/policies';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import type { MayastorComponent } from '../storage/mayastor';
import { alertMail, alertmanagerConfig } from './alertmanager';
import { BlackboxExporter } from './blackbox';
import { MONITORING_ALERTS } from './platform-alerts';
import { MONITORING, MONITORING_RELEASE_NAME, MONITORING_WORKLOADS } from './release';
import type { MonitoringValues } from './values';
import { watchedSites } from '../lib/watchers';

export const MONITORING_COMPONENT = COMPONENT.monitoring;
/** The namespace of node-exporter alone: it needs the host (see the namespace's reason). */
export const NODE_EXPORTER_NAMESPACE = 'node-exporter';
/** The Secret Alertmanager reads the SMTP password from (filled from Vault). */
const SMTP_SECRET = 'alertmanager-smtp';
/** The Secret Grafana's admin credentials come from (filled from Vault). */
const GRAFANA_ADMIN_SECRET = 'grafana-admin';
/** The label Grafana's sidecar loads dashboards ConfigMaps by. */
export const DASHBOARD_LABEL = 'grafana_dashboard';
const PROMETHEUS_PORT = 9090;

/** Props of the monitoring stack. */
export interface MonitoringProps {
  /** The site's secrets component (the SMTP password, Grafana's admin). */
  readonly secrets: SecretsComponent;
  /** The site's storage: Prometheus's volumes are on its replicated class. */
  readonly storage: MayastorComponent;
}

/**
 * Prometheus, Alertmanager, Grafana, node-exporter and kube-state-metrics from
 * kube-prometheus-stack, a blackbox exporter probing the sites it watches and the public routes, and
 * (rendered by the monitoring view once every component is built, charts/monitoring/scrapes.ts)
 * the PodMonitors, Probes, PrometheusRules and dashboards derived from what components declare.
 */
export class MonitoringComponent extends PlatformComponent {
  /** Prometheus's pods, which scrape every declared metrics endpoint (network-policies admit the namespace). */
  readonly prometheus: Endpoint;
  /** Grafana's pods and Service. */
  readonly grafana: Endpoint;
  /** The blackbox exporter Probes send their requests through. */
  readonly blackbox: BlackboxExporter;

  constructor(scope: Construct, context: SiteContext, props: MonitoringProps) {
    super(scope, {
      name: MONITORING_COMPONENT,
      context,
      namespace: MONITORING_NAMESPACE,
      installsCrds: [
        {
          group: 'monitoring.coreos.com',
          source: 'chart',
          keptOnDelete: false,
          reference: chartFile(MONITORING, 'charts/crds/crds'),
        },
      ],
    });
    this.ownNamespace({
      name: MONITORING_NAMESPACE,
      podSecurity: 'restricted',
      upstreamChart: true,
      networkPolicyReason:
        'Prometheus scrapes every namespace, the API server and the kubelets, and the blackbox exporter probes the other sites and the public entry point',
    });
    this.ownNamespace({
      name: NODE_EXPORTER_NAMESPACE,
      podSecurity: 'privileged',
      podSecurityReason:
        "node-exporter reads the host's /proc, /sys and root filesystem on the host network and PID namespace (hostPath volumes)",
      upstreamChart: true,
      networkPolicyReason: 'node-exporter runs on the host network: NetworkPolicies do not apply to it',
    });
    const { site } = this;
    const mail = alertMail(site);
    const smtp = new VaultSecret(this, 'smtp', {
      store: props.secrets,
      name: SMTP_SECRET,
      namespace: MONITORING_NAMESPACE,
      data: { password: { path: mail.credentialsPath, property: 'password' } },
    });
    const admin = new VaultSecret(this, 'grafana-admin', {
      store: props.secrets,
      name: GRAFANA_ADMIN_SECRET,
      namespace: MONITORING_NAMESPACE,
      data: { 'admin-password': { path: 'monitoring/grafana-admin', property: 'password' } },
      literals: { 'admin-user': 'admin' },
    });
    const retentionDays = site.monitoring?.retentionDays ?? 7;
    const volumeGiB = site.monitoring?.volumeGiB ?? 5;
    const host = grafanaHost(site);
    const podSecurity = restrictedPodSecurityAsImageUser();
    const values: MonitoringValues = {
      fullnameOverride: MONITORING_RELEASE_NAME,
      crds: { enabled: true },
      defaultRules: { create: false },
      kubeControllerManager: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeEtcd: { enabled: false },
      kubeProxy: { enabled: false },
      windowsMonitoring: { enabled: false },
      prometheusOperator: { admissionWebhooks: { enabled: false }, tls: { enabled: false } },
      prometheus: {
        prometheusSpec: {
          retention: `${retentionDays}d`,
          retentionSize: `${Math.floor(volumeGiB * 0.85 * 1024)}MB`,
          storageSpec: {
            volumeClaimTemplate: {
              spec: {
                storageClassName: props.storage.replicated.name,
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: `${volumeGiB}Gi` } },
              },
            },
          },
          ruleSelectorNilUsesHelmValues: false,
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelectorNilUsesHelmValues: false,
          probeSelectorNilUsesHelmValues: false,
          scrapeConfigSelectorNilUsesHelmValues: false,
          externalLabels: { site: site.name },
          podAntiAffinity: 'hard',
          securityContext: podSecurity,
        },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
      },
      alertmanager: {
        config: alertmanagerConfig(site, smtp.secretName),
        alertmanagerSpec: { secrets: [smtp.secretName], podAntiAffinity: 'hard', securityContext: podSecurity },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
      },
      grafana: {
        defaultDashboardsEnabled: false,
        testFramework: { enabled: false },
        admin: { existingSecret: admin.secretName, userKey: 'admin-user', passwordKey: 'admin-password' },
        'grafana.ini': { server: { root_url: `https://${host}/` }, analytics: { reporting_enabled: false, check_for_updates: false } },
        sidecar: { dashboards: { enabled: true, label: DASHBOARD_LABEL, labelValue: '1', searchNamespace: MONITORING_NAMESPACE } },
      },
      'prometheus-node-exporter': { namespaceOverride: NODE_EXPORTER_NAMESPACE },
    };
    this.useHelmChart({
      upstream: MONITORING,
      releaseName: MONITORING_RELEASE_NAME,
      values: mergeValues(
        { ...values },
        releasedWorkloads(
          this,
          MONITORING,
          {},
          {
            [MONITORING_WORKLOADS.prometheus.name]: { storageClass: props.storage.replicated.name, sizeGiB: volumeGiB },
          },
        ),
      ),
      alsoDeploysTo: [
        { namespace: NODE_EXPORTER_NAMESPACE, reason: 'node-exporter, in a privileged namespace of its own' },
        {
          namespace: 'kube-system',
          reason: "the Services selecting CoreDNS and the kubelets (the operator's kubelet Service), which Prometheus scrapes",
        },
      ],
    });
    // The DaemonSet is declared in the monitoring namespace by releasedWorkloads; its pods count the same wherever they run.

    this.prometheus = this.endpoint({
      podLabels: MONITORING_WORKLOADS.prometheus.podLabels,
      ports: [{ port: PROMETHEUS_PORT, name: 'http-web' }],
      serviceName: MONITORING_WORKLOADS.prometheus.service.name,
    });
    this.grafana = this.endpoint({
      podLabels: MONITORING_WORKLOADS.grafana.podLabels,
      ports: [{ port: 3000, name: 'grafana' }],
      serviceName: MONITORING_WORKLOADS.grafana.service.name,
    });
    this.usesApiServer(this.prometheus);
    this.exposeHttp({ host, pathPrefix: '/', backend: this.grafana, port: 80, targetPort: 3000 });
    this.blackbox = new BlackboxExporter(this, 'blackbox');
    for (const alert of MONITORING_ALERTS) this.declareAlert(alert);

    this.declareResilience({
      workload: `StatefulSet/${MONITORING_NAMESPACE}/${MONITORING_WORKLOADS.prometheus.name}`,
      members: MONITORING_WORKLOADS.prometheus.replicas,
      quorum: 1,
      onePerNode: true,
      copies: {
        count: MONITORING_WORKLOADS.prometheus.replicas,
        placement: 'replicated-volume',
        storageClass: props.storage.replicated.name,
        volumeReplicas: props.storage.replicated.replicas,
        volumeGiB,
      },
      memberLoss: {
        service: 'continues',
        recoverySeconds: 0,
        writesAtRisk: 'none',
        lostMember: 'rescheduled',
        description:
          'Both replicas scrape every target and evaluate every rule; Alertmanager deduplicates their alerts. The lost replica restarts on the third node ' +
          'from its replicated volume, its samples of the outage missing (the other replica has them).',
      },
      dependencies: [
        {
          on: COMPONENT.mayastor,
          needs: "the replicas' volumes",
          whenLost: 'a replica whose volume is gone stops; the other keeps scraping',
        },
        { on: 'kubernetes-api', needs: 'target discovery', whenLost: 'keeps scraping the targets it knew' },
      ],
    });
    this.declareFailureBehaviour({
      serves: "the site's metrics, alerts and dashboards",
      // Prometheus and Alertmanager run 2 replicas one per node: alerts still evaluate and mail.
      nodeLoss: singleReplicaNodeLoss(
        'Grafana',
        'Prometheus and Alertmanager (2 replicas, one per node) keep evaluating and mailing alerts',
      ),
      otherSiteLoss: unaffected(
        "the blackbox probes of the other site's addresses fail and SiteUnreachable mails from this site's own Alertmanager",
      ),
      otherSites: watchedSites(site, this.sites),
      linkLoss: unaffected("the probes of the other site's addresses fail and SiteUnreachable mails from this site, as on its loss"),
    });
  }
}

/** Grafana's host name: under the site's own name, never the public split (each site's Grafana shows its site). */
export function grafanaHost(site: {
  readonly name: string;
  readonly dns: { readonly publicDomain: string; readonly siteHostname?: string };
}): string {
  return `grafana.${site.dns.siteHostname ?? `${site.name}.${site.dns.publicDomain}`}`;
}
