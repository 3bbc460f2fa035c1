/**
 * The synth pipeline as one function the CLI, the tests and the bench call: validate the sites,
 * then site by site render, validate the rendered objects (pipeline/validate), serialize, compare
 * with gitops/ and stage the files (unless --check); then the cross-site checks and the files for
 * all sites, and the staged tree swapped in atomically. Memory holds one site's objects at a time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StackOutputs } from '../charts/lib/object-store';
import type { PlatformModel } from '../sites';
import { PlatformError, type Finding } from '../model/errors';
import type { FileBodies, FileTree } from './files';
import { renderGlobalFiles, type PlatformExtension, type RenderedSite } from './render';
import { checkCrossSite, type CrossSiteSummary, type SchemaCache } from './validate';
import { processSite } from './site-pipeline';
import { processSites, renderThreadsFor } from './site-workers';
import { reportFiles, type SiteFailureFacts } from './report';
import { KeptOnce } from './report/failures';
import { ObjectMemo } from './object-text';
import { validateEdge } from './validate-ingress';
import { validateSites } from './validate-sites';
import { diffSize, gitopsPaths, stageTree, type StagedTree, type TreeDiff } from './writer';
import type { WriterHooks } from './writer-lock';
import { PathList, keepHeapNearLive } from './synth-memory';

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
  /**
   * Threads rendering the selected sites (pipeline/site-workers.ts); 0 renders them in this thread.
   * @default 2 for a model of more than 20 sites run from the bundles on two cores or more, else 0
   */
  readonly threads?: number;
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

/** Where the rendered files go, one by one as each site is rendered (a tree in memory, or the staging directory). */
interface FileSink {
  /** A file of what this run renders (path relative to gitops/). */
  file(p: string, content: string): void;
  /** A file of a site not selected: rendered for the cross-site check and to compare, never written. */
  otherFile(p: string, content: string): void;
}

/** What renderTree and synth tell of a render besides its files. */
type RenderCounts = Omit<RenderedTree, 'tree' | 'otherFiles'>;

/**
 * Validates the model, renders the selected sites one at a time and hands each site's files to
 * `sink` as soon as the site is rendered, keeping of a site only what the cross-site checks and
 * the failure report read; then the files for all sites (edge, report), then the validation's verdict.
 */
function renderInto(model: PlatformModel, options: RenderOptions & { keepRendered?: boolean }, sink: FileSink): RenderCounts {
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
    threads: options.threads,
    facts: new KeptOnce(),
    memo: new ObjectMemo(),
  };
  const rendered: RenderedSite[] = [];
  const summaries = new Map<string, CrossSiteSummary>();
  const facts = new Map<string, SiteFailureFacts>();
  const findings: Finding[] = [];
  let components = 0;
  let objects = 0;
  // One site at a time, its files handed on at once: memory stays flat as sites are added (a
  // large model's sites are rendered on threads, taken in order: pipeline/site-workers.ts).
  let i = 0;
  for (const out of processSites(selected, model, siteOptions, options.keepRendered ? (r) => rendered.push(r) : undefined)) {
    for (const [p, content] of out.files) sink.file(p, content);
    summaries.set(out.site, out.summary);
    facts.set(out.site, out.failure);
    findings.push(...out.findings);
    components += out.components;
    objects += out.objects;
    onSite?.(++i, selected.length, out.site);
  }
  // The sites not selected are rendered too, for the cross-site check and to tell the user when
  // this run's change also changes them; their files are not written.
  for (const site of sites.filter((s) => !selected.includes(s))) {
    const out = processSite(site, model, {
      stackOutputs,
      validate: false,
      extend: options.extend,
      facts: siteOptions.facts,
      memo: siteOptions.memo,
    });
    for (const [p, content] of out.files) sink.otherFile(p, content);
    summaries.set(site.name, out.summary);
    facts.set(site.name, out.failure);
  }
  // Files for all sites (the edge) depend on every site's model: rendered on every run. The
  // failure report and the platform's diagram read every site, rendered or not.
  const global = renderGlobalFiles(model);
  const siteFacts = sites.map((s) => facts.get(s.name)!);
  for (const [p, content] of reportFiles(model, siteFacts, global.get('README.md') ?? '')) global.set(p, content);
  for (const [p, content] of global) sink.file(p, content);
  if (options.validate !== false) {
    findings.push(...checkCrossSite(sites.map((s) => summaries.get(s.name)!)));
    if (findings.length > 0) throw new PlatformError(findings);
  }
  return { sites: selected.length, components, objects, rendered, failures: siteFacts };
}

/**
 * Renders the selected sites into a tree of files (relative to gitops/), without touching disk,
 * after validating the model, and validates what was rendered (per site, then across sites).
 */
export function renderTree(model: PlatformModel, options: RenderOptions & { keepRendered?: boolean } = {}): RenderedTree {
  const tree: FileTree = new Map();
  const otherFiles: FileTree = new Map();
  const counts = renderInto(model, options, { file: (p, c) => tree.set(p, c), otherFile: (p, c) => otherFiles.set(p, c) });
  return { tree, otherFiles, ...counts };
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

/**
 * Renders and validates every site, comparing each file with gitops/ and (unless `check`) staging
 * it as soon as its site is rendered; only paths are kept across sites. The staged tree is swapped
 * in once everything rendered and validated, and only if something changed; any error discards it,
 * leaving gitops/ as it was.
 */
export function synth(given: SynthOptions & RenderOptions): SynthResult {
  keepHeapNearLive(given.model.sites.length);
  // Decided once: with render threads, this thread has the time to write the files itself.
  const threads = renderThreadsFor(given.only && given.only.length > 0 ? given.only.length : given.model.sites.length, given);
  const options = { ...given, threads };
  const gitops = path.join(options.root, 'gitops');
  const owned = ownedBy(
    options.only,
    options.model.sites.map((s) => s.name),
  );
  const current = gitopsPaths(options.root);
  const read = (p: string): string | undefined => (current.has(p) ? fs.readFileSync(path.join(gitops, p), 'utf8') : undefined);
  const added = new PathList();
  const diff = { added: [] as string[], changed: [] as string[], removed: [] as string[] };
  const stale: TreeDiff = { added: [], changed: [], removed: [] };
  // What gitops/ holds and this run did not render (removed, or stale for another site).
  const left = new Set(current);
  const compare = (into: TreeDiff | 'diff', p: string, content: string): boolean => {
    left.delete(p);
    const old = read(p);
    if (old === undefined) (into === 'diff' ? added : into.added).push(p);
    else if (old !== content) (into === 'diff' ? diff : into).changed.push(p);
    return old === content;
  };
  // Staging starts at the first difference (an unchanged gitops/ costs no write): the files found
  // equal until then are copied from gitops/, and a model refused up front creates nothing.
  let staged: StagedTree | undefined;
  const equal: string[] = [];
  const open = (): StagedTree => {
    if (staged) return staged;
    staged = stageTree(options.root, options.writer, threads > 0 ? { syncFiles: Infinity } : {});
    for (const p of equal.splice(0)) staged.add(p, read(p)!);
    return staged;
  };
  const stage = (p: string, content: string, same: boolean): void => {
    if (options.check) return;
    if (!staged && same) equal.push(p);
    else open().add(p, content);
  };
  try {
    const counts = renderInto(options.model, options, {
      file: (p, content) => stage(p, content, compare('diff', p, content)),
      otherFile: (p, content) => compare(stale, p, content),
    });
    // Another site's files are kept as they are.
    for (const p of current) if (!owned(p)) stage(p, read(p)!, true);
    for (const p of left) (owned(p) ? diff : stale).removed.push(p);
    for (const list of [diff.changed, diff.removed]) list.sort();
    if (!options.check && added.length + diffSize(diff) > 0) open().commit();
    else staged?.discard();
    const othersStale = [...stale.added, ...stale.changed, ...stale.removed].sort();
    let addedPaths: string[] | undefined;
    const result: TreeDiff = {
      // Read after the render's garbage is gone: the paths stay packed until then.
      get added() {
        return (addedPaths ??= added.sorted());
      },
      changed: diff.changed,
      removed: diff.removed,
    };
    return { sites: counts.sites, components: counts.components, objects: counts.objects, diff: result, othersStale };
  } catch (err) {
    staged?.discard();
    throw err;
  }
}
