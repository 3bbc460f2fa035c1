/**
 * Rendering: the model in, objects out. Pure: it reads no file and writes none. One cdk8s App per
 * site (one App holding every site makes cdk8s quadratic in the number of charts). The only step
 * that builds constructs: what it returns is plain data, which the later steps read.
 */
import { ApiObject, App, Chart, DependencyGraph } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { buildPlatform, globalFiles, type PieceName, type PlatformExtension } from '../charts/platform';
import { siteContext } from '../charts/context';
import type { DeclaredComponent } from '../charts/lib/declared';
import type { StackOutputs } from '../charts/lib/object-store';
import type { PlatformModel, Site } from '../sites';
import { isClusterScoped } from '../model/cluster-scoped';
import { withPlainJson } from './plain-json';

/** A rendered Kubernetes object as plain JSON. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** One component's rendered output: what it declared (plain data) and the objects it rendered. */
export interface RenderedComponent extends DeclaredComponent {
  /** Objects, in the order the chart created them. */
  readonly objects: readonly KubeObject[];
  /** Indexes into `objects` of kustomize patches (merged into upstream objects). */
  readonly patchIndexes: ReadonlySet<number>;
}

/** Adds components to a site's render (re-exported: only this step imports the registry). */
export type { PlatformExtension };

/** How to render a site. */
export interface SiteRenderOptions {
  /**
   * CloudFormation outputs fetched beforehand (pipeline/aws-outputs.ts) for sites whose store is `aws`.
   * @default none
   */
  readonly stackOutputs?: StackOutputs;
  /**
   * Components added to the site's platform next to the registry's (tests render extra components through it).
   * @default none
   */
  readonly extend?: PlatformExtension;
  /**
   * The order the registry builds the pieces in; the render is the same whatever it is.
   * @default the registry's order (PIECES)
   */
  readonly order?: readonly PieceName[];
}

/** One site's rendered output. */
export interface RenderedSite {
  readonly site: Site;
  readonly components: readonly RenderedComponent[];
}

function withoutClusterNamespace(object: KubeObject): KubeObject {
  if (!isClusterScoped(object.kind) || object.metadata.namespace === undefined) return object;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { namespace, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/**
 * A chart's objects as its `toJson` gives them, once the App's dependencies are resolved. cdk8s's
 * `Chart.toJson` (App._synthChart) first resolves and validates the dependencies of the whole App,
 * then takes the chart's objects in the order of its dependency graph; a site's App holds all its
 * charts, so doing the first step for each chart walked the whole site once per chart (about a
 * sixth of the render). The first chart whose `toJson` succeeds resolves them for all; the others
 * are taken here as `toJson` takes them (test/render.test.ts: the same objects, in the same order).
 */
function objectsOf(chart: Chart, appResolved: boolean): unknown[] {
  if (!appResolved) return chart.toJson() as unknown[];
  const all = chart.node.findAll();
  // The graph's order is that of findAll when no construct of the chart depends on another of it
  // (a dependency outside the chart makes no edge): most charts, whose graph costs more to build
  // (a vertex keyed by path for each construct) than their objects' order is worth.
  const ordered = all.every((c) => c.node.dependencies.every((d) => !within(d, chart)));
  return (ordered ? all : new DependencyGraph(chart.node).topology())
    .filter((x): x is ApiObject => x instanceof ApiObject && Chart.of(x) === chart)
    .map((o) => o.toJson() as unknown);
}

/** Whether `c` is `root` or below it. */
function within(c: IConstruct, root: IConstruct): boolean {
  for (let s: IConstruct | undefined = c; s; s = s.node.scope) if (s === root) return true;
  return false;
}

/**
 * Renders one site of the model (the other sites are read for cross-site facts). Whatever the
 * components report or throw while they are built or serialized fails the render with every
 * finding (charts/lib/findings.ts).
 */
export function renderSite(site: Site, model: PlatformModel, options: SiteRenderOptions = {}): RenderedSite {
  return withPlainJson(() => renderSiteApp(site, model, options));
}

function renderSiteApp(site: Site, model: PlatformModel, options: SiteRenderOptions): RenderedSite {
  const app = new App({ outdir: 'dist/cdk8s' });
  const context = siteContext(site, model, options.stackOutputs);
  const { components: built } = buildPlatform(app, context, { extend: options.extend, order: options.order });
  let appResolved = false;
  const components = built.map(({ chart, declared }) => {
    const objects = context.findings.attribute(
      chart.componentName,
      () => {
        const json = objectsOf(chart, appResolved) as KubeObject[];
        appResolved = true;
        return json.map(withoutClusterNamespace);
      },
      'rendering failed: ',
    );
    const patchIndexes = new Set<number>();
    objects.forEach((o, i) => {
      if (chart.isKustomizePatch(o.kind, o.metadata.name, o.metadata.namespace)) patchIndexes.add(i);
    });
    return { ...declared, objects, patchIndexes };
  });
  context.findings.throwIfAny();
  return { site, components };
}

/** Files rendered once for all sites (the edge proxy, gitops/README.md), paths relative to gitops/. */
export function renderGlobalFiles(model: PlatformModel): Map<string, string> {
  return globalFiles(model);
}
