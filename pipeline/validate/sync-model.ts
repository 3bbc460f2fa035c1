/**
 * A model of what Argo CD does with one site's rendered tree on an empty cluster, for the
 * sync-order check. Read from the rendered Applications and objects and the components'
 * `syncOrder` declarations, after Argo CD v3.5.1's gitops-engine
 * (argoproj/argo-cd@v3.5.1:gitops-engine/pkg/sync/sync_context.go):
 *
 * - `kubectl apply -k gitops/<site>/bootstrap` comes first: Argo CD, its CRDs and the root.
 * - An Application's sync runs its phases (PreSync hooks, Sync, PostSync hooks) and, in each, its
 *   waves in order; between two steps it waits until every object of the earlier step is healthy
 *   (a Degraded one fails the sync). The last step is not waited for.
 * - A child Application is an object of its parent's sync: with the Application health check
 *   restored in argocd-cm, the parent waits for the child's health, which is the worst of the
 *   child's own objects. The model counts a child healthy once all its steps are (Argo CD counts
 *   only the objects that exist, so a child can look healthy for a moment between its own waves).
 * - Objects of an upstream chart or manifest are applied in wave 0 of their Application; within a
 *   step, CRDs go before custom resources and are waited for until established.
 */
import { APPS_DIRECTORY, BOOTSTRAP_DIRECTORY } from '../../charts/argocd/constants';
import { ARGO_ANNOTATIONS } from '../../charts/lib/sync-order';
import type { KubeObject, RenderedComponent, RenderedSite } from '../render';
import { list, record } from './context';

/** Sync phases in the order Argo CD runs them. */
const PHASES = ['PreSync', 'Sync', 'PostSync'] as const;

/** A step of one Application's sync: a phase and a wave in it. */
export interface Step {
  readonly phase: number;
  readonly wave: number;
}

/** Where chart objects, CRDs and webhook servers are applied in their Application. */
export const CHART_STEP: Step = { phase: 1, wave: 0 };

/** -1, 0 or 1 as `a` comes before, with or after `b`. */
export function compareSteps(a: Step, b: Step): number {
  return a.phase !== b.phase ? Math.sign(a.phase - b.phase) : Math.sign(a.wave - b.wave);
}

export function describeStep(step: Step): string {
  return step.phase === 1 ? `wave ${step.wave}` : `${PHASES[step.phase]} hook wave ${step.wave}`;
}

function annotation(object: KubeObject, key: string): string | undefined {
  const v = record(object.metadata.annotations)[key];
  return typeof v === 'string' ? v : undefined;
}

/** Whether an object's or an Application's sync options (annotation) include `option`. */
export function hasSyncOption(object: KubeObject, option: string): boolean {
  return (annotation(object, ARGO_ANNOTATIONS.syncOptions) ?? '').split(',').some((o) => o.trim() === option);
}

/** The step an object is applied in, or undefined for hooks Argo CD never runs on a sync. */
export function stepOf(object: KubeObject): Step | undefined {
  const hook = annotation(object, ARGO_ANNOTATIONS.hook);
  const phase = hook === undefined ? 1 : PHASES.indexOf(hook.split(',')[0]!.trim() as (typeof PHASES)[number]);
  if (phase < 0) return undefined;
  const wave = Number(annotation(object, ARGO_ANNOTATIONS.wave) ?? '0');
  return { phase, wave: Number.isInteger(wave) ? wave : 0 };
}

/** An Argo CD Application of the site. */
export interface AppNode {
  readonly name: string;
  /** Its Application object (as its managing directory renders it, else as the bootstrap does). */
  object: KubeObject;
  /** The component directory it syncs. */
  readonly component?: RenderedComponent;
  /** Applications whose directories hold its object (the root holds its own). */
  readonly managers: AppNode[];
  /** Where its first manager's sync applies it. */
  step: Step;
}

/** Where something is applied: before Argo CD (bootstrap), or in a step of an Application's sync. */
export type Place = { readonly bootstrap: true } | AppPlace;

/** A step of an Application's sync. */
export interface AppPlace {
  readonly app: AppNode;
  readonly step: Step;
}

/** An object Argo CD applies, with its component and place. */
export interface Placed {
  readonly object: KubeObject;
  /** The object's API group (`''` for the core group). */
  readonly group: string;
  readonly component: RenderedComponent;
  readonly place: AppPlace;
}

export interface SyncModel {
  readonly site: RenderedSite;
  readonly apps: readonly AppNode[];
  /** The Application syncing gitops/<site>/apps. */
  readonly root?: AppNode;
  /** Objects applied by kubectl before Argo CD runs. */
  readonly bootstrap?: RenderedComponent;
  readonly placed: readonly Placed[];
  /** The Application syncing a component's directory. */
  appOf(component: RenderedComponent): AppNode | undefined;
  /** Where a component's chart objects (CRDs, webhooks, API servers) are applied. */
  chartPlace(component: RenderedComponent): Place | undefined;
  /** The last step of an Application's sync (not waited for). */
  lastStep(app: AppNode): Step;
}

function sourcePaths(app: KubeObject): string[] {
  const spec = record(app.spec);
  return [record(spec.source), ...list(spec.sources)].flatMap((s) => (typeof s.path === 'string' ? [s.path] : []));
}

export function buildSyncModel(site: RenderedSite): SyncModel {
  const byDirectory = new Map(site.components.map((c) => [`gitops/${site.site.name}/${c.name}`, c]));
  const apps = new Map<string, AppNode>();
  const holders: [AppNode, RenderedComponent, KubeObject][] = [];
  for (const holder of site.components) {
    for (const object of holder.objects) {
      if (object.kind !== 'Application' || !String(object.apiVersion).startsWith('argoproj.io/')) continue;
      const target = sourcePaths(object)
        .map((p) => byDirectory.get(p))
        .find((c) => c !== undefined);
      const node = apps.get(object.metadata.name) ?? {
        name: object.metadata.name,
        object,
        component: target,
        managers: [],
        step: stepOf(object) ?? CHART_STEP,
      };
      apps.set(node.name, node);
      holders.push([node, holder, object]);
    }
  }
  const synced = new Map<RenderedComponent, AppNode>();
  for (const a of apps.values()) if (a.component && !synced.has(a.component)) synced.set(a.component, a);
  const appOf = (component: RenderedComponent): AppNode | undefined => synced.get(component);
  for (const [node, holder, object] of holders) {
    const manager = appOf(holder);
    if (!manager || node.managers.includes(manager)) continue;
    // The first manager is the one the model follows up to the root: itself for a self-managed
    // root, else the first directory holding the Application.
    const primary = manager === node || node.managers.length === 0;
    if (primary) {
      node.object = object;
      node.step = stepOf(object) ?? CHART_STEP;
    }
    if (manager === node) node.managers.unshift(manager);
    else node.managers.push(manager);
  }
  const placed: Placed[] = site.components.flatMap((component) => {
    const app = appOf(component);
    if (!app) return [];
    return component.objects.flatMap((object) => {
      const step = stepOf(object);
      const apiVersion = String(object.apiVersion);
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
      return step ? [{ object, group, component, place: { app, step } }] : [];
    });
  });
  const lastSteps = new Map<AppNode, Step>();
  for (const { place } of placed) {
    const known = lastSteps.get(place.app) ?? CHART_STEP;
    lastSteps.set(place.app, compareSteps(place.step, known) > 0 ? place.step : known);
  }
  const bootstrap = site.components.find((c) => c.name === BOOTSTRAP_DIRECTORY);
  const root = [...apps.values()].find((a) => a.component?.name === APPS_DIRECTORY);
  return {
    site,
    apps: [...apps.values()],
    root,
    bootstrap,
    placed,
    appOf,
    chartPlace: (component) => {
      if (component === bootstrap) return { bootstrap: true };
      const app = appOf(component);
      return app ? { app, step: CHART_STEP } : undefined;
    },
    lastStep: (app) => lastSteps.get(app) ?? CHART_STEP,
  };
}

/** The Applications from `app` up to the root, following first managers. */
function chain(app: AppNode): AppNode[] {
  const out = [app];
  for (let a = app.managers[0]; a && !out.includes(a); a = a.managers[0]) out.push(a);
  return out;
}

/**
 * Whether whatever is applied at `before` is applied and healthy before Argo CD applies what is
 * at `after`: `before` is in an earlier step of the same sync, or in an earlier step of the
 * closest Application whose sync covers both (through the health of the child holding it).
 */
export function healthyBefore(before: Place, after: Place): boolean {
  if ('bootstrap' in before) return true;
  if ('bootstrap' in after) return false;
  const upFromAfter = chain(after.app);
  const upFromBefore = chain(before.app);
  const common = upFromAfter.find((a) => upFromBefore.includes(a));
  if (!common) return false;
  const stepIn = (path: AppNode[], place: AppPlace): Step => {
    if (place.app === common) return place.step;
    return path[path.indexOf(common) - 1]!.step;
  };
  return compareSteps(stepIn(upFromBefore, before), stepIn(upFromAfter, after)) < 0;
}

/** `wave 2 of Application bus (wave 2 of root)`, for findings. */
export function describePlace(place: Place): string {
  if ('bootstrap' in place) return `the bootstrap (kubectl apply before Argo CD)`;
  const app = place.app;
  const manager = app.managers[0];
  const parent = manager && manager !== app ? ` (itself ${describeStep(app.step)} of ${manager.name})` : '';
  return `${describeStep(place.step)} of Application ${app.name}${parent}`;
}
