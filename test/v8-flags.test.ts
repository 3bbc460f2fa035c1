import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, runTempDir, tempDir } from './helpers';

// tools/code-cache.mjs: the V8 flags an entry sets at run time before it compiles a bundle. V8 keeps
// a hash of its flags in a code cache and refuses a cache made under other flags, so a flag set
// too late, or not set by one of the processes sharing a cache, shows as caches made again.
const moduleUrl = (file: string) => JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'tools', file)).href);

/** Runs `bundle` with its code cache (tools/code-cache.mjs) in a node of its own, `entry`'s flags set first when given. */
function runBundle(bundle: string, entry?: string): string {
  const useFlags = entry === undefined ? '' : `useEntryV8Flags(${JSON.stringify(entry)});`;
  return execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { runWithCodeCache, useEntryV8Flags } from ${moduleUrl('code-cache.mjs')}; ${useFlags} runWithCodeCache(${JSON.stringify(bundle)});`,
    ],
    { encoding: 'utf8' },
  );
}

const written = (file: string) => ({ mtimeMs: fs.statSync(file).mtimeMs, bytes: fs.readFileSync(file) });

describe('the V8 flags an entry sets at run time (tools/code-cache.mjs)', () => {
  it("are in the synth's code caches: a cache made without them is refused and made again, one made with them is kept", () => {
    const { dir, cleanup } = tempDir('v8-flags-');
    try {
      const bundle = path.join(dir, 'bundle.js');
      const cache = `${bundle}.v8cache`;
      fs.writeFileSync(bundle, 'const twice = (x) => x * 2;\nconsole.log(twice(21));\n');
      expect(runBundle(bundle)).toBe('42\n');
      const plain = written(cache);
      expect(runBundle(bundle)).toBe('42\n');
      expect(written(cache).mtimeMs).toBe(plain.mtimeMs);
      // The synth's flags: the plain cache is refused and made again with them, then kept.
      expect(runBundle(bundle, 'main')).toBe('42\n');
      const flagged = written(cache);
      expect(flagged.mtimeMs).not.toBe(plain.mtimeMs);
      expect(flagged.bytes.equals(plain.bytes)).toBe(false);
      expect(runBundle(bundle, 'main')).toBe('42\n');
      expect(written(cache).mtimeMs).toBe(flagged.mtimeMs);
      // An entry without flags of its own runs as a plain node does.
      expect(runBundle(bundle, 'review')).toBe('42\n');
      expect(written(cache).mtimeMs).not.toBe(flagged.mtimeMs);
      expect(written(cache).bytes.equals(flagged.bytes)).toBe(false);
    } finally {
      cleanup();
    }
  });

  it("give a package's cache (esbuild's API) a name of their own, so that a process without them keeps its own", () => {
    const { dir, cleanup } = tempDir('v8-flags-package-');
    try {
      const file = path.join(dir, 'package.js');
      fs.writeFileSync(file, 'module.exports = { answer: 42 };\n');
      const load = (entry: string) =>
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `import { requireWithCodeCache, useEntryV8Flags } from ${moduleUrl('code-cache.mjs')}; useEntryV8Flags(${JSON.stringify(entry)}); console.log(requireWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(path.join(dir, 'package.js.v8cache'))}).answer);`,
          ],
          { encoding: 'utf8' },
        );
      expect(load('main')).toBe('42\n');
      expect(load('review')).toBe('42\n');
      expect(fs.readdirSync(dir).sort()).toEqual(['package.js', 'package.js.main.v8cache', 'package.js.v8cache']);
      const kept = [written(path.join(dir, 'package.js.main.v8cache')).mtimeMs, written(path.join(dir, 'package.js.v8cache')).mtimeMs];
      expect(load('main')).toBe('42\n');
      expect(load('review')).toBe('42\n');
      expect([written(path.join(dir, 'package.js.main.v8cache')).mtimeMs, written(path.join(dir, 'package.js.v8cache')).mtimeMs]).toEqual(
        kept,
      );
    } finally {
      cleanup();
    }
  });

  it("are the render threads' own: a threaded synth sets the same budget, so its caches keep one flag hash", () => {
    const script = `import { ENTRY_V8_FLAGS } from ${moduleUrl('code-cache.mjs')}; console.log(JSON.stringify(ENTRY_V8_FLAGS.main));`;
    const flags = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    // The value test/site-workers.test.ts sees the threads set (pipeline/site-workers.ts): both change together or one fails.
    expect(flags).toEqual(['--interrupt-budget=1081344']);
  });

  it('are set by tools/run.mjs before it compiles the entry bundle', () => {
    // A copy of tools/ and dist/ (written to); the sources the build stamps list are linked, read only.
    const { dir } = runTempDir('v8-flags-run-');
    for (const entry of ['tools', 'dist']) fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
    for (const entry of ['model', 'sites', 'charts', 'pipeline', 'imports', 'node_modules', 'main.ts', 'package-lock.json'])
      fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
    const mainBundle = path.join(dir, 'dist', 'main.js');
    const cache = `${mainBundle}.v8cache`;
    const help = () =>
      execFileSync(process.execPath, [path.join(dir, 'tools', 'run.mjs'), 'main', '--help'], { cwd: dir, encoding: 'utf8' });
    expect(help()).toMatch(/^usage: npm run synth/);
    const kept = written(cache);
    expect(help()).toMatch(/^usage: npm run synth/);
    expect(written(cache).mtimeMs).toBe(kept.mtimeMs);
    // The same bundle's cache made by a node without the flags: tools/run.mjs refuses it.
    fs.rmSync(cache);
    runBundleArgs(mainBundle, ['--help']);
    const plain = written(cache);
    expect(help()).toMatch(/^usage: npm run synth/);
    expect(written(cache).mtimeMs).not.toBe(plain.mtimeMs);
    expect(written(cache).bytes.equals(plain.bytes)).toBe(false);
  });
});

/** Runs `bundle` as the main module with `args` and its code cache, in a plain node (no flags set). */
function runBundleArgs(bundle: string, args: string[]): string {
  const script = `import { runWithCodeCache } from ${moduleUrl('code-cache.mjs')}; process.argv.splice(1, 0, ${JSON.stringify(bundle)}); runWithCodeCache(${JSON.stringify(bundle)});`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { encoding: 'utf8' });
}
