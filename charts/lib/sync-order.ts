/**
 * What a component declares about the order Argo CD can apply things in on an empty cluster: the
 * CustomResourceDefinitions it installs and how, the admission webhooks and aggregated APIs it
 * serves, and readiness that waits on another site or on a service outside the site. The sync-order check
 * (pipeline/validate/sync-order.ts) reads these next to the rendered Applications and objects.
 *
 * Objects of an upstream chart or manifest carry no sync wave in the releases we pin (checked with
 * `helm template` on each pinned chart): they are applied in wave 0 of their Application.
 */

/**
 * How a CRD reaches the cluster:
 * - `chart`: in the upstream chart's templates, applied by the component's Application (Argo CD
 *   applies CRDs first in a wave and waits for them to be established);
 * - `manifests`: in upstream manifests of the component's kustomization (same as `chart`);
 * - `operator`: created at run time by one of the chart's workloads once it runs; Argo CD cannot
 *   wait for it, so its custom resources must come after that workload is healthy.
 */
export type CrdSource = 'chart' | 'manifests' | 'operator';

/** CRDs of one API group a component installs. */
export interface CrdDeclaration {
  /** API group, e.g. `cert-manager.io`. */
  readonly group: string;
  /**
   * Kinds of that group.
   * @default every kind of the group
   */
  readonly kinds?: readonly string[];
  /** How the CRDs reach the cluster. */
  readonly source: CrdSource;
  /**
   * With `operator` (then required): the upstream workload that creates them (the CRD exists once it runs).
   * @default none
   */
  readonly createdBy?: string;
  /**
   * Whether the CRDs stay when the component's Application is deleted (`helm.sh/resource-policy:
   * keep`, which Argo CD treats as `Delete=false`): deleting a CRD deletes every object of its kinds.
   */
  readonly keptOnDelete: boolean;
  /** Where upstream says so: `repo@tag:path`. */
  readonly reference: string;
}

/** A validating or mutating admission webhook an upstream chart registers. */
export interface WebhookDeclaration {
  /** The webhook configuration's name. */
  readonly name: string;
  /** `Fail`: objects it matches are refused while it cannot answer; `Ignore`: they pass unchecked. */
  readonly failurePolicy: 'Fail' | 'Ignore';
  /** API group of the objects it matches. */
  readonly group: string;
  /**
   * Kinds it matches.
   * @default every kind of the group
   */
  readonly kinds?: readonly string[];
  /** Upstream workloads that must be ready for it to answer (the server, and what gives it its certificate). */
  readonly servedBy: readonly string[];
  /** Where upstream says so: `repo@tag:path`. */
  readonly reference: string;
}

/** An aggregated API (APIService) an upstream chart serves, e.g. `metrics.k8s.io`. */
export interface ApiServiceDeclaration {
  /** API group served. */
  readonly group: string;
  /** Upstream workload serving it. */
  readonly servedBy: string;
  /** Where upstream says so: `repo@tag:path`. */
  readonly reference: string;
}

/**
 * A service outside the site (and outside the other sites) whose answer a component's readiness
 * waits on: an ACME CA and the DNS server its challenges are written to, Vault. While it is
 * unreachable or refuses, the component stays Progressing or Degraded in Argo CD, and every sync
 * wave after it waits.
 */
export interface ExternalDependency {
  /** The service, e.g. `Let's Encrypt (ACME) and the RFC 2136 DNS server`. */
  readonly service: string;
  /** What waits on it, and how Argo CD sees the wait (`repo@tag:path` of the health check where it helps). */
  readonly reason: string;
  /**
   * Why the whole site must wait for it, when nothing can come up without it (the secret store):
   * the sync-order check then lets it gate later waves. Without it the component must sync in the
   * last wave, with nothing depending on it.
   * @default undefined: it must gate nothing
   */
  readonly unavoidable?: string;
}

/** The sync-order facts of one component (`component.syncOrder`). */
export class SyncOrderDeclarations {
  private readonly crdList: CrdDeclaration[] = [];
  private readonly webhookList: WebhookDeclaration[] = [];
  private readonly apiList: ApiServiceDeclaration[] = [];
  private otherSite?: string;
  private last?: string;
  private readonly externalList: ExternalDependency[] = [];
  private sealed = false;

  /** Ends the declarations (the component is built): any later one is refused. */
  seal(): void {
    this.sealed = true;
  }

  private assertOpen(): void {
    if (this.sealed) throw new Error('sync-order declarations after every component was built; views only read declarations');
  }

  /** Declares CRDs the component installs, and how (a component states its own in its props: `installsCrds`). */
  installsCrds(...crds: CrdDeclaration[]): void {
    this.assertOpen();
    for (const crd of crds) {
      if (crd.source === 'operator' && !crd.createdBy)
        throw new Error(`CRDs of ${crd.group} created by an operator must name it (createdBy)`);
      this.crdList.push(crd);
    }
  }

  /** Declares an admission webhook the component's chart registers. */
  servesWebhook(webhook: WebhookDeclaration): void {
    this.assertOpen();
    this.webhookList.push(webhook);
  }

  /** Declares an aggregated API the component serves. */
  servesApi(api: ApiServiceDeclaration): void {
    this.assertOpen();
    this.apiList.push(api);
  }

  /**
   * Declares that the component's readiness may wait on another site for as long as that site is
   * unreachable (a standby initialising from its primary). A site must come up on its own, so
   * nothing may wait for it: its Application syncs in the last wave and nothing depends on it.
   */
  readinessDependsOnOtherSite(reason: string): void {
    if (!reason) throw new Error('readinessDependsOnOtherSite needs the reason');
    this.assertOpen();
    this.otherSite = reason;
  }

  /**
   * Declares that nothing needs the component to start (it only acts on what the others run):
   * its Application syncs in the last wave, whose health Argo CD does not wait for, and nothing
   * may depend on it, so that it failing to come up stops nothing else.
   */
  syncsLast(reason: string): void {
    if (!reason) throw new Error('syncsLast needs the reason');
    this.assertOpen();
    this.last = reason;
  }

  /**
   * Declares that the component's readiness waits on a service outside the site (`unavoidable`
   * says why everything may wait for it). Unless unavoidable, its Application syncs in the last
   * wave and nothing may depend on it, so that service being down or refusing stops nothing else.
   */
  readinessDependsOnExternal(dependency: ExternalDependency): void {
    if (!dependency.service || !dependency.reason) throw new Error('readinessDependsOnExternal needs the service and the reason');
    if (dependency.unavoidable === '') throw new Error(`readinessDependsOnExternal(${dependency.service}): unavoidable needs its reason`);
    this.assertOpen();
    this.externalList.push(dependency);
  }

  get crds(): readonly CrdDeclaration[] {
    return this.crdList;
  }

  get webhooks(): readonly WebhookDeclaration[] {
    return this.webhookList;
  }

  get apis(): readonly ApiServiceDeclaration[] {
    return this.apiList;
  }

  /** Why the component's readiness may wait on another site, if it may. */
  get waitsOnOtherSite(): string | undefined {
    return this.otherSite;
  }

  /** Why the component syncs last, if it does (`syncsLast`). */
  get syncsLastReason(): string | undefined {
    return this.last;
  }

  /** The services outside the site the component's readiness waits on. */
  get externalDependencies(): readonly ExternalDependency[] {
    return this.externalList;
  }
}

/** Why a component must gate nothing: what its readiness waits on, and when its Application would then hold the others back. */
export interface GatesNothingReason {
  /** What it waits on, or why nothing needs it. */
  readonly why: string;
  /** When its Application, waited for, would hold back the rest of its parent's sync. */
  readonly during: string;
}

/**
 * What the sync waves and the check read of a component's declarations: why it must gate nothing,
 * if it must (its readiness waits on another site or on a service outside the site, or it
 * declared `syncsLast`).
 */
export function whyGatesNothing(syncOrder: {
  readonly waitsOnOtherSite?: string;
  readonly syncsLast?: string;
  readonly externalDependencies?: readonly ExternalDependency[];
}): GatesNothingReason | undefined {
  if (syncOrder.waitsOnOtherSite !== undefined) return { why: syncOrder.waitsOnOtherSite, during: 'while that site is unreachable' };
  const external = avoidableExternals(syncOrder)[0];
  if (external)
    return {
      why: `its readiness waits on ${external.service}: ${external.reason}`,
      during: 'while that service is unreachable or refuses',
    };
  if (syncOrder.syncsLast !== undefined)
    return { why: `nothing needs it to start (${syncOrder.syncsLast})`, during: 'while it is not healthy' };
  return undefined;
}

/** The external dependencies that must gate nothing (every one not declared unavoidable). */
export function avoidableExternals(syncOrder: {
  readonly externalDependencies?: readonly ExternalDependency[];
}): readonly ExternalDependency[] {
  return (syncOrder.externalDependencies ?? []).filter((d) => d.unavoidable === undefined);
}

/** Whether a declaration that names `kinds` (or none: the whole group) covers `group`/`kind`. */
export function covers(declared: { readonly group: string; readonly kinds?: readonly string[] }, group: string, kind: string): boolean {
  return declared.group === group && (declared.kinds === undefined || declared.kinds.includes(kind));
}

/** The Argo CD annotations the check and the apps component read and write. */
export const ARGO_ANNOTATIONS = {
  wave: 'argocd.argoproj.io/sync-wave',
  hook: 'argocd.argoproj.io/hook',
  syncOptions: 'argocd.argoproj.io/sync-options',
} as const;

/** The finalizers that make deleting an Application delete its resources (foreground and background). */
export const CASCADE_FINALIZERS = ['resources-finalizer.argocd.argoproj.io', 'resources-finalizer.argocd.argoproj.io/background'];
