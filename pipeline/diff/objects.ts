/**
 * The Kubernetes objects of a rendered tree, parsed once and only where needed: a file whose bytes
 * are the same on both sides holds no change and is never parsed, unless a rating asks for the
 * objects of its kind (objectsOfKind, found by file name: synth names each file `<kind>-<name>.yaml`).
 */
import { loadAll, CORE_SCHEMA } from 'js-yaml';
import { isRecord } from './splice';

/** A rendered object located in the tree. */
export interface TreeObject {
  readonly site: string;
  readonly component: string;
  /** Path of its file, relative to gitops/. */
  readonly path: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
  /** idOf() of the object, computed once. */
  readonly id: string;
}

/** `<site>/<component>/<file>.yaml`: the only files that hold objects (kustomization.yaml included). */
export function isObjectPath(path: string): boolean {
  const first = path.indexOf('/');
  const second = first < 0 ? -1 : path.indexOf('/', first + 1);
  return second > 0 && path.indexOf('/', second + 1) < 0 && path.endsWith('.yaml');
}

/**
 * The objects of one file, or undefined when it is not an object file or does not parse (it is
 * then diffed line by line). js-yaml 4 with the core schema: 11x faster than the `yaml` library
 * on our files (37 against 407 µs a file, measured on gitops/; js-yaml 5 takes 65), and it reads
 * every committed file as `yaml` does (test/diff-fields.test.ts).
 */
export function parseObjects(path: string, content: string): TreeObject[] | undefined {
  if (!isObjectPath(path)) return undefined;
  const docs = parseDocuments(content);
  return docs && objectsOf(path, docs);
}

/** The documents of a YAML file (undefined: it does not parse). */
export function parseDocuments(content: string): unknown[] | undefined {
  try {
    return loadAll(content, null, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
}

/** The objects among the documents of the object file at `path`. */
export function objectsOf(path: string, docs: readonly unknown[]): TreeObject[] | undefined {
  const first = path.indexOf('/');
  const second = path.indexOf('/', first + 1);
  const [site, component, file] = [path.slice(0, first), path.slice(first + 1, second), path.slice(second + 1)];
  const objects: TreeObject[] = [];
  // isRecord of this bundle, not record() of the validation's: a call across bundles goes through a getter.
  for (const doc of docs) {
    if (!isRecord(doc)) continue;
    const body = doc;
    const kind = body.kind;
    if (typeof kind !== 'string') continue;
    const meta: Record<string, unknown> = isRecord(body.metadata) ? body.metadata : {};
    const name = typeof meta.name === 'string' ? meta.name : file;
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
    objects.push({ site, component, path, kind, namespace, name, body, id: idOf({ kind, namespace, name }) });
  }
  return objects.length > 0 ? objects : undefined;
}

/** The kind part of a file name synth gives (`poddisruptionbudget` for `.../poddisruptionbudget-web.yaml`). */
function kindPrefixOf(path: string): string {
  const name = path.lastIndexOf('/') + 1;
  const dash = path.indexOf('-', name);
  return path.slice(name, dash < 0 ? path.length : dash);
}

/** `Kind/name` or `Kind/namespace/name`. */
export function idOf(o: { readonly kind: string; readonly namespace?: string; readonly name: string }): string {
  return `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** The identity of an object across the two trees. */
export function keyOf(o: TreeObject): string {
  return `${o.site}\0${o.component}\0${o.id}`;
}

/** What the rules read of one side of the diff. */
export interface TreeSide {
  /** Objects of `kind` on `site` (in `namespace` when given). */
  find(kind: string, site: string, namespace?: string): readonly TreeObject[];
  /** Whether the side has a file at `path` (anywhere in the tree). */
  has(path: string): boolean;
  /** Every path of the side. */
  paths(): Iterable<string>;
}

/**
 * One side of the diff within one site (one top-level directory of gitops/): its files, parsed
 * on demand, each at most once. Objects of a kind are found through the file names synth gives
 * (`poddisruptionbudget-web.yaml`), so a rating that needs the PodDisruptionBudgets of the site
 * reads those files, not every file. Whole-tree questions (has, paths) go to `tree`.
 */
export class SiteSide implements TreeSide {
  private readonly parsed = new Map<string, TreeObject[] | undefined>();
  private readonly byKind = new Map<string, TreeObject[]>();
  /** Per kind: objects by `site\0namespace`, and by `site\0*` for all namespaces. */
  private readonly byPlace = new Map<string, Map<string, TreeObject[]>>();
  private pathsByPrefix: Map<string, string[]> | undefined;

  /** `sitePaths`: the side's paths in this directory, sorted; `load` gives the objects of one (undefined: not an object file). */
  constructor(
    private readonly sitePaths: readonly string[],
    private readonly load: (path: string) => TreeObject[] | undefined,
    private readonly tree: Pick<TreeSide, 'has' | 'paths'>,
  ) {}

  has(path: string): boolean {
    return this.tree.has(path);
  }

  paths(): Iterable<string> {
    return this.tree.paths();
  }

  /** The objects of a file (undefined: not an object file, or it does not parse). */
  objectsAt(path: string): TreeObject[] | undefined {
    if (this.parsed.has(path)) return this.parsed.get(path);
    const objects = this.load(path);
    this.parsed.set(path, objects);
    return objects;
  }

  /** Every object of `kind` in the directory (files named `<kind>-*.yaml`), in path order. */
  objectsOfKind(kind: string): readonly TreeObject[] {
    const cached = this.byKind.get(kind);
    if (cached) return cached;
    if (!this.pathsByPrefix) {
      this.pathsByPrefix = new Map();
      for (const path of this.sitePaths) {
        if (!isObjectPath(path)) continue;
        const prefix = kindPrefixOf(path);
        const paths = this.pathsByPrefix.get(prefix);
        if (paths) paths.push(path);
        else this.pathsByPrefix.set(prefix, [path]);
      }
    }
    const objects = (this.pathsByPrefix.get(kind.toLowerCase()) ?? [])
      .flatMap((p) => this.objectsAt(p) ?? [])
      .filter((o) => o.kind === kind);
    this.byKind.set(kind, objects);
    return objects;
  }

  find(kind: string, site: string, namespace?: string): readonly TreeObject[] {
    let places = this.byPlace.get(kind);
    if (!places) {
      places = new Map();
      for (const o of this.objectsOfKind(kind)) {
        for (const key of [`${o.site}\0*`, `${o.site}\0${o.namespace ?? ''}`]) {
          const list = places.get(key);
          if (list) list.push(o);
          else places.set(key, [o]);
        }
      }
      this.byPlace.set(kind, places);
    }
    return places.get(`${site}\0${namespace ?? '*'}`) ?? [];
  }
}
