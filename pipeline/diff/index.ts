/**
 * `npm run diff`: what a change means for the clusters. Compares the rendered tree at a git ref
 * (default: the merge base with main) with a fresh in-memory render, object by object and field by
 * field, and rates each change's risk.
 */
import type { FileTree } from '../files';
import { rate, RISK_ORDER, type RatedChange, type Risk } from './risk';
import { diffObjects, objectsOf } from './semantic';

export { defaultBase, readTreeAtRef } from './git-tree';
export { toMarkdown, toText } from './format';
export type { RatedChange, Risk };

/** Rated changes from tree `before` to tree `after` (paths relative to gitops/). */
export function semanticDiff(before: FileTree, after: FileTree): RatedChange[] {
  const a = objectsOf(after);
  const afterObjects = [...a.values()];
  return diffObjects(objectsOf(before), a).map((c) => rate(c, afterObjects));
}

/** The highest risk among changes, `low` when there is none. */
export function highestRisk(changes: readonly RatedChange[]): Risk {
  return changes.reduce<Risk>((r, c) => (RISK_ORDER[c.risk] > RISK_ORDER[r] ? c.risk : r), 'low');
}

/** Whether changes reach the `failOn` level. */
export function reaches(changes: readonly RatedChange[], failOn: Risk): boolean {
  return changes.some((c) => RISK_ORDER[c.risk] >= RISK_ORDER[failOn]);
}
