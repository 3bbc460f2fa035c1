/**
 * The diff's shortcuts give what the reference gives: the field walk gives jsondiffpatch's
 * changes, the streaming diff one site at a time gives the whole-tree diff, and the Markdown of a
 * diff too long to list stays bounded.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { semanticDiff, RenderedDiff, baseOfTree, toMarkdown, type RatedChange } from '../pipeline/diff';
import { diffValues, diffValuesByDelta } from '../pipeline/diff/fields';
import type { FileTree } from '../pipeline/files';
import { PLATFORM_FILES, random } from './diff-helpers';

const jsYaml = (text: string) => loadAll(text, null, { schema: CORE_SCHEMA });

const PIECES = [
  'a',
  'b c',
  '0',
  '1.5',
  '-',
  '-x',
  ':',
  ': ',
  ' #',
  '#',
  '"',
  "'",
  '\n',
  '\n\n',
  ' ',
  '\t',
  'yes',
  'null',
  '~',
  'true',
  '0x1F',
  '1e3',
  '.inf',
  '[',
  '{',
  '*',
  '&',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  'é',
  '\u2028',
  '\u0085',
  '---',
  '...',
];

function value(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 3 || r < 0.45) {
    if (r < 0.05) return Math.round(next() * 1e6) / (next() < 0.5 ? 1 : 1000);
    if (r < 0.08) return next() < 0.5;
    if (r < 0.1) return null;
    return Array.from({ length: Math.floor(next() * 4) }, () => PIECES[Math.floor(next() * PIECES.length)]).join('');
  }
  const n = Math.floor(next() * 4);
  if (r < 0.7) return Array.from({ length: n }, () => value(next, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[String(value(next, 9))] = value(next, depth + 1);
  return o;
}

describe('the field walk', () => {
  it('gives jsondiffpatch’s changes on every committed object against its edited versions', () => {
    const edits: ((o: Record<string, unknown>) => unknown)[] = [
      (o) => JSON.parse(JSON.stringify(o).replace(/"platform"/g, '"platform-v1"')),
      (o) => JSON.parse(JSON.stringify(o).replace(/"name":"([a-z])/g, '"name":"x$1')),
      (o) =>
        JSON.parse(JSON.stringify(o, (_k, v: unknown) => (Array.isArray(v) && typeof v[0] === 'object' ? [{ name: 'first' }, ...v] : v))),
      (o) => JSON.parse(JSON.stringify(o, (_k, v: unknown) => (Array.isArray(v) ? [...v].reverse() : v))),
      (o) => JSON.parse(JSON.stringify(o, (_k, v: unknown) => (Array.isArray(v) && v.length > 1 ? v.slice(1) : v))),
      (o) => JSON.parse(JSON.stringify(o).replace(/:(\d+)/g, ':1$1')),
    ];
    let pairs = 0;
    for (const [p, content] of PLATFORM_FILES) {
      const docs = p.endsWith('.yaml') ? (jsYaml(content) as Record<string, unknown>[]) : undefined;
      for (const doc of docs ?? [])
        for (const edit of edits) {
          const after = edit(doc);
          pairs++;
          expect(diffValues(doc, after)).toStrictEqual(diffValuesByDelta(doc, after));
        }
    }
    expect(pairs).toBeGreaterThan(1500);
  });

  it('gives jsondiffpatch’s changes on random values, lists of named items with duplicates included', () => {
    const next = random(5);
    const named = () => ({ name: ['a', 'b', 'c'][Math.floor(next() * 3)], v: value(next, 2) });
    for (let i = 0; i < 2000; i++) {
      const pick = () => (next() < 0.5 ? value(next, 0) : Array.from({ length: Math.floor(next() * 5) }, named));
      const before = { x: pick(), y: { z: pick() } };
      const after = next() < 0.3 ? before : { x: pick(), y: { z: pick() } };
      expect(diffValues(before, after)).toStrictEqual(diffValuesByDelta(before, after));
    }
  });

  it('gives jsondiffpatch’s changes on lists whose every item changed, or some, long lists and NaN included', () => {
    const next = random(11);
    const item = (): unknown => {
      const r = next();
      if (r < 0.15) return Math.floor(next() * 3);
      if (r < 0.2) return String(Math.floor(next() * 3));
      if (r < 0.25) return next() < 0.5 ? null : NaN;
      if (r < 0.35) return [Math.floor(next() * 3)];
      if (r < 0.5) return { name: ['a', 'b'][Math.floor(next() * 2)], v: Math.floor(next() * 2) };
      return { podSelector: { matchLabels: { part: ['x', 'y', 'z'][Math.floor(next() * 3)] } } };
    };
    for (let i = 0; i < 3000; i++) {
      const list = () => Array.from({ length: Math.floor(next() * (next() < 0.2 ? 14 : 4)) }, item);
      const before = { spec: { rules: list() } };
      const after = { spec: { rules: list() } };
      expect(diffValues(before, after)).toStrictEqual(diffValuesByDelta(before, after));
    }
  });
});

describe('the diff one site at a time', () => {
  /** The committed tree with a label changed on every object and cluster2's bus files gone. */
  const edited: FileTree = new Map(
    [...PLATFORM_FILES]
      .filter(([p]) => !p.startsWith('cluster2/bus/'))
      .map(([p, c]) => [p, c.replace(/part-of: platform\n/g, 'part-of: platform-v2\n')]),
  );

  it('gives the whole-tree diff, however the sites are handed over', () => {
    const whole = semanticDiff(PLATFORM_FILES, edited);
    const diff = new RenderedDiff(baseOfTree(PLATFORM_FILES));
    const sites = new Map<string, { path: string; content: string }[]>();
    for (const [path, content] of [...edited].reverse()) {
      const site = path.includes('/') ? path.split('/')[0]! : '';
      sites.set(site, [...(sites.get(site) ?? []), { path, content }]);
    }
    for (const files of sites.values()) diff.add(files);
    expect(diff.finish()).toStrictEqual(whole);
    expect(whole.filter((c) => c.risk === 'high').length).toBeGreaterThan(10);
    expect(() => diff.add([])).toThrow(/after the diff was finished/);
  });

  it('lists every high and medium change and a bounded number of lows, counting the others where they are', () => {
    const changes: RatedChange[] = semanticDiff(PLATFORM_FILES, edited);
    const lows = changes.filter((c) => c.risk === 'low' && c.notes.length === 0 && c.scope === 'object' && c.type === 'changed');
    const header = { baseRef: 'main', baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40) };
    const full = toMarkdown(changes, header, { listedLows: Infinity });
    const bounded = toMarkdown(changes, header, { listedLows: 10, fullCommand: '`npm run diff -- --base aaaaaaaaaaaa --full`' });
    expect(full).not.toMatch(/not listed/);
    expect(bounded.length).toBeLessThan(full.length / 2);
    expect(bounded).toContain(`of the ${lows.length} other low changes the first 10 are, and the ${lows.length - 10} others are counted`);
    expect(bounded).toContain('Every change: `npm run diff -- --base aaaaaaaaaaaa --full`.');
    expect(bounded).toMatch(/^\| component \| sites \| high \| medium \| low \|$/m);
    const counted = [...bounded.matchAll(/(\d+) more low change\(s\), not listed|(?:^|; )[a-z-]+ (\d+) \(/gm)].map((m) =>
      Number(m[1] ?? m[2]),
    );
    expect(counted.reduce((a, b) => a + b, 0)).toBe(lows.length - 10);
    for (const c of changes.filter((x) => x.risk !== 'low' && x.scope === 'object'))
      expect(bounded).toContain(`\`${c.scope === 'object' ? c.id : ''}\`: ${c.risk === 'high' ? '🔴 high' : '🟠 medium'}`);
  });
});
