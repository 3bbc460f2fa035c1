/**
 * The diff as it takes the rendered files: one top-level directory of gitops/ (a site) at a
 * time, against the base tree. A file whose bytes did not change (git's blob id tells, see
 * GitTree) is skipped unparsed; a changed one is parsed once per side, its objects diffed and
 * rated; the site's parsed objects are dropped when it is done, so memory holds one site's
 * objects and the rated changes. What a rating reads of other sites is kept small: the host names
 * each site serves (public routes against the edge), and every path (an Application's removal,
 * rated when all paths are known). Identical files recur across sites (CRDs, namespaces, the
 * same component on every site): their parse and their field changes are kept by content, a
 * bounded number of them, and reused.
 */
import type { FileBodies, FileTree } from '../files';
import { byText } from '../validate/context';
import { diffValues, type FieldChange } from './fields';
import type { BaseFiles } from './git-tree';
import { isObjectPath, keyOf, objectsOf, parseDocuments, SiteSide, type TreeObject, type TreeSide } from './objects';
import { rate } from './risk';
import { highest, type ObjectChange, type RatedChange, type RatedFileChange, type RatedObjectChange } from './risk-types';
import { rateFile } from './risk-files';
import { EDGE_CONFIG, lostRoutes, servedBy, type LostRoute, type ServedHost } from './routes';
import { isRecord, spliceBase } from './splice';
import { fileChange } from './text';
import { RecentValues } from '../../model/recent-values';

/**
 * A rendered file; `documents`, when the render has them, are its YAML documents as JSON (no
 * parse needed), and `content` is then what pipeline/yaml.ts writes for them (after any comment
 * lines): the base side of a changed file is parsed only where it differs from that text.
 */
export interface HeadFile {
  readonly path: string;
  readonly content: string;
  readonly documents?: readonly unknown[];
}

/** The top-level directory of a path ('' for a file at the top). */
const directoryOf = (path: string) => {
  const slash = path.indexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
};

/** Distinct file contents kept parsed (and their field changes): a few sites' worth of distinct files. */
const KEPT_CONTENTS = 1024;

/** New files whose field changes are kept for one old file (the same old file met with other new ones). */
const HEADS_PER_BASE = 4;

/** The field changes of the objects of one pair of files: the new file's text, and the changes by object id. */
interface FieldChangesOf {
  readonly head: string;
  readonly byObject: Map<string, FieldChange[]>;
}

export class RenderedDiff {
  private readonly basePaths = new Map<string, string[]>();
  private readonly headPaths = new PathSet();
  private readonly done = new Set<string>();
  private readonly bySite: { readonly directory: string; readonly objects: RatedObjectChange[] }[] = [];
  private readonly files: RatedFileChange[] = [];
  private readonly served = { before: [] as ServedHost[], after: [] as ServedHost[] };
  /** Removed Applications: rated at the end, when every path of the new tree is known. */
  private readonly removedApplications: {
    list: RatedObjectChange[];
    unrated: RatedObjectChange;
    change: ObjectChange;
    before: TreeObject;
  }[] = [];
  private headEdge: string | undefined;
  private readonly baseDocuments = new RecentValues<unknown[] | undefined>(KEPT_CONTENTS);
  private readonly headDocuments = new RecentValues<unknown[] | undefined>(KEPT_CONTENTS);
  /**
   * Field changes by the old file's key (its blob id), for the last few new files met with it
   * (compared by content, never hashed: a new file's text is a fresh 1 to 2 KB string), by object.
   */
  private readonly fieldChanges = new RecentValues<FieldChangesOf[]>(KEPT_CONTENTS);
  private finished = false;
  /**
   * One string for each distinct id, site, component and field path: the rated changes of many
   * sites share them (a path built by concatenation is otherwise a chain of pieces per change).
   */
  private readonly strings = new Map<string, string>();

  constructor(private readonly base: BaseFiles) {
    for (const path of base.paths) {
      const directory = directoryOf(path);
      const list = this.basePaths.get(directory);
      if (list) list.push(path);
      else this.basePaths.set(directory, [path]);
    }
    for (const list of this.basePaths.values()) list.sort(byText);
  }

  /** Rendered files: every file of a top-level directory in one call (a site as the render gives it). */
  add(files: Iterable<HeadFile>): void {
    if (this.finished) throw new Error('diff: files added after the diff was finished');
    const byDirectory = new Map<string, Map<string, HeadFile>>();
    for (const file of files) {
      const directory = directoryOf(file.path);
      const list = byDirectory.get(directory) ?? new Map<string, HeadFile>();
      byDirectory.set(directory, list.set(file.path, file));
    }
    for (const [directory, head] of byDirectory) this.addDirectory(directory, head);
  }

  /** The rated changes: the Kubernetes objects (by site, component, object), then every other file (by path). */
  finish(): RatedChange[] {
    if (this.finished) throw new Error('diff: finished twice');
    // What the base has and the new tree does not: removed sites.
    for (const directory of this.basePaths.keys()) if (!this.done.has(directory)) this.addDirectory(directory, new Map());
    this.finished = true;
    const tree = (has: (p: string) => boolean, paths: () => Iterable<string>): TreeSide => ({ find: () => [], has, paths });
    const before = tree(
      (p) => this.base.has(p),
      () => this.base.paths,
    );
    const after = tree(
      (p) => this.headPaths.has(p),
      () => this.headPaths.all(),
    );
    for (const r of this.removedApplications) r.list[r.list.indexOf(r.unrated)] = rate(r.change, { before: r.before }, before, after);
    this.bySite.sort((x, y) => byText(x.directory, y.directory));
    this.files.sort((x, y) => byText(x.path, y.path));
    const changes: RatedChange[] = [...this.bySite.flatMap((s) => s.objects), ...this.files];
    // An unchanged edge is not read from the base (reading the first blob writes them all out).
    const sameEdge = this.headEdge !== undefined && this.base.holds(EDGE_CONFIG, this.headEdge);
    const edgeBefore = sameEdge ? this.headEdge : this.base.has(EDGE_CONFIG) ? this.base.content(EDGE_CONFIG) : undefined;
    const lost = lostRoutes({ edge: edgeBefore, served: this.served.before }, { edge: this.headEdge, served: this.served.after });
    return withLostRoutes(changes, lost, [...this.served.before, ...this.served.after]);
  }

  private addDirectory(directory: string, head: Map<string, HeadFile>): void {
    if (this.done.has(directory)) throw new Error(`diff: the files of ${directory || 'the top directory'} were given twice`);
    this.done.add(directory);
    this.headPaths.add([...head.keys()]);
    if (head.has(EDGE_CONFIG)) this.headEdge = head.get(EDGE_CONFIG)!.content;
    const basePaths = this.basePaths.get(directory) ?? [];
    const unchanged = new Set<string>();
    for (const [p, file] of head) if (this.base.holds(p, file.content)) unchanged.add(p);
    const headPaths = [...head.keys()].sort(byText);
    const after = new SiteSide(headPaths, (p) => this.headObjects(head.get(p)!), {
      has: (p) => this.headPaths.has(p),
      paths: () => this.headPaths.all(),
    });
    // Same bytes, same objects: an unchanged file is parsed once, for both sides.
    const before = new SiteSide(basePaths, (p) => (unchanged.has(p) ? after.objectsAt(p) : this.baseObjects(p, head.get(p))), {
      has: (p) => this.base.has(p),
      paths: () => this.base.paths,
    });
    const objects: RatedObjectChange[] = [];
    const keep = (change: ObjectChange | undefined, o: { before?: TreeObject; after?: TreeObject }) => {
      if (!change) return;
      if (change.type === 'removed' && change.kind === 'Application') {
        const unrated: RatedObjectChange = { ...change, risk: 'low', notes: [] };
        this.removedApplications.push({ list: objects, unrated, change, before: o.before! });
        objects.push(unrated);
      } else objects.push(rate(change, o, before, after));
    };
    // Objects whose file appears or disappears: matched at the end (an object may change file).
    const removed = new Map<string, TreeObject>();
    const added = new Map<string, TreeObject>();
    const paths = [...new Set([...basePaths, ...headPaths])].sort(byText);
    for (const path of paths) {
      if (unchanged.has(path)) continue;
      const file = head.get(path);
      const inBase = this.base.has(path);
      const bo = inBase ? before.objectsAt(path) : [];
      const ao = file ? after.objectsAt(path) : [];
      if (bo === undefined || ao === undefined) {
        this.files.push(rateFile(fileChange(path, inBase ? this.base.content(path) : undefined, file?.content)));
        continue;
      }
      // Most files hold one object, the same on both sides.
      if (bo.length === 1 && ao.length === 1 && bo[0]!.id === ao[0]!.id) {
        keep(this.objectChange(bo[0], ao[0], head), { before: bo[0], after: ao[0] });
        continue;
      }
      // In one file, site and component are the same: the id tells the objects apart.
      const byId = new Map(ao.map((o) => [o.id, o]));
      for (const o of bo) {
        const next = byId.get(o.id);
        byId.delete(o.id);
        if (!next) removed.set(keyOf(o), o);
        else keep(this.objectChange(o, next, head), { before: o, after: next });
      }
      for (const o of byId.values()) added.set(keyOf(o), o);
    }
    for (const key of new Set([...removed.keys(), ...added.keys()])) {
      const o = { before: removed.get(key), after: added.get(key) };
      keep(this.objectChange(o.before, o.after, head), o);
    }
    this.served.before.push(...servedBy(before.objectsOfKind('HTTPProxy')));
    this.served.after.push(...servedBy(after.objectsOfKind('HTTPProxy')));
    objects.sort((x, y) => byText(x.component, y.component) || byText(x.id, y.id));
    this.bySite.push({ directory, objects });
  }

  private headObjects(file: HeadFile): TreeObject[] | undefined {
    if (!isObjectPath(file.path)) return undefined;
    const docs = file.documents ?? this.headDocuments.getOrMake(file.content, () => parseDocuments(file.content));
    return docs && objectsOf(file.path, docs);
  }

  /** The base's objects at `path`; `rendered`, the rendered file at the same path, if any. */
  private baseObjects(path: string, rendered: HeadFile | undefined): TreeObject[] | undefined {
    if (!isObjectPath(path)) return undefined;
    const parse = () => {
      const text = this.base.content(path)!;
      const [document, ...more] = rendered?.documents ?? [];
      const spliced = more.length === 0 && isRecord(document) ? spliceBase(text, rendered!.content, document) : undefined;
      return spliced ? [spliced] : parseDocuments(text);
    };
    // A blob no other path holds is parsed once whatever is kept: keeping it would only hold it.
    const docs = this.base.shared(path) ? this.baseDocuments.getOrMake(this.base.keyOf(path)!, parse) : parse();
    return docs && objectsOf(path, docs);
  }

  private objectChange(
    before: TreeObject | undefined,
    after: TreeObject | undefined,
    head: Map<string, HeadFile>,
  ): ObjectChange | undefined {
    const o = (after ?? before)!;
    const fields = before && after ? this.fieldsOf(before, after, head.get(after.path)!.content) : [];
    if (before && after && fields.length === 0) return undefined;
    return {
      scope: 'object',
      type: !before ? 'added' : !after ? 'removed' : 'changed',
      site: this.intern(o.site),
      component: this.intern(o.component),
      kind: this.intern(o.kind),
      id: this.intern(o.id),
      fields,
    };
  }

  private intern(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  }

  /** Field changes of an object, kept by the contents of both files: the same pair of files gives the same changes. */
  private fieldsOf(before: TreeObject, after: TreeObject, headContent: string): FieldChange[] {
    if (!this.base.shared(before.path)) return this.diffFields(before, after);
    const pairs = this.fieldChanges.getOrMake(this.base.keyOf(before.path)!, () => []);
    let pair = pairs.find((p) => p.head === headContent);
    if (pair === undefined) {
      pair = { head: headContent, byObject: new Map() };
      if (pairs.unshift(pair) > HEADS_PER_BASE) pairs.pop();
    }
    let fields = pair.byObject.get(before.id);
    if (fields === undefined) {
      fields = this.diffFields(before, after);
      pair.byObject.set(before.id, fields);
    }
    return fields;
  }

  private diffFields(before: TreeObject, after: TreeObject): FieldChange[] {
    return diffValues(before.body, after.body).map((f) => ({ ...f, path: this.intern(f.path) }));
  }
}

/** Paths given a directory at a time; the set of them is made only when a rule asks (most diffs never do). */
class PathSet {
  private readonly lists: (readonly string[])[] = [];
  private set: Set<string> | undefined;

  add(paths: readonly string[]): void {
    this.lists.push(paths);
    if (this.set) for (const p of paths) this.set.add(p);
  }

  has(path: string): boolean {
    return this.all().has(path);
  }

  all(): ReadonlySet<string> {
    return (this.set ??= new Set(this.lists.flat()));
  }
}

/** Attaches each public route the change takes down to the change that did it (the HTTPProxy, else the edge). */
function withLostRoutes(changes: RatedChange[], lostRoutes: readonly LostRoute[], served: readonly ServedHost[]): RatedChange[] {
  const out = [...changes];
  for (const lost of lostRoutes) {
    const proxy = served.find((p) => p.site === lost.site && p.fqdn === lost.host);
    const at = out.findIndex((c) =>
      c.scope === 'object' ? proxy !== undefined && c.site === lost.site && c.id === proxy.id : c.path === EDGE_CONFIG,
    );
    const index = at >= 0 ? at : out.findIndex((c) => c.scope === 'object' && c.site === lost.site);
    if (index < 0) continue;
    const c = out[index]!;
    const notes = [...c.notes, lost.note];
    out[index] = { ...c, notes, risk: highest(notes) };
  }
  return out;
}

/**
 * The files of a render, one top-level directory at a time (as RenderedDiff takes them), each
 * file taken out of `tree` and `bodies` as it is handed on, so that what the diff holds grows as
 * what the render holds shrinks.
 */
export function* filesByDirectory(tree: FileTree, bodies?: FileBodies): Generator<HeadFile[]> {
  const directories = new Map<string, string[]>();
  for (const path of tree.keys()) {
    const directory = directoryOf(path);
    const list = directories.get(directory);
    if (list) list.push(path);
    else directories.set(directory, [path]);
  }
  for (const paths of directories.values()) {
    const files = paths.map((path) => ({ path, content: tree.get(path)!, documents: bodies?.get(path) }));
    for (const path of paths) {
      tree.delete(path);
      bodies?.delete(path);
    }
    yield files;
  }
}
