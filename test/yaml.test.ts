import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { toYamlDocument } from '../pipeline/yaml';
import { renderSite } from '../pipeline/render';
import { PLATFORM } from '../sites';

/** Reads a document back as YAML 1.2 (core schema) and as YAML 1.1, as go-yaml does. */
function readBack(text: string): { v12: unknown; v11: unknown } {
  return { v12: parse(text), v11: parse(text, { version: '1.1' }) };
}

const AWKWARD = [
  '',
  ' ',
  'yes',
  'No',
  'on',
  'y',
  '~',
  'null',
  'true',
  '0',
  '-1',
  '+1',
  '1.28',
  '.5',
  '1e3',
  '1_000',
  '0x1F',
  '0o17',
  '017',
  '.inf',
  '-.nan',
  '1:20',
  '2026-11-22',
  '2026-11-22T00:00:00Z',
  '100m',
  '2Gi',
  '10s',
  'v1.28',
  '0.0.0.0:4222',
  'a: b',
  'a #b',
  'a:',
  ':a',
  '-',
  '- a',
  '-a',
  '--check',
  '---',
  '--- x',
  '...',
  'a, b [c] {d}',
  '*',
  '&anchor',
  '!tag',
  '%x',
  '@x',
  '`x',
  '"quoted"',
  '{"json": "it\'s"}',
  'a "b" \n c',
  "'single'",
  '[a]',
  '{a}',
  'a,b',
  '#comment',
  '?x',
  '|x',
  '>x',
  'tab\there',
  'trailing ',
  ' leading',
  'line\nbreak',
  'ends with newline\n',
  'two newlines\n\n',
  '\nstarts with newline',
  '\n\n #after empty lines, indented',
  '\n \nafter a line of spaces',
  '\n\tafter an empty line, a tab',
  'text\n\n  indented after an empty line\n',
  '  indented\nblock',
  'crlf\r\nline',
  'unicode é ✓ 😀',
  '\u2028separator',
  'c1 \u0090 control',
  'c1 \u0085 next line',
  '$NATS_PASSWORD',
  '$(VAR)',
  'https://example.org/a?b=c#d',
  'key=value',
  'sha256:0123',
  '<<',
  '=',
];

describe('YAML emitter', () => {
  it.each(AWKWARD.map((s) => [JSON.stringify(s), s]))('round-trips the string %s as a value and as a key', (_label, s) => {
    const value = { [s]: s, list: [s, { [s]: [s] }] };
    const text = toYamlDocument(value);
    // YAML allows no raw C0/C1 controls (but tab and line feed) nor DEL: they must be escaped.
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    const { v12, v11 } = readBack(text);
    expect(v12).toEqual(value);
    expect(v11).toEqual(value);
  });

  it('round-trips numbers, booleans, null, empty collections and nesting', () => {
    const value = {
      a: 1,
      b: -2.5,
      c: true,
      d: false,
      e: null,
      f: [],
      g: {},
      h: [[1, [2]], [], {}],
      i: { j: { k: [{ l: 'm', n: [{}] }] } },
    };
    const { v12, v11 } = readBack(toYamlDocument(value));
    expect(v12).toEqual(value);
    expect(v11).toEqual(value);
  });

  // An object an earlier site rendered the same (the same JSON) is written the same: read back once.
  const readBackAlready = new Set<string>();
  it.each(PLATFORM.sites.map((site) => [site.name, site] as const))(
    'round-trips every object the platform renders on %s',
    (_name, site) => {
      let count = 0;
      for (const component of renderSite(site, PLATFORM).components) {
        for (const object of component.objects) {
          count++;
          const json = JSON.stringify(object);
          if (readBackAlready.has(json)) continue;
          readBackAlready.add(json);
          const { v12, v11 } = readBack(toYamlDocument(object));
          // node's comparison first (jest's is several times slower on whole objects); jest's, with its diff, when they differ.
          if (!isDeepStrictEqual(v12, object)) expect(v12).toEqual(object);
          if (!isDeepStrictEqual(v11, object)) expect(v11).toEqual(object);
        }
      }
      expect(count).toBeGreaterThan(100);
    },
  );

  it('writes multi-line text as a block literal and simple strings plain', () => {
    expect(toYamlDocument({ script: 'set -e\necho ok\n', cpu: '100m', host: 'a.b' })).toBe(
      'script: |\n  set -e\n  echo ok\ncpu: 100m\nhost: a.b\n',
    );
  });
});
