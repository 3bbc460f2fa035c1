/**
 * A record of the objects the schema check passed, and of those the plaintext guard found clean,
 * so that a synth whose objects did not change neither loads nor runs the validators (loading and
 * compiling them is most of the check's cost: `npm run bench`) nor searches every string again.
 * An object is skipped only when the same bytes passed the same check: the key of a schema pass is
 * a hash of the object's JSON, whether it is a patch, its site's release, the content of the
 * validator module that checks its kind, the release's kinds.json, and the source of the check
 * itself; the key of a clean verdict, a hash of the object's JSON and of the guard's source. Only
 * passes are recorded; an object with findings is checked again on every run.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../../model/errors';
import { jsonOf, type ObjectMemo } from '../object-text';
import type { KubeObject } from '../render';
import { checkSchema, schemaFilesOf, type SchemaContext } from './schema';

/** How a file is known: its size and mtime, and the hash of the content they were seen with. */
interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha1: string;
}

interface CacheFile {
  readonly version: 3;
  /** Files the keys depend on (validators, kinds.json, the checks' sources), by absolute path. */
  readonly files: Record<string, FileStamp>;
  /** Keys of the schema checks that passed. */
  readonly passed: readonly string[];
  /** Keys of the objects the plaintext guard found clean. */
  readonly clean: readonly string[];
}

/** At most this many passes of each check are kept (the committed sites have about 400 objects). */
const MAX_ENTRIES = 50_000;

// Three hashes an object each run (its JSON, then each check's key): node's one-shot `crypto.hash`
// (20.12 and later) costs a fifth of a Hash object's for strings of this size.
const sha1: (data: string | Buffer) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha1', data, 'hex')
    : (data) => crypto.createHash('sha1').update(data).digest('hex');

/** The keys one check passed: those read from the file, and those this run used or added (kept first when saved). */
class Passes {
  private readonly used = new Set<string>();
  constructor(
    private readonly before: ReadonlySet<string>,
    private readonly onAdded: () => void,
  ) {}

  has(key: string): boolean {
    if (!this.before.has(key)) return false;
    this.used.add(key);
    return true;
  }

  record(key: string): void {
    this.used.add(key);
    if (!this.before.has(key)) this.onAdded();
  }

  kept(): string[] {
    return [...this.used, ...[...this.before].filter((k) => !this.used.has(k))].slice(0, MAX_ENTRIES);
  }
}

export class SchemaCache {
  private readonly passed: Passes;
  private readonly clean: Passes;
  private readonly files: Record<string, FileStamp>;
  private readonly digests = new Map<string, string>();
  /** The part of a key before the object's JSON, by release, patch, kinds.json and validator module. */
  private readonly checks = new Map<string, string>();
  private readonly jsonDigests = new WeakMap<KubeObject, string>();
  private changed = false;

  private constructor(
    private readonly file: string,
    content: CacheFile | undefined,
    /** The source of the schema check (pipeline/validate/schema.ts), part of every schema key. */
    private readonly checkSources: readonly string[],
    /** The source of the plaintext guard, part of every clean verdict's key. */
    private readonly plaintextSources: readonly string[],
  ) {
    const added = () => {
      this.changed = true;
    };
    this.passed = new Passes(new Set(content?.passed ?? []), added);
    this.clean = new Passes(new Set(content?.clean ?? []), added);
    this.files = { ...(content?.files ?? {}) };
  }

  /** The cache kept in `file` (none yet, or unreadable: empty); `checkSources` and `plaintextSources` are the files of the checks' code. */
  static open(file: string, checkSources: readonly string[], plaintextSources: readonly string[] = []): SchemaCache {
    let content: CacheFile | undefined;
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
      if (parsed.version === 3 && Array.isArray(parsed.passed) && Array.isArray(parsed.clean)) content = parsed;
    } catch {
      content = undefined;
    }
    return new SchemaCache(file, content, checkSources, plaintextSources);
  }

  /** The content hash of a file, read only when its size or mtime moved since it was last hashed. */
  private digestOf(file: string): string {
    const known = this.digests.get(file);
    if (known !== undefined) return known;
    const st = fs.statSync(file, { throwIfNoEntry: false });
    let digest: string;
    if (!st) digest = 'missing';
    else {
      const was = this.files[file];
      if (was && was.size === st.size && was.mtimeMs === st.mtimeMs) digest = was.sha1;
      else {
        digest = sha1(fs.readFileSync(file));
        this.files[file] = { size: st.size, mtimeMs: st.mtimeMs, sha1: digest };
        this.changed = true;
      }
    }
    this.digests.set(file, digest);
    return digest;
  }

  /** The key of checking `object` with the validator module `validator` of the release whose index is `kinds`. */
  keyOf(object: KubeObject, patch: boolean, release: string, validator: string, kinds: string): string {
    const prefix = `${release}\0${patch}\0${kinds}\0${validator}`;
    let check = this.checks.get(prefix);
    if (check === undefined) {
      const code = this.checkSources.map((f) => this.digestOf(f)).join(',');
      check = `${release}\0${patch}\0${this.digestOf(kinds)}\0${this.digestOf(validator)}\0${code}\0`;
      this.checks.set(prefix, check);
    }
    return sha1(`${check}${this.jsonDigestOf(object)}`);
  }

  /** Whether this exact check passed before (recorded again as used by this run). */
  hasPassed(key: string): boolean {
    return this.passed.has(key);
  }

  /** Records a pass. */
  recordPass(key: string): void {
    this.passed.record(key);
  }

  /** The hash of an object's JSON, taken once for the keys of both checks. */
  private jsonDigestOf(object: KubeObject): string {
    let digest = this.jsonDigests.get(object);
    if (digest === undefined) this.jsonDigests.set(object, (digest = sha1(jsonOf(object))));
    return digest;
  }

  /** The key of the plaintext guard's verdict on `object`. */
  plaintextKeyOf(object: KubeObject): string {
    let code = this.checks.get('plaintext');
    if (code === undefined) {
      code = `plaintext\0${this.plaintextSources.map((f) => this.digestOf(f)).join(',')}\0`;
      this.checks.set('plaintext', code);
    }
    return sha1(`${code}${this.jsonDigestOf(object)}`);
  }

  /** Whether the plaintext guard found these same bytes clean before (recorded again as used by this run). */
  wasClean(key: string): boolean {
    return this.clean.has(key);
  }

  /** Records a clean verdict. */
  recordClean(key: string): void {
    this.clean.record(key);
  }

  /**
   * Writes the cache (atomically: a concurrent run reads the old or the new one) when this run
   * added to it: this run's passes first, then older ones up to MAX_ENTRIES.
   */
  save(): void {
    if (!this.changed) return;
    const content: CacheFile = { version: 3, files: this.files, passed: this.passed.kept(), clean: this.clean.kept() };
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(content));
    fs.renameSync(tmp, this.file);
    this.changed = false;
  }
}

/** Where the record lives (beside the bundles, never committed), and the sources of the checks its keys include. */
export function openSchemaCache(repositoryRoot: string): SchemaCache {
  const source = (file: string) => path.join(repositoryRoot, 'pipeline', 'validate', file);
  return SchemaCache.open(
    path.join(repositoryRoot, 'dist', 'schema-cache.json'),
    [source('schema.ts')],
    [source('plaintext.ts'), source('context.ts')],
  );
}

/**
 * checkSchema, skipped for an object whose same bytes passed the same check before: earlier in
 * this run (`memo`), or in an earlier run (`cache`).
 */
export function checkSchemaCached(
  object: KubeObject,
  context: SchemaContext,
  patch: boolean,
  cache: SchemaCache | undefined,
  memo?: ObjectMemo,
): Finding[] {
  if (!memo) return checkSchemaRecorded(object, context, patch, cache);
  const passed = memo.schemaPassed(context.kubernetesRelease, patch);
  const json = jsonOf(object);
  if (passed.get(json)) return [];
  const findings = checkSchemaRecorded(object, context, patch, cache);
  if (findings.length === 0) passed.set(json, true);
  return findings;
}

function checkSchemaRecorded(object: KubeObject, context: SchemaContext, patch: boolean, cache: SchemaCache | undefined): Finding[] {
  const files =
    cache && typeof object.apiVersion === 'string' && typeof object.kind === 'string'
      ? schemaFilesOf(object.apiVersion, object.kind, context.kubernetesRelease)
      : undefined;
  if (!cache || !files) return checkSchema(object, context, patch);
  const key = cache.keyOf(object, patch, context.kubernetesRelease, files.validator, files.kinds);
  if (cache.hasPassed(key)) return [];
  const findings = checkSchema(object, context, patch);
  if (findings.length === 0) cache.recordPass(key);
  return findings;
}
