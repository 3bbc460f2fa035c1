import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, tempDir } from './helpers';

// tools/stamps.mjs decides whether a bundle (or the site shape) is rebuilt. It is an ES module of
// the build tools, so it is run in a node of its own.
function isCurrentAfter(change: (dir: string) => void): { current: boolean; stamp: Record<string, { mtimeMs: number }> } {
  const { dir, cleanup } = tempDir('stamps-');
  try {
    fs.writeFileSync(path.join(dir, 'a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(dir, 'b.ts'), 'export const b = 2;\n');
    const stamps = path.join(REPO_ROOT, 'tools', 'stamps.mjs');
    const run = (code: string) =>
      execFileSync(process.execPath, ['--input-type=module', '-e', `import * as s from ${JSON.stringify(stamps)}; ${code}`], {
        cwd: dir,
        encoding: 'utf8',
      });
    run(`s.writeStamp('stamp.json', s.stampOf('.', ['a.ts', 'b.ts']))`);
    change(dir);
    const current = run(`process.stdout.write(String(s.isCurrent('.', 'stamp.json')))`) === 'true';
    return { current, stamp: JSON.parse(fs.readFileSync(path.join(dir, 'stamp.json'), 'utf8')) };
  } finally {
    cleanup();
  }
}

describe('build stamps (content hashes)', () => {
  it('take a touched input (a checkout, a rebase) as unchanged, and record its new mtime so the next check reads nothing', () => {
    let touchedAt = 0;
    const { current, stamp } = isCurrentAfter((dir) => {
      const later = new Date(Date.now() + 60_000);
      fs.utimesSync(path.join(dir, 'a.ts'), later, later);
      touchedAt = fs.statSync(path.join(dir, 'a.ts')).mtimeMs;
    });
    expect(current).toBe(true);
    expect(stamp['a.ts']!.mtimeMs).toBe(touchedAt);
  });

  it('take an input whose bytes changed as changed, at the same size', () => {
    const { current } = isCurrentAfter((dir) => {
      const file = path.join(dir, 'b.ts');
      const later = new Date(fs.statSync(file).mtimeMs + 1000);
      fs.writeFileSync(file, 'export const b = 3;\n');
      fs.utimesSync(file, later, later);
    });
    expect(current).toBe(false);
  });

  it('take a removed input as changed', () => {
    expect(isCurrentAfter((dir) => fs.rmSync(path.join(dir, 'a.ts'))).current).toBe(false);
  });

  it("give a rebuilt bundle's stamp the hashes the old stamp holds for inputs of the same size and mtime, reading only what moved", () => {
    const { dir, cleanup } = tempDir('stamps-known-');
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), 'export const a = 1;\n');
      fs.writeFileSync(path.join(dir, 'b.ts'), 'export const b = 2;\n');
      const stamps = JSON.stringify(path.join(REPO_ROOT, 'tools', 'stamps.mjs'));
      // The old stamp vouches for a.ts as it is (size and mtime) with a hash that is not its bytes':
      // only a hash taken from the stamp can be that one. b.ts changed since.
      const a = fs.statSync(path.join(dir, 'a.ts'));
      const old = { 'a.ts': { size: a.size, mtimeMs: a.mtimeMs, sha1: 'from-the-stamp' }, 'b.ts': { size: 1, mtimeMs: 1, sha1: 'b' } };
      fs.writeFileSync(path.join(dir, 'stamp.json'), JSON.stringify(old));
      const code = `import * as s from ${stamps}; const current = s.isCurrent('.', 'stamp.json'); process.stdout.write(JSON.stringify({ current, stamp: s.stampOf('.', ['a.ts', 'b.ts']) }));`;
      const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: dir, encoding: 'utf8' })) as {
        current: boolean;
        stamp: Record<string, { sha1: string }>;
      };
      expect(out.current).toBe(false);
      expect(out.stamp['a.ts']!.sha1).toBe('from-the-stamp');
      expect(out.stamp['b.ts']!.sha1).toBe(createHash('sha1').update('export const b = 2;\n').digest('hex'));
    } finally {
      cleanup();
    }
  });
});

describe('the code cache of a bundle (tools/code-cache.mjs)', () => {
  it('is written by the first run, used unchanged by the next, and remade when the bundle changes', () => {
    const { dir, cleanup } = tempDir('code-cache-');
    try {
      const bundle = path.join(dir, 'bundle.js');
      const cache = `${bundle}.v8cache`;
      const loader = path.join(REPO_ROOT, 'tools', 'code-cache.mjs');
      const run = () =>
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `import { runWithCodeCache } from ${JSON.stringify(loader)}; runWithCodeCache(${JSON.stringify(bundle)});`,
          ],
          {
            encoding: 'utf8',
          },
        );
      fs.writeFileSync(bundle, "const f = (x) => x * 2; console.log(f(21), require('node:path').basename(__filename), module.id);\n");
      expect(run()).toBe('42 bundle.js .\n');
      const written = fs.statSync(cache).mtimeMs;
      expect(run()).toBe('42 bundle.js .\n');
      expect(fs.statSync(cache).mtimeMs).toBe(written);
      fs.writeFileSync(bundle, 'console.log(require.main === module);\n');
      expect(run()).toBe('true\n');
      expect(fs.readFileSync(cache).subarray(0, 40).toString()).toMatch(/^[0-9a-f]{40}$/);
      expect(fs.statSync(cache).mtimeMs).not.toBe(written);
    } finally {
      cleanup();
    }
  });
});
