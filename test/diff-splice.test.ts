/**
 * The base side of a changed file, parsed only where it differs from the rendered text
 * (pipeline/diff/splice.ts), is exactly what js-yaml gives for the whole base text, or undefined
 * (the diff then parses the whole file): on every committed object file against edited texts of
 * it, canonical or not, and on random values; and the diff with the render's documents gives the
 * diff without them.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { semanticDiff } from '../pipeline/diff';
import { spliceBase } from '../pipeline/diff/splice';
import type { FileTree } from '../pipeline/files';
import { toYamlDocument } from '../pipeline/yaml';
import { PLATFORM_FILES, random } from './diff-helpers';

const jsYaml = (text: string) => loadAll(text, null, { schema: CORE_SCHEMA });

/** What js-yaml reads, or undefined when it fails. */
function slowParse(text: string): unknown[] | undefined {
  try {
    return jsYaml(text);
  } catch {
    return undefined;
  }
}

/** The committed object files with one document, as the render hands them over: text and object. */
const OBJECT_FILES = [...PLATFORM_FILES]
  .filter(([p]) => p.split('/').length === 3 && p.endsWith('.yaml'))
  .map(([path, text]) => ({ path, text, object: jsYaml(text)[0] as Record<string, unknown> }));

/** Lines the edits put into a text: YAML's awkward corners. */
const ODD_LINES = [
  '# a comment',
  '',
  '   ',
  '---',
  '...',
  '%YAML 1.2',
  '? key',
  ': value',
  '- item',
  '-',
  '\tkey: tab',
  'key: &anchor value',
  'other: *anchor',
  'key: !!str 1',
  'key: |2',
  '    indented',
  'key: "open',
  'close"',
  'key: [a,',
  'b]',
  '\ufeffkey: bom',
  'key: value\r',
  'name: duplicate',
  'metadata:',
  '__proto__: x',
];

/** Edits of one line of a text, picked by `next`. */
const LINE_EDITS: ((lines: string[], at: number, next: () => number) => void)[] = [
  (lines, at) => lines.splice(at, 1),
  (lines, at) => lines.splice(at, 0, lines[at]!),
  (lines, at, next) => lines.splice(at, 0, ODD_LINES[Math.floor(next() * ODD_LINES.length)]!),
  (lines, at, next) => (lines[at] = `${' '.repeat(Math.floor(next() * 8))}${ODD_LINES[Math.floor(next() * ODD_LINES.length)]!}`),
  (lines, at) => (lines[at] = ` ${lines[at]!}`),
  (lines, at) => (lines[at] = lines[at]!.replace(/^ {2}/, '')),
  (lines, at) => (lines[at] = `${lines[at]!} # trailing`),
  (lines, at) => (lines[at] = lines[at]!.replace(/: (.+)$/, ': "$1"')),
  (lines, at) => (lines[at] = lines[at]!.replace(/: .+$/, ':')),
  (lines, at) => (lines[at] = lines[at]!.replace(/- /, '-   ')),
  (lines, at, next) => (lines[at] = lines[Math.floor(next() * lines.length)]!),
];

describe('the base parsed where it differs', () => {
  it('starts from the emitter’s own text for every committed object', () => {
    expect(OBJECT_FILES.length).toBeGreaterThan(400);
    for (const { text, object } of OBJECT_FILES) expect(text.replace(/^#.*\n/, '')).toBe(toYamlDocument(object));
  });

  it('gives what js-yaml gives, through the cut, for a label changed on every object', () => {
    let spliced = 0;
    for (const { text, object } of OBJECT_FILES) {
      const base = text.replace(/part-of: platform\n/g, 'part-of: platform-v0\n').replace(/^( *)name: (.+)$/gm, '$1name: x-$2');
      const value = spliceBase(base, text, object);
      if (base !== text) expect(value).toBeDefined();
      if (value !== undefined) spliced++;
      expect(JSON.stringify(value)).toBe(JSON.stringify(jsYaml(base)[0]));
    }
    expect(spliced).toBe(OBJECT_FILES.length);
  });

  it('reads a one-line entry of two words as js-yaml does, the words the core schema does not read as strings included', () => {
    const values = ['platform-v1', 'a-value.longer_than/13-characters', 'null', 'Null', 'NULL', 'True', 'FALSE', 'Yes', 'nan', 'x1'];
    const others = ['1e3', '0x1F', '.inf', '~', '-x', 'x: y', 'x #c', "'q'", 'é'];
    const keys = ['app.kubernetes.io/part-of', 'null', 'TRUE', 'False', 'x-1'];
    let checked = 0;
    for (const { text, object } of OBJECT_FILES.filter((f) => f.text.includes('part-of: platform\n')).slice(0, 40))
      for (const value of [...values, ...others])
        for (const key of keys) {
          const base = text.replace(/( *)app\.kubernetes\.io\/part-of: platform\n/g, `$1${key}: ${value}\n`);
          const spliced = spliceBase(base, text, object);
          const slow = slowParse(base);
          if (spliced === undefined) continue;
          checked++;
          expect(JSON.stringify(spliced)).toBe(JSON.stringify(slow![0]));
          expect(Object.keys(spliced)).toEqual(Object.keys(slow![0] as object));
        }
    expect(checked).toBeGreaterThan(1000);
  });

  it('gives what js-yaml gives for the whole text, or nothing, on texts edited line by line', () => {
    const next = random(17);
    const outcomes = { spliced: 0, declined: 0, unparsable: 0 };
    for (const { text, object } of OBJECT_FILES)
      for (let round = 0; round < 3; round++) {
        const lines = text.split('\n');
        for (let e = 1 + Math.floor(next() * 3); e > 0; e--) {
          const edit = LINE_EDITS[Math.floor(next() * LINE_EDITS.length)]!;
          edit(lines, Math.floor(next() * (lines.length - 1)), next);
        }
        const base = lines.join('\n');
        const slow = slowParse(base);
        const value = spliceBase(base, text, object);
        if (slow === undefined) outcomes.unparsable++;
        if (value === undefined) {
          outcomes.declined++;
          continue;
        }
        outcomes.spliced++;
        expect(slow).toHaveLength(1);
        // The same values with their keys in the same order (the field changes follow it).
        expect(JSON.stringify(value)).toBe(JSON.stringify(slow![0]));
      }
    // Each outcome is met often: the cut is taken, and it declines what it cannot read.
    expect(outcomes.spliced).toBeGreaterThan(400);
    expect(outcomes.declined - outcomes.unparsable).toBeGreaterThan(3);
    expect(outcomes.unparsable).toBeGreaterThan(500);
  });

  it('reads the emitter’s text of random values changed at random', () => {
    const next = random(3);
    const pieces = ['a', 'b c', '0', '-x', ': ', ' #', '"', "'", '\n', '\n\n', 'yes', '~', '[', '*', '&', '|', '---', 'é', '\u2028'];
    const scalar = (): unknown => {
      const r = next();
      if (r < 0.1) return Math.round(next() * 1000);
      if (r < 0.15) return next() < 0.5;
      if (r < 0.2) return null;
      return Array.from({ length: Math.floor(next() * 4) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
    };
    const value = (depth: number): unknown => {
      const r = next();
      if (depth > 3 || r < 0.35) return scalar();
      const n = Math.floor(next() * 4);
      if (r < 0.6) return Array.from({ length: n }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) o[String(scalar())] = value(depth + 1);
      return o;
    };
    /** A copy of `v` with about one value in `1 / rate` replaced, added or removed. */
    const changed = (v: unknown, rate: number): unknown => {
      if (next() < rate) return value(2);
      if (Array.isArray(v)) return v.map((x) => changed(x, rate));
      if (typeof v !== 'object' || v === null) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (next() > rate / 2) out[k] = changed(x, rate);
      if (next() < rate) out[String(scalar())] = value(2);
      return out;
    };
    let spliced = 0;
    for (let i = 0; i < 1000; i++) {
      const head = { kind: 'Thing', spec: value(0), more: value(1) };
      const base = changed(head, 0.15);
      const [headText, baseText] = [toYamlDocument(head), toYamlDocument(base)];
      // The cut takes the rendered text to be what the rendered object reads back as.
      expect(JSON.stringify(jsYaml(headText)[0])).toBe(JSON.stringify(head));
      const got = spliceBase(baseText, headText, head);
      if (got === undefined) continue;
      spliced++;
      expect(JSON.stringify(got)).toBe(JSON.stringify(jsYaml(baseText)[0]));
    }
    expect(spliced).toBeGreaterThan(800);
  });

  it('leaves the diff as it is without the render’s documents', () => {
    const edited: FileTree = new Map(
      [...PLATFORM_FILES].map(([p, c]) => [
        p,
        c.replace(/part-of: platform\n/g, 'part-of: platform-v2\n').replace(/replicas: 2\n/g, 'replicas: 3\n'),
      ]),
    );
    const documents = (p: string) => (p.split('/').length === 3 && p.endsWith('.yaml') ? jsYaml(edited.get(p)!) : undefined);
    const withDocuments = semanticDiff(PLATFORM_FILES, edited, { afterBodies: documents });
    expect(withDocuments).toStrictEqual(semanticDiff(PLATFORM_FILES, edited));
    expect(withDocuments.length).toBeGreaterThan(300);
  });
});
