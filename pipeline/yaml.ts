/**
 * A small YAML emitter for the JSON-shaped data we render (maps, lists, strings, numbers,
 * booleans, null). The `yaml` library takes about 0.35 ms an object to stringify, more than the
 * whole render; this writes block-style YAML directly. Strings are written plain only when every
 * YAML 1.1 and 1.2 reader (go-yaml in kubectl and Argo CD, the `yaml` library) reads them back as
 * the same string; anything doubtful is double-quoted. test/yaml.test.ts proves the round trip
 * with the `yaml` parser under both versions, on every rendered object and on awkward strings.
 */

const INDENT = '  ';

/** Scalars YAML 1.1 or 1.2 would read as something other than a string. */
const SPECIAL_WORD = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|=|<<)$/;
const NUMBER_LIKE = [
  /^[-+]?(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][-+]?[0-9]+)?$/, // ints and floats, with 1.1's underscores
  /^[-+]?0[xob][0-9a-fA-F_]+$/, // hex, octal, binary
  /^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/, // infinities and NaN
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/, // 1.1 sexagesimal (1:20)
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/, // timestamps
];
/* eslint-disable no-control-regex -- control characters are exactly what these patterns look for */

/** Characters a plain scalar may not start with. */
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`\s]/;

/**
 * Verdicts of isPlainSafe already reached: the same keys and values (names, labels, images) come
 * back in object after object, and the regular expressions cost more than a lookup. Bounded,
 * short strings only.
 */
const plainVerdicts = new Map<string, boolean>();
const MAX_VERDICTS = 20_000;

function isPlainSafe(s: string): boolean {
  // Long texts (configuration files) are not worth keeping.
  if (s.length > 200) return plainVerdict(s);
  const known = plainVerdicts.get(s);
  if (known !== undefined) return known;
  const verdict = plainVerdict(s);
  if (plainVerdicts.size >= MAX_VERDICTS) plainVerdicts.clear();
  plainVerdicts.set(s, verdict);
  return verdict;
}

function plainVerdict(s: string): boolean {
  if (s === '' || s !== s.trim()) return false;
  // `-x` is plain; `---` and `...` would read as document markers.
  if ((INDICATOR_START.test(s) && !/^-\S/.test(s)) || s.startsWith('---') || s.startsWith('...')) return false;
  // Control characters, line breaks, and the sequences that end or comment a plain scalar.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(s) || s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false;
  if (SPECIAL_WORD.test(s)) return false;
  if (s.startsWith('-') && NUMBER_LIKE.some((r) => r.test(s))) return false;
  return !NUMBER_LIKE.some((r) => r.test(s));
}

function quoted(s: string): string {
  // JSON in a string reads better single-quoted (no escapes), which is only possible for printable text.
  if (s.includes('"') && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(s)) return `'${s.replace(/'/g, "''")}'`;
  // JSON escapes C0 controls; YAML also wants DEL, the C1 range and the Unicode separators escaped.
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A multi-line string as a block literal, when the literal reads back exactly. */
function blockLiteral(s: string, indent: string): string | undefined {
  if (!s.includes('\n') || /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\r]/.test(s)) return undefined;
  // Counted, not matched: /\n*$/ tries every position of a long text.
  let trailing = 0;
  while (trailing < s.length && s.charCodeAt(s.length - 1 - trailing) === 10) trailing++;
  const body = s.slice(0, s.length - trailing);
  // A block's indentation is read from its first non-empty line: one starting with a space or a
  // tab, or a line of blanks before it, would need an indentation indicator; keep to the simple case.
  let start = 0;
  while (body.charCodeAt(start) === 10) start++;
  const end = body.indexOf('\n', start);
  const first = body.slice(start, end < 0 ? body.length : end);
  if (first === '' || first.startsWith(' ') || first.startsWith('\t')) return undefined;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const text = s.slice(0, trailing > 1 ? s.length - 1 : body.length);
  // Every non-empty line indented, in one pass over the text: a line is empty when a line break
  // or the end follows its start (no array of lines, no copy of each line).
  return `|${chomp}\n${text.charCodeAt(0) === 10 ? '' : indent}${text.replace(NON_EMPTY_LINE_AFTER, `\n${indent}`)}`;
}

/** A line break followed by a non-empty line. */
const NON_EMPTY_LINE_AFTER = /\n(?=[^\n])/g;

function scalar(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`YAML: cannot write the number ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return isPlainSafe(value) ? value : (blockLiteral(value, indent) ?? quoted(value));
  throw new Error(`YAML: cannot write a ${typeof value}`);
}

function key(k: string): string {
  return isPlainSafe(k) ? k : quoted(k);
}

function isCollection(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object';
}

function isEmpty(v: Record<string, unknown> | unknown[]): boolean {
  if (Array.isArray(v)) return v.length === 0;
  for (const k in v) if (v[k] !== undefined) return false;
  return true;
}

/**
 * Lines of a non-empty collection at `indent`; its first line starts with `lead` instead (a list
 * item's dash, as wide as `indent`), so an item is written in place, not copied from lines of its own.
 */
function collection(value: Record<string, unknown> | unknown[], indent: string, lead: string, out: string[]): void {
  let prefix = lead;
  if (Array.isArray(value)) {
    const inner = indent + INDENT;
    // Indexed loops: code V8 has not optimized allocates an iterator result for each item of a for-of.
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      // The first line of the item goes on the dash line.
      if (isCollection(item) && !isEmpty(item)) collection(item, inner, `${prefix}- `, out);
      else out.push(`${prefix}- ${isCollection(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item, inner)}`);
      prefix = indent;
    }
    return;
  }
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = value[k];
    if (v === undefined) continue;
    if (isCollection(v) && !isEmpty(v)) {
      out.push(`${prefix}${key(k)}:`);
      // Lists sit under their key, indented like the `yaml` library's default.
      const inner = indent + INDENT;
      collection(v, inner, inner, out);
    } else {
      out.push(`${prefix}${key(k)}: ${isCollection(v) ? (Array.isArray(v) ? '[]' : '{}') : scalar(v, indent + INDENT)}`);
    }
    prefix = indent;
  }
}

/** One YAML document for a JSON-shaped value, ending with a newline. */
export function toYamlDocument(value: unknown): string {
  if (!isCollection(value)) return `${scalar(value, INDENT)}\n`;
  if (isEmpty(value)) return Array.isArray(value) ? '[]\n' : '{}\n';
  const out: string[] = [];
  collection(value, '', '', out);
  // The closing line break as an empty last line: appended after the join, the document would be
  // a concatenation, copied whole again when first written or hashed.
  out.push('');
  return out.join('\n');
}
