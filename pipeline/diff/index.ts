/**
 * `npm run diff`: what a change means for the clusters. Compares the rendered tree at a git ref
 * (default: the merge base with main) with a fresh in-memory render, object by object and field by
 * field, every other file (edge/haproxy.cfg, README.md) line by line, and rates each change's risk.
 */
import type { FileTree } from '../files';
import { rate, rateFile, RISK_ORDER, type RatedChange, type RatedFileChange, type RatedObjectChange, type Risk } from './risk';
import { diffObjects, isObjectFile, objectsOf } from './semantic';
import { diffFiles } from './text';

export { defaultBase, readTreeAtRef } from './git-tree';
export { toMarkdown, toText } from './format';
export type { RatedChange, RatedFileChange, RatedObjectChange, Risk };

/**
 * Rated changes from tree `before` to tree `after` (paths relative to gitops/): the Kubernetes
 * objects first (by site, component, object), then every other file (by path, line by line).
 */
export function semanticDiff(before: FileTree, after: FileTree): RatedChange[] {
  const a = objectsOf(after);
  const afterObjects = [...a.values()];
  return [...diffObjects(objectsOf(before), a).map((c) => rate(c, afterObjects)), ...diffFiles(before, after, isObjectFile).map(rateFile)];
}

/** The highest risk among changes, `low` when there is none. */
export function highestRisk(changes: readonly RatedChange[]): Risk {
  return changes.reduce<Risk>((r, c) => (RISK_ORDER[c.risk] > RISK_ORDER[r] ? c.risk : r), 'low');
}

/** Whether changes reach the `failOn` level. */
export function reaches(changes: readonly RatedChange[], failOn: Risk): boolean {
  return changes.some((c) => RISK_ORDER[c.risk] >= RISK_ORDER[failOn]);
}
