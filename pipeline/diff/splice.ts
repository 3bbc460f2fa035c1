/**
 * The base side of a changed object file, parsed only where it differs from the rendered side.
 * The rendered file is what pipeline/yaml.ts writes for its object, so its text is canonical:
 * one line per scalar, each mapping entry and list item starting at its indentation, no anchors,
 * aliases, tags, flow collections (but `{}` and `[]`) or multi-line quoted scalars. The base text
 * is cut into the entries of each mapping and the items of each list the same way (by the lines
 * at that indentation); an entry or item with the same text on both sides has the rendered
 * side's value (the same object, so the field walk skips it at once), one whose key line is the
 * same opens a nested mapping or list that is cut again, and any other is parsed alone by js-yaml
 * at its own columns. Whatever does not fit (another shape, a parse error, a duplicate key, an
 * indentation indicator) gives undefined, and the caller parses the whole file: this only ever
 * returns what js-yaml gives for the whole base text (test/diff-splice.test.ts).
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import { COLON, DASH, HASH, Lines, NEWLINE, SPACE, TAB } from './yaml-lines';

/** The cut does not fit here: the caller parses the enclosing entry alone, or the whole file. */
class NoFit extends Error {}
const NO_FIT = new NoFit();

const BASE_LINES = new Lines();
const RENDERED_LINES = new Lines();

/**
 * Whether an entry may start with this character: not a tab or byte-order mark where the
 * indentation ends, a directive (`%`), or an explicit key or value (`?`, `:`), which are not ours
 * to judge.
 */
const startsEntry = (code: number) => code !== TAB && code !== 0xfeff && code !== 0x25 && code !== 0x3f && code !== 0x3a;

/** `---` or `...` at the start of line `i`. */
const isDocumentMarker = (lines: Lines, i: number) =>
  lines.text.startsWith('---', lines.starts[i]) || lines.text.startsWith('...', lines.starts[i]);

/** `- ` or a lone `-`: a list item (`-x` is a plain scalar). */
function isDash(lines: Lines, i: number, column: number): boolean {
  const at = lines.starts[i]! + column;
  if (lines.text.charCodeAt(at) !== DASH) return false;
  const next = at + 1 < lines.starts[i + 1]! ? lines.text.charCodeAt(at + 1) : NEWLINE;
  return next === SPACE || next === NEWLINE;
}

/**
 * The first line of each entry of the mapping at `column` over lines [from, to), then `to`. An
 * entry runs to the next line at that indentation: deeper lines, blank lines, comments and a list
 * written at the key's own indentation belong to it.
 */
function entryStarts(lines: Lines, from: number, to: number, column: number): number[] {
  const starts = [from];
  for (let i = from + 1; i < to; i++) {
    if (lines.deeper(i, column)) continue;
    const indent = lines.indent(i);
    const code = lines.code(i, indent);
    if (code === -1 || code === HASH) continue;
    if (indent < column || !startsEntry(code)) throw NO_FIT;
    if (isDash(lines, i, column)) continue;
    if (column === 0 && isDocumentMarker(lines, i)) throw NO_FIT;
    starts.push(i);
  }
  starts.push(to);
  return starts;
}

/** The first line of each item of the list at `column` over lines [from, to), then `to`. */
function itemStarts(lines: Lines, from: number, to: number, column: number): number[] {
  const starts: number[] = [];
  for (let i = from; i < to; i++) {
    if (lines.deeper(i, column)) continue;
    const indent = lines.indent(i);
    const code = lines.code(i, indent);
    if (code === -1 || code === HASH) continue;
    if (indent < column || !isDash(lines, i, column)) throw NO_FIT;
    starts.push(i);
  }
  if (starts[0] !== from) throw NO_FIT;
  starts.push(to);
  return starts;
}

/** Whether `form` starts line `i` at `column`, followed by `:` and a space or the line's end. */
function startsWithKey(lines: Lines, i: number, column: number, form: string): boolean {
  const at = lines.starts[i]! + column;
  if (!lines.text.startsWith(form, at) || lines.text.charCodeAt(at + form.length) !== COLON) return false;
  const next = at + form.length + 1 < lines.starts[i + 1]! ? lines.text.charCodeAt(at + form.length + 1) : NEWLINE;
  return next === SPACE || next === NEWLINE;
}

/** The form of `key` (plain, double- or single-quoted) that starts line `i` at `column`. */
function keyAt(lines: Lines, i: number, column: number, key: string): string | undefined {
  if (startsWithKey(lines, i, column, key)) return key;
  for (const form of [JSON.stringify(key), `'${key.replace(/'/g, "''")}'`]) if (startsWithKey(lines, i, column, form)) return form;
  return undefined;
}

/** Lines [from, to) from `column` of the first (the rest whole). */
const slice = (lines: Lines, from: number, to: number, column: number) => lines.text.slice(lines.starts[from]! + column, lines.starts[to]!);

/** Whether lines [bFrom, bTo) of `base` and [hFrom, hTo) of `head`, both from `column` of the first, are the same text. */
function sameText(base: Lines, bFrom: number, bTo: number, head: Lines, hFrom: number, hTo: number, column: number): boolean {
  const length = base.starts[bTo]! - base.starts[bFrom]!;
  return length === head.starts[hTo]! - head.starts[hFrom]! && slice(base, bFrom, bTo, column) === slice(head, hFrom, hTo, column);
}

/** Whether line `i` is `form:` alone: its value is the block below it. */
const opensBlock = (lines: Lines, i: number, column: number, form: string) =>
  lines.starts[i]! + column + form.length + 2 === lines.starts[i + 1]! && lines.text.charCodeAt(lines.starts[i + 1]! - 1) === NEWLINE;

/** The first line in [from, to) that is neither blank nor a comment, its indentation and its first character's code. */
function firstContent(lines: Lines, from: number, to: number): { line: number; indent: number; code: number } {
  for (let i = from; i < to; i++) {
    const indent = lines.indent(i);
    const code = lines.code(i, indent);
    if (code !== -1 && code !== HASH) return { line: i, indent, code };
  }
  throw NO_FIT;
}

/**
 * js-yaml's value of lines [from, to) of `base` alone, at the columns they have in the file: the
 * first line's part before `column` (a list item's dash) becomes spaces.
 */
function parsedAlone(base: Lines, from: number, to: number, column: number): unknown {
  const text = slice(base, from, to, column);
  if (text.includes('\ufeff')) throw NO_FIT;
  try {
    return load(' '.repeat(column) + text, { schema: CORE_SCHEMA });
  } catch {
    throw NO_FIT;
  }
}

/**
 * `key: value` alone on its line, both words of letters, digits and `._/-` starting with a
 * letter: the core schema reads such a word as a string unless it is one of these (a number
 * starts with a digit, a sign or a dot). Most entries that differ are such a label or name,
 * and js-yaml's start costs more than the line.
 */
const WORD_ENTRY = /^([A-Za-z][\w./-]*): ([A-Za-z][\w./-]*)\n?$/;
const NOT_STRINGS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

/** js-yaml's key and value of a one-line entry of two words (WORD_ENTRY), else undefined. */
function wordEntry(line: string): [string, string] | undefined {
  const match = WORD_ENTRY.exec(line);
  if (!match || NOT_STRINGS.has(match[1]!) || NOT_STRINGS.has(match[2]!)) return undefined;
  // A copy: a longer piece of the line would be a view that keeps the whole file's text alive.
  const value = match[2]!;
  return [match[1]!, value.length < 13 ? value : Buffer.from(value, 'latin1').toString('latin1')];
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmpty = (v: unknown): v is Record<string, unknown> | unknown[] =>
  Array.isArray(v) ? v.length > 0 : isRecord(v) && Object.keys(v).length > 0;

/** Sides of one block: the base's lines [bFrom, bTo) and the rendered lines [hFrom, hTo), entries at `column`. */
interface Block {
  readonly bFrom: number;
  readonly bTo: number;
  readonly hFrom: number;
  readonly hTo: number;
  readonly column: number;
}

class Splicer {
  constructor(
    private readonly base: Lines,
    private readonly head: Lines,
  ) {}

  /** The value of a nested block under a key line (or a list item) whose value on the rendered side is `value`. */
  nested(bFrom: number, bTo: number, hFrom: number, hTo: number, value: Record<string, unknown> | unknown[]): unknown {
    const h = firstContent(this.head, hFrom, hTo);
    const b = firstContent(this.base, bFrom, bTo);
    if (h.indent !== b.indent) throw NO_FIT;
    const block = { bFrom: b.line, bTo, hFrom: h.line, hTo, column: h.indent };
    return Array.isArray(value) ? this.list(block, value) : this.mapping(block, value);
  }

  mapping(at: Block, value: Record<string, unknown>): Record<string, unknown> {
    const { base, head } = this;
    const keys = Object.keys(value);
    const h = entryStarts(head, at.hFrom, at.hTo, at.column);
    if (h.length - 1 !== keys.length) throw NO_FIT;
    const b = entryStarts(base, at.bFrom, at.bTo, at.column);
    const out: Record<string, unknown> = {};
    const put = (key: string, v: unknown) => {
      if (key === '__proto__' || Object.prototype.hasOwnProperty.call(out, key)) throw NO_FIT;
      out[key] = v;
    };
    let j = 0;
    for (let i = 0; i + 1 < b.length; i++) {
      const bs = b[i]!;
      const be = b[i + 1]!;
      // The rendered entry of the same key: the next one, or the one after (an entry removed).
      let form: string | undefined;
      for (let k = j; k <= j + 1 && k < keys.length; k++) {
        const hForm = keyAt(head, h[k]!, at.column, keys[k]!);
        if (hForm === undefined) throw NO_FIT;
        if (startsWithKey(base, bs, at.column, hForm)) {
          j = k;
          form = hForm;
          break;
        }
      }
      if (form === undefined) {
        put(...this.entryAlone(bs, be, at.column));
        continue;
      }
      const key = keys[j]!;
      const hs = h[j]!;
      const he = h[j + 1]!;
      j++;
      if (sameText(base, bs, be, head, hs, he, at.column)) put(key, value[key]);
      else if (isNonEmpty(value[key]) && opensBlock(base, bs, at.column, form) && opensBlock(head, hs, at.column, form)) {
        const nested = value[key];
        put(
          ...this.orAlone(
            (): [string, unknown] => [key, this.nested(bs + 1, be, hs + 1, he, nested)],
            () => this.entryAlone(bs, be, at.column),
          ),
        );
      } else put(...this.entryAlone(bs, be, at.column));
    }
    return out;
  }

  list(at: Block, value: readonly unknown[]): unknown[] {
    const { base, head } = this;
    const h = itemStarts(head, at.hFrom, at.hTo, at.column);
    const b = itemStarts(base, at.bFrom, at.bTo, at.column);
    if (h.length - 1 !== value.length || b.length !== h.length) throw NO_FIT;
    const inner = at.column + 2;
    return value.map((item, i) => {
      const [bs, be, hs, he] = [b[i]!, b[i + 1]!, h[i]!, h[i + 1]!];
      if (sameText(base, bs, be, head, hs, he, at.column)) return item;
      const alone = () => this.itemAlone(bs, be, at.column);
      // `- key: …`: the item's mapping starts right after the dash and its space.
      const bodyOnDashLine = (lines: Lines, line: number) =>
        lines.starts[line]! + inner < lines.starts[line + 1]! - 1 && lines.text.charCodeAt(lines.starts[line]! + inner) !== SPACE;
      if (!isRecord(item) || !isNonEmpty(item) || !bodyOnDashLine(base, bs) || !bodyOnDashLine(head, hs)) return alone();
      const block = { bFrom: bs, bTo: be, hFrom: hs, hTo: he, column: inner };
      return this.orAlone(() => this.mapping(block, item), alone);
    });
  }

  /** `cut()`, or where it does not fit, `alone()` (which throws on to the whole file if that fails too). */
  private orAlone<T>(cut: () => T, alone: () => T): T {
    try {
      return cut();
    } catch (err) {
      if (!(err instanceof NoFit)) throw err;
      return alone();
    }
  }

  /** One mapping entry of the base parsed alone: its key and value. */
  private entryAlone(from: number, to: number, column: number): [string, unknown] {
    const word = to === from + 1 ? wordEntry(slice(this.base, from, to, column)) : undefined;
    if (word) return word;
    const parsed = parsedAlone(this.base, from, to, column);
    if (!isRecord(parsed)) throw NO_FIT;
    const keys = Object.keys(parsed);
    if (keys.length !== 1) throw NO_FIT;
    return [keys[0]!, parsed[keys[0]!]];
  }

  /** One list item of the base parsed alone. */
  private itemAlone(from: number, to: number, column: number): unknown {
    const parsed = parsedAlone(this.base, from, to, column);
    if (!Array.isArray(parsed) || parsed.length !== 1) throw NO_FIT;
    return parsed[0];
  }
}

/**
 * js-yaml's document of `baseText` (one object), built from `rendered` (the object pipeline/yaml.ts
 * wrote as `renderedText`) where the two texts agree; undefined where that does not work out.
 */
export function spliceBase(baseText: string, renderedText: string, rendered: Record<string, unknown>): Record<string, unknown> | undefined {
  const base = BASE_LINES.read(baseText);
  const head = RENDERED_LINES.read(renderedText);
  try {
    const b = firstContent(base, 0, base.count);
    const h = firstContent(head, 0, head.count);
    if (b.indent !== 0 || h.indent !== 0 || isDocumentMarker(base, b.line) || isDash(base, b.line, 0) || !startsEntry(b.code))
      return undefined;
    const block = { bFrom: b.line, bTo: base.count, hFrom: h.line, hTo: head.count, column: 0 };
    return new Splicer(base, head).mapping(block, rendered);
  } catch (err) {
    if (err instanceof NoFit) return undefined;
    throw err;
  } finally {
    base.text = head.text = '';
  }
}
