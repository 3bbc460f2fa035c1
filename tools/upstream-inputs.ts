/**
 * Every upstream file `npm run import` reads, in one table: where upstream publishes it (an https
 * URL at a pinned tag), the sha256 of its bytes, and where a mirror directory keeps a copy. The
 * import refuses any file whose digest differs, so imports/ is a function of this table.
 *   - CRD_INPUTS: the custom resource kinds the platform renders; only the listed kinds are
 *     imported (a CRD we do not render would only add dead generated code).
 *   - KUBERNETES_SCHEMAS: the Kubernetes API schema, by release; each release gets its own
 *     validators in imports/validators/<release>/. Adding a release is one entry here, then
 *     `npm run import`.
 *   - CI_SCHEMAS: the JSON schemas editors check our CI templates with; each gets a validator in
 *     imports/ci-validators/<name>.js (test/ci.test.ts validates the templates with it).
 *   - LOCAL_SCHEMAS: schemas we write ourselves, for kinds whose upstream publishes no CRD file.
 * A mirror directory holds every file of CRD_INPUTS, KUBERNETES_SCHEMAS and CI_SCHEMAS at its
 * `mirrorPath`: crds/<piece>/<file>, k8s-schemas/v<release>.0/_definitions.json and
 * ci-schemas/<name>.json.
 */
import { ARGOCD } from '../charts/argocd/release';
import { CERT_MANAGER } from '../charts/cert-manager/release';
import { CONTOUR } from '../charts/contour/release';
import { KEDA } from '../charts/keda/release';
import { rawUrl, type GitHubRef } from '../charts/lib/upstream';
import { METALLB } from '../charts/metallb/release';
import { MONITORING } from '../charts/monitoring/release';
import { EXTERNAL_SECRETS } from '../charts/secrets/release';

/** One upstream file. */
export interface UpstreamFile {
  /** https URL at a pinned tag (a pinned commit where upstream tags none). */
  readonly url: string;
  /** sha256 of the file, hex: the import refuses any other content. */
  readonly sha256: string;
  /** Path of the same file inside a mirror directory (`npm run import -- --mirror DIR`). */
  readonly mirrorPath: string;
}

/** An upstream CRD file and what the import keeps of it. */
export interface CrdInput extends UpstreamFile {
  /** Module name under imports/ (one per API group; several files may feed one module). */
  readonly module: string;
  /** Kinds taken from the file; the others in it are skipped. */
  readonly kinds: readonly string[];
}

/** A file of a release (`repo` at its tag), as GitHub serves it, and its mirror copy under crds/<dir>/. */
function github(release: GitHubRef, dir: string) {
  return (upstreamPath: string, sha256: string, module: string, kinds: readonly string[]): CrdInput => ({
    url: rawUrl(release, upstreamPath),
    sha256,
    mirrorPath: `crds/${dir}/${upstreamPath.slice(upstreamPath.lastIndexOf('/') + 1)}`,
    module,
    kinds,
  });
}

// The CRDs of each installed release come from the tag its table pins (charts/<piece>/release.ts),
// so the bindings and schemas match what the chart installs. Moving a pin changes the URLs here:
// the digests then no longer match and `npm run import` refuses until they are updated.
const argo = github(ARGOCD.release, 'argocd');
const contour = github(CONTOUR.release, 'contour');
const metallb = github(METALLB.release, 'metallb');
// The monitoring component's chart installs these CRDs from the operator release its table pins.
const promOp = github(MONITORING.release, 'prometheus-operator');
const eso = github(EXTERNAL_SECRETS.release, 'external-secrets');
const keda = github(KEDA.release, 'keda');
const certManager = github(CERT_MANAGER.release, 'cert-manager');

export const CRD_INPUTS: readonly CrdInput[] = [
  argo('manifests/crds/application-crd.yaml', '5dde0e229249b6b707beb98674c1deae3949d5c319a6c45b9f5a80c99618e40c', 'argocd', [
    'Application',
  ]),
  argo('manifests/crds/appproject-crd.yaml', 'ab225266944322750136f1198d93786e4a79a0e43c8d149abfba44da30a3eac8', 'argocd', ['AppProject']),
  contour('examples/contour/01-crds.yaml', 'c02ed88146211c84edcafb718191f403ab35d8a9c6593bdc244338d20e8461b2', 'contour', ['HTTPProxy']),
  metallb(
    'config/crd/bases/metallb.io_ipaddresspools.yaml',
    '585d55016cb9cf1aac3ed4a63b1075051bf8c20aab28dfcd3cfbe58a632ed230',
    'metallb',
    ['IPAddressPool'],
  ),
  metallb(
    'config/crd/bases/metallb.io_l2advertisements.yaml',
    'c2561949e442c8253237ef81dbfe7c4a69fd5c1bfdf30f8bc0829d74d4cd4d64',
    'metallb',
    ['L2Advertisement'],
  ),
  promOp(
    'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml',
    'a99047972c9dd7679ce2050b9968e8a08773492e671b3e17abd476d42aa78a32',
    'monitoring',
    ['ServiceMonitor'],
  ),
  promOp(
    'example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml',
    '45a93443daa687d3654f7e9631909ff7edcdf3ec09c5e60251b74aa2722aee5d',
    'monitoring',
    ['PodMonitor'],
  ),
  promOp(
    'example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml',
    '78be98554b9c8506ab2b4f4feb91c5f3a56e536a0a510f3a8e876a459970d56d',
    'monitoring',
    ['PrometheusRule'],
  ),
  promOp(
    'example/prometheus-operator-crd/monitoring.coreos.com_probes.yaml',
    'f4ead9704bd4c6303d53e4cc15670faaf0609022a5e08c0ce496286f453666b7',
    'monitoring',
    ['Probe'],
  ),
  eso(
    'config/crds/bases/external-secrets.io_externalsecrets.yaml',
    '5044be5a610ca90a075f34f03ed20b462695c43387ba9410db7f4250e47b1e2f',
    'external-secrets',
    ['ExternalSecret'],
  ),
  eso(
    'config/crds/bases/external-secrets.io_clustersecretstores.yaml',
    'f847c69ae317a76527fc37c163ddfe15d9026e14eb47dd325319e914e0433c2a',
    'external-secrets',
    ['ClusterSecretStore'],
  ),
  keda('config/crd/bases/keda.sh_scaledobjects.yaml', 'af35555862a83933b074af14ad439c4b4ceabaf4daa3e9338e9b23e36d308d80', 'keda', [
    'ScaledObject',
  ]),
  keda('config/crd/bases/keda.sh_triggerauthentications.yaml', '275307b4cb19ca8f0f506a879282aa4c67587ac16ec757f494d6585c5c185d65', 'keda', [
    'TriggerAuthentication',
  ]),
  certManager(
    'deploy/crds/cert-manager.io_certificates.yaml',
    '7ad91029c00ec959d54215b19d3b1a9b7e0247eaa60f987151c2b70d8661f8af',
    'cert-manager',
    ['Certificate'],
  ),
  certManager(
    'deploy/crds/cert-manager.io_clusterissuers.yaml',
    '30008001b78aafb8e110af61359561104b5fafc3a4dc6ac0013245d0ee3fe4ca',
    'cert-manager',
    ['ClusterIssuer'],
  ),
];

/**
 * The Kubernetes API schema (`_definitions.json`) by release, from cdk8s-team/cdk8s, where
 * `cdk8s import k8s@<release>` downloads it. That repository tags no release of these files: the
 * URL pins the commit that last changed the file. Only the releases sites run are listed (a site
 * on a release without its schema is refused); a Kubernetes upgrade adds the new one here.
 */
export const KUBERNETES_SCHEMAS: Readonly<Record<string, UpstreamFile>> = {
  '1.36': {
    url: 'https://raw.githubusercontent.com/cdk8s-team/cdk8s/d75f4ceaf07ca61d159af0800d66d18ddfbadf05/kubernetes-schemas/v1.36.0/_definitions.json',
    sha256: 'a9e98cdc6ab09980f23b5e987a5f11d0ec1fc838187efb92f347ccf38ed8fd65',
    mirrorPath: 'k8s-schemas/v1.36.0/_definitions.json',
  },
};

/**
 * The schemas GitLab's and GitHub's editors validate CI templates with, by validator name
 * (imports/ci-validators/<name>.js). Data for the tests only: synth never reads them. Each URL
 * pins a commit (SchemaStore tags no releases); a newer copy is a new commit and a new digest.
 */
export const CI_SCHEMAS: Readonly<Record<string, UpstreamFile>> = {
  // GitLab's own CI schema, app/assets/javascripts/editor/schema/ci.json of gitlab-org/gitlab (the
  // pipeline editor's), as bundled unchanged by firecow/gitlab-ci-local in src/schema.json (its
  // `fetch-schema` script copies GitLab's file) at 1e050e3b, "chore: refresh the bundled gitlab ci
  // schema (#1920)", 2026-08-17; its release 4.75.0 ships the same bytes. GitLab hosts its
  // repository outside GitHub, hence this copy.
  // Licence: MIT Expat (GitLab's LICENSE: all content outside doc/, CC BY-SA 4.0, and ee/, the
  // Enterprise licence, is MIT Expat; gitlab-ci-local itself is MIT too).
  'gitlab-ci': {
    url: 'https://raw.githubusercontent.com/firecow/gitlab-ci-local/1e050e3be7f43b8aa366d993594f649de59894f6/src/schema.json',
    sha256: '7568b544b4b95102f21e9fd89d769d54ee6f86b35d2fbb7f7b947d6fa9fc4dda',
    mirrorPath: 'ci-schemas/gitlab-ci.json',
  },
  // SchemaStore's GitHub workflow schema, src/schemas/json/github-workflow.json at 3b6446ad (the
  // file last changed 2026-06-25, "added support for github actions parallel steps (#5845)").
  // Licence: Apache-2.0 (SchemaStore's LICENSE).
  'github-workflow': {
    url: 'https://raw.githubusercontent.com/SchemaStore/schemastore/3b6446ad8a077bac56f4a4796c0b7fd88927fc8e/src/schemas/json/github-workflow.json',
    sha256: '7a952fdb7c1b130732e40ccea9db9bced906c1198e97834f8a49ae3b411f3161',
    mirrorPath: 'ci-schemas/github-workflow.json',
  },
};

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

/** The whole table, as the import reads it. */
export interface UpstreamInputs {
  readonly crds: readonly CrdInput[];
  readonly kubernetes: Readonly<Record<string, UpstreamFile>>;
  readonly ci: Readonly<Record<string, UpstreamFile>>;
  readonly local: readonly LocalSchema[];
}

export const UPSTREAM_INPUTS: UpstreamInputs = {
  crds: CRD_INPUTS,
  kubernetes: KUBERNETES_SCHEMAS,
  ci: CI_SCHEMAS,
  local: LOCAL_SCHEMAS,
};
