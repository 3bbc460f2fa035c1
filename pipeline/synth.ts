/**
 * The synth pipeline as one function the CLI, the tests and the bench call: validate the sites,
 * render, validate the rendered objects (pipeline/validate), serialize, then either compare with gitops/ (--check) or write it atomically.
 */
import * as path from 'node:path';
import { globalFiles } from '../charts/platform';
import type { StackOutputs } from '../charts/lib/object-store';
import type { PlatformModel } from '../sites';
import { PlatformError } from './errors';
import { siteFiles, type FileTree } from './files';
import { renderSite, type RenderedSite } from './render';
import { assertValid } from './validate';
import { validateEdge } from './validate-ingress';
import { validateSites } from './validate-sites';
import { diffSize, diffTrees, readTree, writeTree, type TreeDiff } from './writer';

export interface SynthOptions {
  /** Repository root (gitops/ and the staging directory live here). */
  readonly root: string;
  /** The model: every registered site and the edge. */
  readonly model: PlatformModel;
  /** Compare with gitops/ instead of writing. */
  readonly check?: boolean;
}

/** What to render and how to report it. */
export interface RenderOptions {
  /** Render only these sites; the others' files are left as they are. */
  readonly only?: readonly string[];
  /** Called after each site is rendered (progress). */
  readonly onSite?: (done: number, total: number, site: string) => void;
  /** CloudFormation outputs fetched beforehand (pipeline/aws-outputs.ts) for sites whose store is `aws`. */
  readonly stackOutputs?: StackOutputs;
  /** Run schema, policy, capacity and cross-site validation (default true; the bench measures both). */
  readonly validate?: boolean;
}

export interface SynthResult {
  readonly sites: number;
  readonly components: number;
  readonly objects: number;
  readonly diff: TreeDiff;
  /** The rendered sites, for views that read declarations. */
  readonly rendered: readonly RenderedSite[];
}

/** Renders the selected sites into a tree of files (relative to gitops/), without touching disk. */
export function renderTree(model: PlatformModel, options: RenderOptions = {}): { tree: FileTree; rendered: RenderedSite[] } {
  const { sites } = model;
  const { only, onSite, stackOutputs } = options;
  validateSites(sites);
  validateEdge(model.edge, sites);
  const unknown = (only ?? []).filter((name) => !sites.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new PlatformError(
      unknown.map((name) => ({ site: name, message: `no such site; known sites: ${sites.map((s) => s.name).join(', ')}` })),
    );
  }
  const selected = only && only.length > 0 ? sites.filter((s) => only.includes(s.name)) : sites;
  const tree: FileTree = new Map();
  const rendered: RenderedSite[] = [];
  selected.forEach((site, i) => {
    const result = renderSite(site, model, stackOutputs);
    rendered.push(result);
    for (const [p, content] of siteFiles(result)) tree.set(p, content);
    onSite?.(i + 1, selected.length, site.name);
  });
  if (selected.length === sites.length) for (const [p, content] of globalFiles(model)) tree.set(p, content);
  if (options.validate !== false) {
    // Cross-site invariants need every site: the ones not selected are rendered for the check only.
    const all = sites.map((s) => rendered.find((r) => r.site === s) ?? renderSite(s, model, stackOutputs));
    assertValid(rendered, all);
  }
  return { tree, rendered };
}

/** True when a path belongs to what this run renders (the selected sites, or everything). */
function ownedBy(only: readonly string[] | undefined): (p: string) => boolean {
  if (!only || only.length === 0) return () => true;
  return (p) => only.includes(p.split('/')[0] ?? '');
}

export function synth(options: SynthOptions & RenderOptions): SynthResult {
  const { tree, rendered } = renderTree(options.model, options);
  const gitops = path.join(options.root, 'gitops');
  const owned = ownedBy(options.only);
  const current = readTree(gitops);
  const next: FileTree = new Map([...current].filter(([p]) => !owned(p)));
  for (const [p, content] of tree) next.set(p, content);
  const diff = diffTrees(current, next);
  if (!options.check && diffSize(diff) > 0) writeTree(options.root, new Map([...next].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return {
    sites: rendered.length,
    components: rendered.reduce((n, s) => n + s.components.length, 0),
    objects: rendered.reduce((n, s) => n + s.components.reduce((m, c) => m + c.objects.length, 0), 0),
    diff,
    rendered,
  };
}
