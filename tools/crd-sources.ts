/**
 * The custom resource kinds the platform renders, where each CRD comes from upstream, and the
 * module name its generated bindings get in imports/. Only these kinds are imported: a CRD we do
 * not render would only add dead generated code.
 */
export interface CrdSource {
  /** Module name under imports/ (one per API group). */
  readonly module: string;
  /** File under ../shared/crds (offline copy, byte for byte the upstream file). */
  readonly localFile: string;
  /** Upstream URL of the same file, for users with a network. */
  readonly upstreamUrl: string;
  /** Kinds taken from the file; the others in it are skipped. */
  readonly kinds: readonly string[];
}

const argo = 'https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/crds';
const metallb = 'https://raw.githubusercontent.com/metallb/metallb/v0.16.1/config/crd/bases';
const promOp = 'https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/v0.93.0/example/prometheus-operator-crd';
const eso = 'https://raw.githubusercontent.com/external-secrets/external-secrets/v2.9.0/config/crds/bases';
const keda = 'https://raw.githubusercontent.com/kedacore/keda/v2.20.2/config/crd/bases';
const certManager = 'https://raw.githubusercontent.com/cert-manager/cert-manager/v1.21.1/deploy/crds';

export const CRD_SOURCES: readonly CrdSource[] = [
  { module: 'argocd', localFile: 'argocd/application-crd.yaml', upstreamUrl: `${argo}/application-crd.yaml`, kinds: ['Application'] },
  { module: 'argocd', localFile: 'argocd/appproject-crd.yaml', upstreamUrl: `${argo}/appproject-crd.yaml`, kinds: ['AppProject'] },
  {
    module: 'contour',
    localFile: 'contour/01-crds.yaml',
    upstreamUrl: 'https://raw.githubusercontent.com/projectcontour/contour/v1.33.6/examples/contour/01-crds.yaml',
    kinds: ['HTTPProxy'],
  },
  {
    module: 'metallb',
    localFile: 'metallb/metallb.io_ipaddresspools.yaml',
    upstreamUrl: `${metallb}/metallb.io_ipaddresspools.yaml`,
    kinds: ['IPAddressPool'],
  },
  {
    module: 'metallb',
    localFile: 'metallb/metallb.io_l2advertisements.yaml',
    upstreamUrl: `${metallb}/metallb.io_l2advertisements.yaml`,
    kinds: ['L2Advertisement'],
  },
  {
    module: 'monitoring',
    localFile: 'prometheus-operator/monitoring.coreos.com_servicemonitors.yaml',
    upstreamUrl: `${promOp}/monitoring.coreos.com_servicemonitors.yaml`,
    kinds: ['ServiceMonitor'],
  },
  {
    module: 'monitoring',
    localFile: 'prometheus-operator/monitoring.coreos.com_podmonitors.yaml',
    upstreamUrl: `${promOp}/monitoring.coreos.com_podmonitors.yaml`,
    kinds: ['PodMonitor'],
  },
  {
    module: 'monitoring',
    localFile: 'prometheus-operator/monitoring.coreos.com_prometheusrules.yaml',
    upstreamUrl: `${promOp}/monitoring.coreos.com_prometheusrules.yaml`,
    kinds: ['PrometheusRule'],
  },
  {
    module: 'external-secrets',
    localFile: 'external-secrets/external-secrets.io_externalsecrets.yaml',
    upstreamUrl: `${eso}/external-secrets.io_externalsecrets.yaml`,
    kinds: ['ExternalSecret'],
  },
  {
    module: 'external-secrets',
    localFile: 'external-secrets/external-secrets.io_clustersecretstores.yaml',
    upstreamUrl: `${eso}/external-secrets.io_clustersecretstores.yaml`,
    kinds: ['ClusterSecretStore'],
  },
  {
    module: 'keda',
    localFile: 'keda/keda.sh_scaledobjects.yaml',
    upstreamUrl: `${keda}/keda.sh_scaledobjects.yaml`,
    kinds: ['ScaledObject'],
  },
  {
    module: 'keda',
    localFile: 'keda/keda.sh_triggerauthentications.yaml',
    upstreamUrl: `${keda}/keda.sh_triggerauthentications.yaml`,
    kinds: ['TriggerAuthentication'],
  },
  {
    module: 'cert-manager',
    localFile: 'cert-manager/cert-manager.io_certificates.yaml',
    upstreamUrl: `${certManager}/cert-manager.io_certificates.yaml`,
    kinds: ['Certificate'],
  },
  {
    module: 'cert-manager',
    localFile: 'cert-manager/cert-manager.io_clusterissuers.yaml',
    upstreamUrl: `${certManager}/cert-manager.io_clusterissuers.yaml`,
    kinds: ['ClusterIssuer'],
  },
];

/**
 * Schemas we write ourselves, for kinds whose upstream publishes no CRD file (the operator
 * registers it at run time). They feed validation only; the bindings are hand-written in charts/.
 */
export interface LocalSchema {
  /** API group. */
  readonly group: string;
  /** Kind. */
  readonly kind: string;
  /** Version. */
  readonly version: string;
  /** openAPIV3Schema file under tools/schemas/. */
  readonly file: string;
}

export const LOCAL_SCHEMAS: readonly LocalSchema[] = [
  { group: 'openebs.io', kind: 'DiskPool', version: 'v1beta2', file: 'openebs.io_diskpool_v1beta2.json' },
];
