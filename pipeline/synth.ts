/**
 * The synth pipeline as one function the CLI, the tests and the bench call: validate the sites,
 * render, validate the rendered objects (pipeline/validate), serialize, then either compare with gitops/ (--check) or write it atomically.
 */
import * as path from 'node:path';
import { globalFiles } from '../charts/platform';
import type { StackOutputs } from '../charts/lib/object-store';
import type { PlatformModel } from '../sites';
import { PlatformError } from './errors';
import type { FileTree } from './files';
import { renderSite, type RenderedSite } from './render';
import { checkCrossSite, crossSiteSummary } from './validate';
import { processSite } from './site-pipeline';
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
}

/** What renderTree gives back. */
export interface RenderedTree {
  /** Files, path relative to gitops/ -> content. */
  readonly tree: FileTree;
  readonly sites: number;
  readonly components: number;
  readonly objects: number;
  /** The rendered sites (constructs included), only with `keepRendered`. */
  readonly rendered: readonly RenderedSite[];
}

/**
 * Renders the selected sites into a tree of files (relative to gitops/), without touching disk,
 * after validating the model, and validates what was rendered (per site, then across sites).
 */
export function renderTree(model: PlatformModel, options: RenderOptions & { keepRendered?: boolean } = {}): RenderedTree {
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
  const siteOptions = { stackOutputs, validate: options.validate };
  const rendered: RenderedSite[] = [];
  // One site at a time, keeping only its files and findings: memory stays flat as sites are added
  // (measured: 200 sites in one thread fit the targets; worker threads gained 12% for 70% more memory).
  const outputs = selected.map((site, i) => {
    const out = processSite(site, model, siteOptions, options.keepRendered ? (r) => rendered.push(r) : undefined);
    onSite?.(i + 1, selected.length, site.name);
    return out;
  });

  const tree: FileTree = new Map();
  for (const out of outputs) for (const [p, content] of out.files) tree.set(p, content);
  if (selected.length === sites.length) for (const [p, content] of globalFiles(model)) tree.set(p, content);
  if (options.validate !== false) {
    // Cross-site invariants need every site: the ones not selected are rendered for the check only.
    const summaries = sites.map(
      (s) => outputs.find((o) => o.site === s.name)?.summary ?? crossSiteSummary(renderSite(s, model, stackOutputs)),
    );
    const findings = [...outputs.flatMap((o) => o.findings), ...checkCrossSite(summaries)];
    if (findings.length > 0) throw new PlatformError(findings);
  }
  return {
    tree,
    sites: outputs.length,
    components: outputs.reduce((n, o) => n + o.components, 0),
    objects: outputs.reduce((n, o) => n + o.objects, 0),
    rendered,
  };
}

/** True when a path belongs to what this run renders (the selected sites, or everything). */
function ownedBy(only: readonly string[] | undefined): (p: string) => boolean {
  if (!only || only.length === 0) return () => true;
  return (p) => only.includes(p.split('/')[0] ?? '');
}

export function synth(options: SynthOptions & RenderOptions): SynthResult {
  const rendered = renderTree(options.model, options);
  const { tree } = rendered;
  const gitops = path.join(options.root, 'gitops');
  const owned = ownedBy(options.only);
  const current = readTree(gitops);
  const next: FileTree = new Map([...current].filter(([p]) => !owned(p)));
  for (const [p, content] of tree) next.set(p, content);
  const diff = diffTrees(current, next);
  if (!options.check && diffSize(diff) > 0) writeTree(options.root, new Map([...next].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return { sites: rendered.sites, components: rendered.components, objects: rendered.objects, diff };
}
