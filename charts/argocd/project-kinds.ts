/**
 * What a site's AppProject lets its Applications create: the kinds its components render and the
 * kinds the upstream releases they install create (each release table's `creates`), by scope,
 * never a wildcard. Argo CD refuses to sync any other kind, so a chart upgrade that adds one, or a
 * component that renders one, shows up as a new permission in the diff or fails validation.
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { apiGroup, isClusterScoped } from '../../model/cluster-scoped';
import type { DeclaredComponent } from '../lib/declared';

/** A kind as an AppProject lists it. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** Kinds by scope, sorted by group then kind. */
export interface ProjectKinds {
  readonly cluster: readonly GroupKind[];
  readonly namespaced: readonly GroupKind[];
}

/**
 * Kinds no child Application may create, whatever a component renders: only the root creates
 * Applications and projects (a child holding one could make two Applications keep each other
 * Progressing, and a project it wrote could widen its own permissions).
 */
export const ROOT_ONLY_KINDS: readonly GroupKind[] = [
  { group: 'argoproj.io', kind: 'Application' },
  { group: 'argoproj.io', kind: 'AppProject' },
];

const key = (k: GroupKind) => `${k.group}/${k.kind}`;

/**
 * Order of the listed kinds: by text with case ignored (`Cert…` before `CSIDriver`), then by code
 * unit. The same on every machine, unlike localeCompare, whose order follows the user's locale.
 */
function byTextIgnoringCase(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The kinds of the objects under `scope` (a component), patches included (they change objects of that kind). */
export function renderedKinds(scope: Construct): GroupKind[] {
  return (
    scope.node
      .findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject)
      // The core group is '' in an AppProject (cdk8s's apiGroup says 'core').
      .map((o) => ({ group: apiGroup(o.apiVersion), kind: o.kind }))
  );
}

/** The project's kinds for `components`, with `rendered` the kinds each one renders (by component name). */
export function projectKinds(components: readonly DeclaredComponent[], rendered: ReadonlyMap<string, readonly GroupKind[]>): ProjectKinds {
  const cluster = new Map<string, GroupKind>();
  const namespaced = new Map<string, GroupKind>();
  const forbidden = new Set(ROOT_ONLY_KINDS.map(key));
  const add = (k: GroupKind, clusterScoped: boolean) => {
    if (!forbidden.has(key(k))) (clusterScoped ? cluster : namespaced).set(key(k), k);
  };
  for (const c of components) {
    for (const k of rendered.get(c.name) ?? []) add(k, isClusterScoped(k.kind));
    for (const release of c.upstreamReleases) {
      for (const [scope, byGroup] of [
        [true, release.creates.cluster],
        [false, release.creates.namespaced],
      ] as const)
        for (const [group, kinds] of Object.entries(byGroup)) for (const kind of kinds) add({ group, kind }, scope);
    }
  }
  const sorted = (m: Map<string, GroupKind>) => [...m.values()].sort((a, b) => byTextIgnoringCase(key(a), key(b)));
  return { cluster: sorted(cluster), namespaced: sorted(namespaced) };
}
