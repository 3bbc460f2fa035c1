/**
 * `npm run diff`: what a change means for the clusters. Compares the rendered tree at a git ref
 * (default: the merge base with main) with a fresh in-memory render, object by object and field by
 * field, every other file (edge/haproxy.cfg, README.md) line by line, and rates each change's risk
 * (RenderedDiff, one site at a time: a file whose bytes did not change is skipped unparsed).
 */
import type { FileTree } from '../files';
import { baseOfTree } from './git-tree';
import { highest, RISK_ORDER, type RatedChange, type RatedFileChange, type RatedObjectChange, type Risk } from './risk-types';
import { RenderedDiff } from './stream';

export { baseOfTree, defaultBase, describeHead, GitTree, readTreeAtRef, resolveCommit, type BaseFiles } from './git-tree';
export { LISTED_LOWS, toMarkdown, toText, REPORT_MARKER } from './format';
export { filesByDirectory, RenderedDiff, type HeadFile } from './stream';
export type { RatedChange, RatedFileChange, RatedObjectChange, Risk };

export interface DiffOptions {
  /**
   * The documents of each object file of `after` as JSON, when the caller has them (a render
   * keeps its objects): parsing that side's YAML is then skipped.
   */
  readonly afterBodies?: (path: string) => readonly unknown[] | undefined;
}

/**
 * Rated changes from tree `before` to tree `after` (paths relative to gitops/): the Kubernetes
 * objects first (by site, component, object), then every other file (by path, line by line).
 */
export function semanticDiff(beforeFiles: FileTree, afterFiles: FileTree, options: DiffOptions = {}): RatedChange[] {
  const diff = new RenderedDiff(baseOfTree(beforeFiles));
  diff.add([...afterFiles].map(([path, content]) => ({ path, content, documents: options.afterBodies?.(path) })));
  return diff.finish();
}

/** The highest risk among changes, `low` when there is none. */
export function highestRisk(changes: readonly RatedChange[]): Risk {
  return highest(changes);
}

/** Whether changes reach the `failOn` level. */
export function reaches(changes: readonly RatedChange[], failOn: Risk): boolean {
  return changes.some((c) => RISK_ORDER[c.risk] >= RISK_ORDER[failOn]);
}
