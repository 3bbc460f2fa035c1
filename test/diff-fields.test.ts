import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { semanticDiff, toMarkdown, toText, type RatedObjectChange } from '../pipeline/diff';
import { diffValues } from '../pipeline/diff/fields';
import { parseObjects } from '../pipeline/diff/objects';
import { parseAllDocuments } from 'yaml';
import { PLATFORM_FILES } from './diff-helpers';
import { hunkHeader, lineDiff } from '../pipeline/diff/text';
import type { FileBodies, FileTree } from '../pipeline/files';
import { renderTree } from '../pipeline/synth';
import { PLATFORM } from '../sites';
import { tempDir } from './helpers';

// Lists are compared item by item, matched by name (or by content when an item has no name).
const HEADER = { baseRef: 'main', baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40), headBranch: 'feature' };

describe('field changes of one object', () => {
  const pod = (containers: unknown[]) => ({ spec: { template: { spec: { containers } } } });
  const app = (env: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'a:1', env, ...extra });

  it('match containers and env variables by name and show only the item that changed', () => {
    const before = pod([
      app([
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ]),
      { name: 'sidecar', image: 's:1' },
    ]);
    const after = pod([
      app([
        { name: 'B', value: '3' },
        { name: 'A', value: '1' },
        { name: 'C', value: '4' },
      ]),
      { name: 'sidecar', image: 's:1' },
    ]);
    expect(diffValues(before, after)).toEqual([
      { path: 'spec.template.spec.containers[name=app].env[name=B].value', before: '2', after: '3' },
      { path: 'spec.template.spec.containers[name=app].env[name=C]', after: { name: 'C', value: '4' } },
      { path: 'spec.template.spec.containers[name=app].env (order)', before: ['name=A', 'name=B'], after: ['name=B', 'name=A', 'name=C'] },
    ]);
    // A removed container is one change naming it, with its whole value: nothing cut.
    const long = 'x'.repeat(500);
    const removed = diffValues(pod([app([]), { name: 'sidecar', image: long }]), pod([app([])]));
    expect(removed).toEqual([{ path: 'spec.template.spec.containers[name=sidecar]', before: { name: 'sidecar', image: long } }]);
  });

  it('match ports, volumes and claim templates by name, AppProject destinations by namespace and server', () => {
    expect(
      diffValues(
        {
          ports: [
            { name: 'http', containerPort: 80 },
            { name: 'metrics', containerPort: 9090 },
          ],
        },
        {
          ports: [
            { name: 'http', containerPort: 8080 },
            { name: 'metrics', containerPort: 9090 },
          ],
        },
      ),
    ).toEqual([{ path: 'ports[name=http].containerPort', before: 80, after: 8080 }]);
    expect(
      diffValues({ t: [{ metadata: { name: 'data' }, spec: { size: 1 } }] }, { t: [{ metadata: { name: 'data' }, spec: { size: 2 } }] }),
    ).toEqual([{ path: 't[name=data].spec.size', before: 1, after: 2 }]);
    const dest = (ns: string) => ({ namespace: ns, server: 'https://kubernetes.default.svc' });
    expect(diffValues({ destinations: [dest('a'), dest('bus'), dest('resizer')] }, { destinations: [dest('a'), dest('bus')] })).toEqual([
      { path: 'destinations[namespace=resizer,server=https://kubernetes.default.svc]', before: dest('resizer') },
    ]);
  });

  it('show a NetworkPolicy rule or a kustomization resource that went away as that item alone', () => {
    const rule = (port: number) => ({ from: [{ podSelector: { matchLabels: { app: `a${port}` } } }], ports: [{ port, protocol: 'TCP' }] });
    expect(diffValues({ spec: { ingress: [rule(1), rule(2), rule(3)] } }, { spec: { ingress: [rule(1), rule(3)] } })).toEqual([
      { path: 'spec.ingress[1]', before: rule(2) },
    ]);
    expect(diffValues({ resources: ['a.yaml', 'b.yaml', 'c.yaml'] }, { resources: ['a.yaml', 'c.yaml', 'd.yaml'] })).toEqual([
      { path: 'resources[2]', after: 'd.yaml' },
      { path: 'resources[1]', before: 'b.yaml' },
    ]);
    expect(diffValues({ a: 1 }, { a: 1 })).toEqual([]);
  });
});

describe('parsing the rendered files', () => {
  it('reads every committed object file as the yaml library does (js-yaml, core schema)', () => {
    let files = 0;
    for (const [p, content] of PLATFORM_FILES) {
      const objects = parseObjects(p, content);
      if (!objects) continue;
      files++;
      expect(objects.map((o) => o.body)).toEqual(parseAllDocuments(content).map((d) => d.toJS()));
    }
    expect(files).toBeGreaterThan(250);
  });

  it("gives the render's own documents exactly as parsing its files does (npm run diff reads them instead)", () => {
    const bodies: FileBodies = new Map();
    const { tree } = renderTree(PLATFORM, { validate: false, bodies });
    let files = 0;
    for (const [p, content] of tree) {
      const parsed = parseObjects(p, content);
      if (!parsed) continue;
      files++;
      // toStrictEqual: an undefined value the YAML would not carry is a difference too.
      expect(bodies.get(p)).toStrictEqual(parsed.map((o) => o.body));
    }
    expect(files).toBeGreaterThan(250);
    expect(files).toBe(bodies.size);
  });
});

describe('line diffs', () => {
  it('writes hunks that git apply accepts and that match diff -u', () => {
    const { dir, cleanup } = tempDir('line-diff-');
    try {
      const a = Array.from({ length: 40 }, (_, i) => `line ${i}`);
      const b = [...a];
      b.splice(2, 1, 'changed 2', 'inserted');
      b.splice(20, 2);
      b.push('tail');
      const oldText = `${a.join('\n')}\n`;
      const newText = `${b.join('\n')}\n`;
      fs.writeFileSync(path.join(dir, 'old'), oldText);
      fs.writeFileSync(path.join(dir, 'new'), newText);
      const body =
        lineDiff(oldText, newText)
          .flatMap((h) => [hunkHeader(h), ...h.lines])
          .join('\n') + '\n';
      const gnu = spawnSync('diff', ['-u', 'old', 'new'], { cwd: dir, encoding: 'utf8' });
      expect(gnu.status).toBe(1);
      expect(body).toBe(gnu.stdout.split('\n').slice(2).join('\n'));

      fs.writeFileSync(path.join(dir, 'f'), oldText);
      fs.writeFileSync(path.join(dir, 'p.diff'), `--- a/f\n+++ b/f\n${body}`);
      execFileSync('git', ['apply', 'p.diff'], { cwd: dir, stdio: 'pipe' });
      expect(fs.readFileSync(path.join(dir, 'f'), 'utf8')).toBe(newText);
      // A broken hunk (a context line that is not in the file) is refused by git apply.
      fs.writeFileSync(path.join(dir, 'f'), oldText);
      fs.writeFileSync(path.join(dir, 'bad.diff'), `--- a/f\n+++ b/f\n${body.replace(' line 0\n', ' line zero\n')}`);
      expect(spawnSync('git', ['apply', 'bad.diff'], { cwd: dir }).status).not.toBe(0);

      // A new and a removed file, as diff -u -N writes them.
      fs.writeFileSync(path.join(dir, 'empty'), '');
      fs.writeFileSync(path.join(dir, 'two'), 'a\nb\n');
      const added = spawnSync('diff', ['-u', 'empty', 'two'], { cwd: dir, encoding: 'utf8' }).stdout.split('\n').slice(2).join('\n');
      expect(
        lineDiff(undefined, 'a\nb\n')
          .flatMap((h) => [hunkHeader(h), ...h.lines])
          .join('\n') + '\n',
      ).toBe(added);
      const gone = spawnSync('diff', ['-u', 'two', 'empty'], { cwd: dir, encoding: 'utf8' }).stdout.split('\n').slice(2).join('\n');
      expect(
        lineDiff('a\nb\n', undefined)
          .flatMap((h) => [hunkHeader(h), ...h.lines])
          .join('\n') + '\n',
      ).toBe(gone);
      expect(lineDiff('a\n', 'a\n')).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('shows a changed configuration file inside an object as a line diff, never a cut string', () => {
    const conf = (permission: string) =>
      `# header line that is long enough to fill the first hundred and twenty characters of the value, so a truncation hides the change\nlisten: 4222\npermissions: ${permission}\n`;
    const object = (permission: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bus-config\n  namespace: bus\ndata:\n  nats.conf: |\n${conf(permission)
        .split('\n')
        .filter(Boolean)
        .map((l) => `    ${l}`)
        .join('\n')}\n`;
    const tree = (p: string): FileTree => new Map([['cluster1/bus/configmap-bus-config.yaml', object(p)]]);
    const changes = semanticDiff(tree('old'), tree('new'));
    expect((changes[0] as RatedObjectChange).fields.map((f) => f.path)).toEqual(['data.nats.conf']);
    const text = toText(changes, HEADER);
    expect(text).toContain('-permissions: old');
    expect(text).toContain('+permissions: new');
    const markdown = toMarkdown(changes, HEADER);
    expect(markdown).toMatch(/```diff\n(.*\n)*\s*-permissions: old\n\s*\+permissions: new/);
    // No inline code spans a line break (it would break the note's list).
    for (const line of markdown.split('\n').filter((l) => !/^\s*```/.test(l))) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
  });
});
