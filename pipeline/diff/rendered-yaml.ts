/**
 * A reader for the YAML that synth writes (pipeline/yaml.ts: one block-style document, maps and
 * lists by indentation, scalars plain, double-quoted as JSON, single-quoted or block literals),
 * about five times faster than js-yaml on the rendered files, for the diff's base side (every
 * changed file of the base is parsed). It reads nothing else: anything outside that form (flow
 * collections, anchors, tags, comments after a value, several documents, a multi-line plain or
 * quoted scalar...) gives undefined, and the caller parses the file with js-yaml. Plain scalars
 * are resolved by js-yaml's own core-schema types (null, bool, int, float), so a value reads as
 * js-yaml reads it; test/diff-yaml.test.ts compares the two on every rendered file and on the
 * awkward strings of test/yaml.test.ts.
 */
import * as jsyaml from 'js-yaml';

/** The core schema's implicit types, in js-yaml's order (null, bool, int, float). */
const IMPLICIT = (jsyaml.CORE_SCHEMA as unknown as { implicit: readonly jsyaml.Type[] }).implicit;

/** Not this reader's form: the file is left to js-yaml. */
class Unread extends Error {}

const unread = (): never => {
  throw new Unread();
};

/** First characters of a plain scalar that an implicit type may resolve (null ~, n, N; bool t, f; numbers). */
const MAYBE_TYPED = /^[-+.0-9~nNtTfF]/;
/** Characters a plain scalar may not start with, or hold, in our reading (js-yaml would read more or differently). */
const PLAIN_START = /^[-?:,[\]{}#&*!|>'"%@`\s]/;
const PLAIN_BAD = /: |\s#|:$|\t|[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]|^\s|\s$/;

function plain(token: string): unknown {
  // `-x` reads as a plain scalar; `- x`, `-` do not.
  if (token === '' || (PLAIN_START.test(token) && !/^-[^\s]/.test(token)) || PLAIN_BAD.test(token)) unread();
  if (token.startsWith('---') || token.startsWith('...')) unread();
  if (MAYBE_TYPED.test(token)) for (const type of IMPLICIT) if (type.resolve(token)) return type.construct(token);
  return token;
}

/** The scalar that `text` is, whole (no comment after it). */
function scalar(text: string): unknown {
  const first = text.charCodeAt(0);
  if (first === 0x22) {
    // Double-quoted, as JSON writes it: JSON's escapes are YAML's and mean the same.
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'string' ? value : unread();
    } catch {
      return unread();
    }
  }
  if (first === 0x27) return /^'(?:[^']|'')*'$/.test(text) && !/[\t\n]/.test(text) ? text.slice(1, -1).replace(/''/g, "'") : unread();
  if (text === '[]') return [];
  if (text === '{}') return {};
  return plain(text);
}

/** Where a map key ends in `text` (the index of its `:`), or -1 when `text` is not a map entry. */
function keyEnd(text: string): number {
  const first = text.charCodeAt(0);
  let end: number;
  if (first === 0x22) {
    end = 1;
    while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
    end++;
  } else if (first === 0x27) {
    end = 1;
    while (end < text.length && !(text.charCodeAt(end) === 0x27 && text.charCodeAt(end + 1) !== 0x27)) end += text.charCodeAt(end) === 0x27 ? 2 : 1;
    end++;
  } else {
    const colon = text.indexOf(': ');
    if (colon >= 0) return colon;
    return text.endsWith(':') ? text.length - 1 : -1;
  }
  return text.charCodeAt(end) === 0x3a && (end + 1 === text.length || text.charCodeAt(end + 1) === 0x20) ? end : -1;
}

const indentOf = (line: string) => {
  let n = 0;
  while (line.charCodeAt(n) === 0x20) n++;
  return n;
};

class Reader {
  private at = 0;
  constructor(private readonly lines: string[]) {}

  /** Skips empty lines and whole-line comments; the next line's indentation, or -1 at the end. */
  private next(): number {
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      const indent = indentOf(line);
      if (indent === line.length || line.charCodeAt(indent) === 0x23) this.at++;
      else {
        if (line.charCodeAt(indent) === 0x09) unread();
        return indent;
      }
    }
    return -1;
  }

  document(): unknown {
    const indent = this.next();
    if (indent !== 0) unread();
    const line = this.lines[this.at]!;
    if (line.startsWith('---') || line.startsWith('...') || line.startsWith('%')) unread();
    const value = this.node(0);
    if (this.next() !== -1) unread();
    return value;
  }

  /** The collection whose first line (at `indent`) is the current one. */
  private node(indent: number): unknown {
    const line = this.lines[this.at]!;
    return line.startsWith('- ', indent) ? this.list(indent) : this.map(indent);
  }

  private list(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let i = this.next(); i === indent; i = this.next()) {
      const line = this.lines[this.at]!;
      if (!line.startsWith('- ', indent)) break;
      out.push(this.inline(line.slice(indent + 2), indent + 2, indent));
    }
    if (this.next() > indent) unread();
    return out;
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = this.next(); i === indent; i = this.next()) {
      const line = this.lines[this.at]!;
      if (line.startsWith('- ', indent)) break;
      const text = line.slice(indent);
      const end = keyEnd(text);
      if (end <= 0) unread();
      const keyText = text.slice(0, end);
      const key = keyText.charCodeAt(0) === 0x22 || keyText.charCodeAt(0) === 0x27 ? scalar(keyText) : plainKey(keyText);
      if (typeof key !== 'string' || key === '__proto__' || Object.prototype.hasOwnProperty.call(out, key)) unread();
      const rest = text.slice(end + 1);
      if (rest === '') {
        this.at++;
        const child = this.next();
        out[key as string] =
          child > indent || (child === indent && this.lines[this.at]!.startsWith('- ', indent)) ? this.node(child) : null;
      } else out[key as string] = this.value(rest.slice(1), indent);
    }
    if (this.next() > indent) unread();
    return out;
  }

  /** What follows `- ` on a list item at column `column` (its parent list at `parent`). */
  private inline(text: string, column: number, parent: number): unknown {
    if (text.startsWith('- ') || keyEnd(text) > 0) {
      // A collection starting on the dash line: read it as if it began on a line of its own.
      this.lines[this.at] = ' '.repeat(column) + text;
      return this.node(column);
    }
    return this.value(text, parent);
  }

  /** A value after `key: ` or `- ` (its line at `indent`): a scalar, or a block literal on the lines after. */
  private value(text: string, indent: number): unknown {
    this.at++;
    if (text.charCodeAt(0) !== 0x7c) return scalar(text);
    const chomp = text.slice(1);
    if (chomp !== '' && chomp !== '-' && chomp !== '+') unread();
    const lines: string[] = [];
    let block = -1;
    let trailing = 0;
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      if (line === '') {
        trailing++;
        this.at++;
        continue;
      }
      const lead = indentOf(line);
      // A line of spaces only: YAML's reading depends on its length; not this reader's form.
      if (lead === line.length) unread();
      if (block < 0) {
        if (lead <= indent) break;
        block = lead;
      }
      if (lead < block) {
        if (lead > indent) unread();
        break;
      }
      for (; trailing > 0; trailing--) lines.push('');
      lines.push(line.slice(block));
      this.at++;
    }
    if (block < 0) unread();
    const body = lines.join('\n');
    return chomp === '-' ? body : chomp === '+' ? `${body}\n${'\n'.repeat(trailing)}` : `${body}\n`;
  }
}

/** A plain key: a string as js-yaml would read it (a key that reads as a number or a boolean is left to js-yaml). */
function plainKey(text: string): unknown {
  if (MAYBE_TYPED.test(text) && IMPLICIT.some((type) => type.resolve(text))) unread();
  return plain(text);
}

/** What js-yaml refuses in any input (its PATTERN_NON_PRINTABLE), and the line breaks and BOM it reads its own way. */
const NOT_READ = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]|[\r\x85\u2028\u2029\ufeff]/;

/** The document of a file synth wrote, or undefined when the file is not in that form (parse it with js-yaml). */
export function readRendered(content: string): unknown[] | undefined {
  if (!content.endsWith('\n') || NOT_READ.test(content)) return undefined;
  const lines = content.split('\n');
  lines.pop();
  try {
    return [new Reader(lines).document()];
  } catch (err) {
    if (err instanceof Unread) return undefined;
    throw err;
  }
}
