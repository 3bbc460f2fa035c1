/**
 * The synth pipeline as one function the CLI, the tests and the bench call: validate the sites,
 * render, validate the rendered objects (pipeline/validate), serialize, then either compare with gitops/ (--check) or write it atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StackOutputs } from '../charts/lib/object-store';
import type { PlatformModel } from '../sites';
import { PlatformError } from '../model/errors';
import type { FileBodies, FileTree } from './files';
import { renderGlobalFiles, type PlatformExtension, type RenderedSite } from './render';
import { checkCrossSite, type SchemaCache } from './validate';
import { processSite } from './site-pipeline';
import { reportFiles, type SiteFailureFacts } from './report';
import { validateEdge } from './validate-ingress';
import { validateSites } from './validate-sites';
import { diffSize, diffTrees, readTree, writeTree, type TreeDiff } from './writer';
import type { WriterHooks } from './writer-lock';
import { STAGING_DIR } from './writer-staging';

export interface SynthOptions {
  /** Repository root (gitops/ and the staging directory live here). */
  readonly root: string;
  /** The model: every registered site and the edge. */
  readonly model: PlatformModel;
  /** Compare with gitops/ instead of writing. */
  readonly check?: boolean;
  /**
   * Callbacks at the points where the write can be interrupted (tests).
   * @default none
   */
  readonly writer?: WriterHooks;
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
  /**
   * Components added to every site's platform next to the registry's (tests render extra components through it).
   * @default none
   */
  readonly extend?: PlatformExtension;
  /**
   * The record of schema checks passed before: objects whose bytes passed are not checked again.
   * @default none (every object checked)
   */
  readonly schemaCache?: SchemaCache;
  /**
   * Where the documents of each rendered file of the selected sites are recorded as plain JSON (npm run diff).
   * @default not recorded
   */
  readonly bodies?: FileBodies;
}

export interface SynthResult {
  readonly sites: number;
  readonly components: number;
  readonly objects: number;
  readonly diff: TreeDiff;
  /** With `only`: files of the other sites that differ from what they render now (left as they are). */
  readonly othersStale: readonly string[];
}

/** What renderTree gives back. */
export interface RenderedTree {
  /** Files, path relative to gitops/ -> content. */
  readonly tree: FileTree;
  /** With `only`: the files the other sites render now (not written; see SynthResult.othersStale). */
  readonly otherFiles: FileTree;
  readonly sites: number;
  readonly components: number;
  readonly objects: number;
  /** The rendered sites (constructs included), only with `keepRendered`. */
  readonly rendered: readonly RenderedSite[];
  /** What the failure report read of every site (pipeline/report). */
  readonly failures: readonly SiteFailureFacts[];
}

/**
 * Renders the selected sites into a tree of files (relative to gitops/), without touching disk,
 * after validating the model, and validates what was rendered (per site, then across sites).
 */
export function renderTree(model: PlatformModel, options: RenderOptions & { keepRendered?: boolean } = {}): RenderedTree {
  const { sites } = model;
  const { only, onSite, stackOutputs } = options;
  validateSites(sites, model.edge);
  validateEdge(model.edge, sites);
  const unknown = (only ?? []).filter((name) => !sites.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new PlatformError(
      unknown.map((name) => ({ field: '--site', message: `no site named ${name}; known sites: ${sites.map((s) => s.name).join(', ')}` })),
    );
  }
  const selected = only && only.length > 0 ? sites.filter((s) => only.includes(s.name)) : sites;
  const siteOptions = {
    stackOutputs,
    validate: options.validate,
    extend: options.extend,
    schemaCache: options.schemaCache,
    bodies: options.bodies,
  };
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
  // Files for all sites (the edge) depend on every site's model: rendered on every run.
  for (const [p, content] of renderGlobalFiles(model)) tree.set(p, content);
  // The sites not selected are rendered too, for the cross-site check and to tell the user when
  // this run's change also changes them; their files are not written.
  const others = sites
    .filter((s) => !selected.includes(s))
    .map((s) => processSite(s, model, { stackOutputs, validate: false, extend: options.extend }));
  const otherFiles: FileTree = new Map(others.flatMap((o) => o.files.map(([p, c]) => [p, c] as const)));
  // The failure report and the platform's diagram read every site, rendered or not.
  const facts = sites.map((s) => [...outputs, ...others].find((o) => o.site === s.name)!.failure);
  for (const [p, content] of reportFiles(model, facts, tree.get('README.md') ?? '')) tree.set(p, content);
  if (options.validate !== false) {
    const summaries = sites.map((s) => [...outputs, ...others].find((o) => o.site === s.name)!.summary);
    const findings = [...outputs.flatMap((o) => o.findings), ...checkCrossSite(summaries)];
    if (findings.length > 0) throw new PlatformError(findings);
  }
  return {
    tree,
    otherFiles,
    sites: outputs.length,
    components: outputs.reduce((n, o) => n + o.components, 0),
    objects: outputs.reduce((n, o) => n + o.objects, 0),
    rendered,
    failures: facts,
  };
}

/**
 * The tree in gitops/. Another synth may be between its two renames (gitops/ moved aside, the new
 * tree ready): a --check, which takes no lock, then waits for the swap rather than seeing nothing.
 */
function readCurrent(root: string, gitops: string): FileTree {
  for (let attempt = 0; attempt < 50 && !fs.existsSync(gitops) && fs.existsSync(path.join(root, STAGING_DIR, 'READY')); attempt++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return readTree(gitops);
}

/** True when a path belongs to what this run renders (the selected sites, or everything). */
function ownedBy(only: readonly string[] | undefined, sites: readonly string[]): (p: string) => boolean {
  if (!only || only.length === 0) return () => true;
  // The selected sites' directories, and everything that is no site's (the edge, gitops/README.md).
  return (p) => {
    const top = p.split('/')[0] ?? '';
    return only.includes(top) || !sites.includes(top);
  };
}

export function synth(options: SynthOptions & RenderOptions): SynthResult {
  const rendered = renderTree(options.model, options);
  const { tree } = rendered;
  const gitops = path.join(options.root, 'gitops');
  const owned = ownedBy(
    options.only,
    options.model.sites.map((s) => s.name),
  );
  const current = readCurrent(options.root, gitops);
  const next: FileTree = new Map([...current].filter(([p]) => !owned(p)));
  for (const [p, content] of tree) next.set(p, content);
  const diff = diffTrees(current, next);
  if (!options.check && diffSize(diff) > 0) writeTree(options.root, next, options.writer);
  const otherSites = new Set([...rendered.otherFiles.keys()].map((p) => p.split('/')[0]));
  const otherCurrent: FileTree = new Map([...current].filter(([p]) => otherSites.has(p.split('/')[0])));
  const othersDiff = diffTrees(otherCurrent, rendered.otherFiles);
  const othersStale = [...othersDiff.added, ...othersDiff.changed, ...othersDiff.removed].sort();
  return { sites: rendered.sites, components: rendered.components, objects: rendered.objects, diff, othersStale };
}
