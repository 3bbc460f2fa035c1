/**
 * The part of kube-prometheus-stack's values.yaml we set besides replicas and resources, typed
 * (keys checked with `helm template` on the pinned chart, charts/monitoring/release.ts).
 */
import type { restrictedPodSecurityAsImageUser } from '../lib/workload';

type PodSecurity = ReturnType<typeof restrictedPodSecurityAsImageUser>;

/** One Prometheus or Alertmanager volume claim, as the operator's `storage` takes it. */
export interface VolumeClaimTemplate {
  readonly volumeClaimTemplate: {
    readonly spec: {
      readonly storageClassName: string;
      readonly accessModes: readonly ['ReadWriteOnce'];
      readonly resources: { readonly requests: { readonly storage: string } };
    };
  };
}

export interface MonitoringValues {
  readonly fullnameOverride: string;
  readonly crds: { readonly enabled: true };
  /** The chart's own rules and dashboards read metrics no component declares: ours are derived from the declarations. */
  readonly defaultRules: { readonly create: false };
  /** Targets Kubespray's control plane serves on loopback only (controller-manager, scheduler, etcd) or that do not run (kube-proxy under Cilium's replacement): their scrapes would only fail. */
  readonly kubeControllerManager: { readonly enabled: false };
  readonly kubeScheduler: { readonly enabled: false };
  readonly kubeEtcd: { readonly enabled: false };
  readonly kubeProxy: { readonly enabled: false };
  readonly windowsMonitoring: { readonly enabled: false };
  readonly prometheusOperator: {
    /** Rules are checked by promtool in CI; the webhook would refuse PrometheusRules while the operator is down. */
    readonly admissionWebhooks: { readonly enabled: false };
    readonly tls: { readonly enabled: false };
  };
  readonly prometheus: {
    readonly prometheusSpec: {
      readonly retention: string;
      readonly retentionSize: string;
      readonly storageSpec: VolumeClaimTemplate;
      /** Every PodMonitor, ServiceMonitor, Probe and PrometheusRule of the site, not only the chart's. */
      readonly ruleSelectorNilUsesHelmValues: false;
      readonly serviceMonitorSelectorNilUsesHelmValues: false;
      readonly podMonitorSelectorNilUsesHelmValues: false;
      readonly probeSelectorNilUsesHelmValues: false;
      readonly scrapeConfigSelectorNilUsesHelmValues: false;
      readonly externalLabels: { readonly site: string };
      readonly podAntiAffinity: 'hard';
      readonly securityContext: PodSecurity;
    };
    readonly podDisruptionBudget: { readonly enabled: true; readonly minAvailable: 1 };
  };
  readonly alertmanager: {
    readonly config: Record<string, unknown>;
    readonly alertmanagerSpec: {
      /** Secrets mounted under /etc/alertmanager/secrets/<name>/ (the SMTP password). */
      readonly secrets: readonly string[];
      readonly podAntiAffinity: 'hard';
      readonly securityContext: PodSecurity;
    };
    readonly podDisruptionBudget: { readonly enabled: true; readonly minAvailable: 1 };
  };
  readonly grafana: {
    readonly defaultDashboardsEnabled: false;
    /** The chart's `helm test` pod, which Argo CD would apply as a plain Pod. */
    readonly testFramework: { readonly enabled: false };
    readonly admin: { readonly existingSecret: string; readonly userKey: 'admin-user'; readonly passwordKey: 'admin-password' };
    readonly 'grafana.ini': {
      readonly server: { readonly root_url: string };
      readonly analytics: { readonly reporting_enabled: false; readonly check_for_updates: false };
    };
    readonly sidecar: {
      readonly dashboards: { readonly enabled: true; readonly label: string; readonly labelValue: '1'; readonly searchNamespace: string };
    };
  };
  /** In its own namespace: the exporter reads the host's /proc and /sys on the host network, which only a privileged namespace admits. */
  readonly 'prometheus-node-exporter': { readonly namespaceOverride: string };
}
