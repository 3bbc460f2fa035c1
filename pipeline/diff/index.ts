/**
 * `npm run diff`: what a change means for the clusters. Compares the rendered tree at a git ref
 * (default: the merge base with main) with a fresh in-memory render, object by object and field by
 * field, every other file (edge/haproxy.cfg, README.md) line by line, and rates each change's risk.
 *
 * One pass over the paths of both trees: a file whose bytes did not change is skipped unparsed; a
 * changed one is parsed once per side, its objects diffed, rated and dropped. Ratings look up the
 * few objects they need (PodDisruptionBudgets, StorageClasses, HTTPProxies) by kind, each kind
 * parsed once per side.
 */
import type { FileTree } from '../files';
import { byText } from '../validate/context';
import { diffValues } from './fields';
import { idOf, keyOf, TreeSide, type TreeObject } from './objects';
import { rate } from './risk';
import { highest, RISK_ORDER, type RatedChange, type RatedFileChange, type RatedObjectChange, type Risk } from './risk-types';
import { rateFile } from './risk-files';
import { EDGE_CONFIG, lostRoutes } from './routes';
import { fileChange } from './text';

export { defaultBase, describeHead, readTreeAtRef, resolveCommit } from './git-tree';
export { toMarkdown, toText, REPORT_MARKER } from './format';
export type { RatedChange, RatedFileChange, RatedObjectChange, Risk };

function objectChange(
  before: TreeObject | undefined,
  after: TreeObject | undefined,
  sides: { before: TreeSide; after: TreeSide },
): RatedObjectChange | undefined {
  const o = (after ?? before)!;
  const fields = before && after ? diffValues(before.body, after.body) : [];
  if (before && after && fields.length === 0) return undefined;
  const change = {
    scope: 'object' as const,
    type: !before ? ('added' as const) : !after ? ('removed' as const) : ('changed' as const),
    site: o.site,
    component: o.component,
    kind: o.kind,
    id: idOf(o),
    fields,
  };
  return rate(change, { before, after }, sides.before, sides.after);
}

/** Attaches each public route the change takes down to the change that did it (the HTTPProxy, else the edge). */
function withLostRoutes(changes: RatedChange[], sides: { before: TreeSide; after: TreeSide }): RatedChange[] {
  const out = [...changes];
  for (const lost of lostRoutes(sides.before, sides.after)) {
    const proxy = [...sides.before.find('HTTPProxy', lost.site), ...sides.after.find('HTTPProxy', lost.site)].find(
      (p) => (p.body.spec as { virtualhost?: { fqdn?: unknown } } | undefined)?.virtualhost?.fqdn === lost.host,
    );
    const at = out.findIndex((c) =>
      c.scope === 'object' ? proxy !== undefined && c.site === lost.site && c.id === idOf(proxy) : c.path === EDGE_CONFIG,
    );
    const index = at >= 0 ? at : out.findIndex((c) => c.scope === 'object' && c.site === lost.site);
    if (index < 0) continue;
    const c = out[index]!;
    const notes = [...c.notes, lost.note];
    out[index] = { ...c, notes, risk: highest(notes) };
  }
  return out;
}

export interface DiffOptions {
  /**
   * The documents of each object file of `after` as JSON, when the caller has them (a render
   * keeps its objects): parsing that side's YAML is then skipped, about half of the diff's time
   * on a change touching every object (npm run bench -- --only diff).
   */
  readonly afterBodies?: (path: string) => readonly unknown[] | undefined;
}

/**
 * Rated changes from tree `before` to tree `after` (paths relative to gitops/): the Kubernetes
 * objects first (by site, component, object), then every other file (by path, line by line).
 */
export function semanticDiff(beforeFiles: FileTree, afterFiles: FileTree, options: DiffOptions = {}): RatedChange[] {
  const sides = { before: new TreeSide(beforeFiles), after: new TreeSide(afterFiles, options.afterBodies) };
  const objects: RatedObjectChange[] = [];
  const files: RatedFileChange[] = [];
  // Objects whose file appears or disappears: matched at the end (an object may change file).
  const removed = new Map<string, TreeObject>();
  const added = new Map<string, TreeObject>();
  for (const path of [...new Set([...beforeFiles.keys(), ...afterFiles.keys()])].sort(byText)) {
    const b = beforeFiles.get(path);
    const a = afterFiles.get(path);
    if (b === a) continue;
    const bo = b === undefined ? [] : sides.before.objectsAt(path);
    const ao = a === undefined ? [] : sides.after.objectsAt(path);
    if (bo === undefined || ao === undefined) {
      files.push(rateFile(fileChange(path, b, a)));
      continue;
    }
    const byKey = new Map(ao.map((o) => [keyOf(o), o]));
    for (const o of bo) {
      const next = byKey.get(keyOf(o));
      byKey.delete(keyOf(o));
      if (!next) removed.set(keyOf(o), o);
      else {
        const c = objectChange(o, next, sides);
        if (c) objects.push(c);
      }
    }
    for (const [key, o] of byKey) added.set(key, o);
    sides.before.forget(path);
    sides.after.forget(path);
  }
  for (const key of [...new Set([...removed.keys(), ...added.keys()])]) {
    const c = objectChange(removed.get(key), added.get(key), sides);
    if (c) objects.push(c);
  }
  const order = (c: RatedObjectChange) => `${c.site}\0${c.component}\0${c.id}`;
  objects.sort((x, y) => byText(order(x), order(y)));
  return withLostRoutes([...objects, ...files], sides);
}

/** The highest risk among changes, `low` when there is none. */
export function highestRisk(changes: readonly RatedChange[]): Risk {
  return highest(changes);
}

/** Whether changes reach the `failOn` level. */
export function reaches(changes: readonly RatedChange[], failOn: Risk): boolean {
  return changes.some((c) => RISK_ORDER[c.risk] >= RISK_ORDER[failOn]);
}
