/**
 * The upstream releases the platform installs (Helm charts, released manifests), each described
 * once in a typed table next to its chart (`charts/<piece>/release.ts`): where it comes from, the
 * exact version, and the Kubernetes releases its project says it runs on, with the source of that
 * statement. Components install a release with `useHelmChart` or `useUpstreamManifests`, so
 * every release a site runs is known to the compatibility check
 * (pipeline/validate/compatibility.ts). The same table lists the workloads the release runs and
 * the resources we give them, from which one helper (lib/released-workloads.ts) produces both the
 * Helm values and the capacity declarations. The tables depend on nothing but these types, so
 * `npm run import` reads the same release tags (tools/upstream-inputs.ts): a version is typed once.
 */

/** A Kubernetes minor release, `1.36`. */
export type KubernetesMinor = `1.${number}`;

/**
 * What a project says about the Kubernetes releases one of its releases runs on:
 *   - `tested`: its CI runs this release on them (the strongest statement);
 *   - `supported`: it fixes bugs reported on them, without always testing them;
 *   - `prerequisite`: a lower bound only ("Kubernetes v1.21+").
 */
export type RangeBasis = 'tested' | 'supported' | 'prerequisite';

/** The Kubernetes releases an upstream release runs on, as its project states them. */
export interface KubernetesRange {
  /** Oldest Kubernetes minor release. */
  readonly oldest: KubernetesMinor;
  /** Newest one; absent when the project states no upper bound. */
  readonly newest?: KubernetesMinor;
  /** How strong the statement is. */
  readonly basis: RangeBasis;
  /** Where the project says so: `owner/repo@ref:path`. */
  readonly source: string;
}

/** Files of a GitHub repository at a tag (or a commit where upstream tags none). */
export interface GitHubRef {
  /** `owner/name`. */
  readonly repo: string;
  /** Tag or commit. */
  readonly ref: string;
}

/** `owner/repo@ref:path`, how comments and findings cite an upstream file. */
export function cite(at: GitHubRef, path: string): string {
  return `${at.repo}@${at.ref}:${path}`;
}

/** The URL GitHub serves a file of `at` from. */
export function rawUrl(at: GitHubRef, path: string): string {
  return `https://raw.githubusercontent.com/${at.repo}/${at.ref}/${path}`;
}

/** One container of a workload a release runs, with the resources it gets. */
export interface ReleasedContainer {
  /**
   * The container's name, where a patch of released manifests names it (Argo CD).
   * @default none
   */
  readonly name?: string;
  /**
   * Dotted path of the key in the chart's values.yaml holding this container's `resources`
   * (`webhook.resources`), checked with `helm template` on the pinned chart.
   * @default none: we set no resources, and the figures below are the chart's own defaults
   */
  readonly values?: string;
  /** CPU request, millicores. */
  readonly cpuMillis: number;
  /** Memory request, MiB. */
  readonly memoryMiB: number;
  /**
   * Memory limit, MiB (required where we set the resources: memory is not compressible).
   * @default none
   */
  readonly memoryLimitMiB?: number;
  /**
   * CPU limit, millicores (Guaranteed QoS pods).
   * @default none
   */
  readonly cpuLimitMillis?: number;
  /**
   * 2 MiB hugepages, MiB, requested and limited alike (Mayastor's `hugepages2Mi`).
   * @default none
   */
  readonly hugepagesMiB?: number;
}

/** A workload (Deployment, StatefulSet, DaemonSet, or a hook Job) a release runs. */
export interface ReleasedWorkload {
  /** Its name as the release renders it under our release name. */
  readonly name: string;
  /**
   * Its kind, where a patch of released manifests targets it (Argo CD).
   * @default 'Deployment'
   */
  readonly kind?: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  /** Pods: a count, or one per node (a DaemonSet). */
  readonly replicas: number | 'perNode';
  /**
   * Dotted path of the chart value setting the replica count.
   * @default none: the chart's default, which `replicas` states
   */
  readonly replicasValue?: string;
  /**
   * Required anti-affinity (a value the component sets): at most one pod per node, so a site
   * with fewer nodes runs fewer.
   * @default false
   */
  readonly onePerNode?: boolean;
  /**
   * The pods are spread over nodes (at most one more on any node), as for our own workloads.
   * @default false
   */
  readonly spread?: boolean;
  /**
   * A hook Job (runs to completion): its resources are set, the capacity check does not count it.
   * @default false
   */
  readonly job?: boolean;
  /**
   * Labels of its pods, so that Services and policies we render for them are known to select something.
   * @default none
   */
  readonly podLabels?: Readonly<Record<string, string>>;
  /**
   * The Service the release puts in front of the pods, so routes to it can be checked.
   * @default none
   */
  readonly service?: { readonly name: string; readonly ports: readonly number[] };
  /** Its containers, whose requests add up to the pod's. */
  readonly containers: readonly ReleasedContainer[];
}

/** Kinds by API group (`''` is the core group): `{ '': ['Service'], apps: ['Deployment'] }`. */
export type KindsByGroup = Readonly<Record<string, readonly string[]>>;

/** A Secret a release writes for itself (a webhook's certificate, a generated key), allowed by the secret checks. */
export interface ReleaseOwnSecret {
  /** The Secret's name as the release renders it under our release name. */
  readonly name: string;
  /** What it holds and why it cannot come from Vault. */
  readonly reason: string;
}

/**
 * Every kind the release's objects are, as Argo CD applies them (`helm template` of the pinned
 * chart with our values, hooks and CRDs included; or the released manifests), split by scope: the
 * site's AppProject allows these and the kinds we render, nothing else (charts/argocd/apps.ts).
 * Written by hand from that output, so a chart upgrade that adds a kind fails its sync until the
 * table says so and the diff shows the new permission.
 */
export interface ReleasedKinds {
  /** Cluster-scoped kinds (the project's `clusterResourceWhitelist`). */
  readonly cluster: KindsByGroup;
  /** Namespaced kinds (the project's `namespaceResourceWhitelist`). */
  readonly namespaced: KindsByGroup;
  /**
   * Secrets the release renders or writes for itself.
   * @default none
   */
  readonly ownSecrets?: readonly ReleaseOwnSecret[];
  /** How the list was read: the command or file, at the pinned version. */
  readonly source: string;
}

interface ReleaseFields {
  /** Short name, the prefix of the pin in findings and acceptances (`contour` in `contour@0.7.0`). */
  readonly name: string;
  /** The project, for people: `Contour`. */
  readonly project: string;
  /** The project's release: its repository at the release tag (CRDs and docs are read there). */
  readonly release: GitHubRef;
  /** The Kubernetes releases the project states this release runs on. */
  readonly kubernetes: KubernetesRange;
  /** The workloads it runs and the resources we give them (lib/released-workloads.ts). */
  readonly workloads: readonly ReleasedWorkload[];
  /** The kinds it creates, for least-privilege AppProjects. */
  readonly creates: ReleasedKinds;
}

/** A release installed from its Helm chart by the component's Argo CD Application. */
export interface UpstreamChart extends ReleaseFields {
  /** The chart Argo CD installs the release with. */
  readonly chart: {
    /** Helm repository URL. */
    readonly repoURL: string;
    /** Chart name in that repository. */
    readonly name: string;
    /** Exact chart version (never a range: the render must say what runs). */
    readonly version: string;
    /** Where the chart's templates are: repository, tag and directory. */
    readonly source: GitHubRef & { readonly path: string };
  };
}

/** A release installed from manifests the project publishes (applied through kustomize). */
export interface UpstreamManifests extends ReleaseFields {
  /** Paths of the manifests in `release`, listed as kustomize remote resources at that tag. */
  readonly manifests: readonly string[];
}

export type UpstreamRelease = UpstreamChart | UpstreamManifests;

function isChart(release: UpstreamRelease): release is UpstreamChart {
  return 'chart' in release;
}

/** The version a release is pinned by: the chart's, or the release tag for manifests. */
export function pinnedVersion(release: UpstreamRelease): string {
  return isChart(release) ? release.chart.version : release.release.ref;
}

/** How findings, acceptances and the README name a pin: `contour@0.7.0`. */
export function pinOf(release: UpstreamRelease): string {
  return `${release.name}@${pinnedVersion(release)}`;
}

/** `contour@0.7.0 (Contour v1.33.6)`. */
export function describePin(release: UpstreamRelease): string {
  return `${pinOf(release)} (${release.project} ${release.release.ref})`;
}

/** A cited file of the chart's templates: `owner/repo@tag:<chart dir>/<path>`. */
export function chartFile(release: UpstreamChart, path: string): string {
  const { source } = release.chart;
  return cite(source, `${source.path}/${path}`);
}

/** The minor number of `1.N`; undefined when `version` is not of that form. */
export function kubernetesMinor(version: string): number | undefined {
  const match = /^1\.(\d{1,3})$/.exec(version);
  return match ? Number(match[1]) : undefined;
}

/** Whether Kubernetes `version` (`1.N`) lies in `range`. */
export function inRange(range: KubernetesRange, version: string): boolean {
  const minor = kubernetesMinor(version);
  if (minor === undefined) return false;
  const newest = range.newest === undefined ? Infinity : kubernetesMinor(range.newest)!;
  return minor >= kubernetesMinor(range.oldest)! && minor <= newest;
}

/** `1.33 to 1.36`, `1.36 only`, `1.31 and newer`. */
export function describeRange(range: KubernetesRange): string {
  if (range.newest === undefined) return `${range.oldest} and newer`;
  return range.newest === range.oldest ? `${range.oldest} only` : `${range.oldest} to ${range.newest}`;
}

/** One line of what the project states: `tested on Kubernetes 1.32 to 1.34 (source)`. */
export function describeSupport(release: UpstreamRelease): string {
  const { kubernetes } = release;
  const verb = { tested: 'tested on', supported: 'supported on', prerequisite: 'requires' }[kubernetes.basis];
  return `${verb} Kubernetes ${describeRange(kubernetes)} (${kubernetes.source})`;
}
