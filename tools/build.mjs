// Bundles the command-line entries into dist/ with esbuild (transpile only: `npm run typecheck`,
// tsc --noEmit, checks types separately, as CI does), after generating the site-file validators
// from sites/types.ts when it changed (tools/site-shape.mjs).
//   node tools/build.mjs                 builds every entry
//   node tools/run.mjs <entry> [args]    builds <entry> only if one of its inputs changed, then runs it
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSiteShape } from './site-shape.mjs';
import { isCurrent, stampOf, writeStamp } from './stamps.mjs';

// esbuild is loaded only to build: a run with nothing to rebuild never pays for it.
const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const ENTRIES = {
  main: 'main.ts',
  review: 'review.ts',
  'bench-render': 'bench/render-sites.ts',
  'aws-stack': 'tools/aws-stack.ts',
  import: 'tools/import.ts',
};

/** Where the inputs of an entry's last build are recorded (tools/stamps.mjs). */
const stampFileOf = (entry) => path.join(root, 'dist', `${entry}.inputs.json`);

/** Packages bundled into the entries: loading one file is cheaper than resolving hundreds. */
const VENDORED = /^(cdk8s|cdk8s-plus-28|constructs)(\/|$)/;
const INSIDE_VENDORED = /[\\/]node_modules[\\/](cdk8s|cdk8s-plus-28|constructs)[\\/]/;

/**
 * What the bundles take of node_modules. cdk8s, cdk8s-plus-28 and constructs are bundled (with the
 * dependencies cdk8s ships inside itself); every other package stays a `require` at run time.
 * Of cdk8s-plus-28 only its `k8s` bindings are taken: its constructs (Deployment, Service...) are
 * not used here and cost a third of its load. The `yaml` library, which cdk8s loads for the files
 * it writes itself (the render uses toJson and pipeline/yaml.ts), is loaded on first use only.
 */
const loadOnlyWhatIsUsed = {
  name: 'load-only-what-is-used',
  setup(build) {
    build.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: 'k8s', namespace: 'cdk8s-plus-28-k8s' }));
    build.onLoad({ filter: /.*/, namespace: 'cdk8s-plus-28-k8s' }, () => ({
      contents: "export * as k8s from 'cdk8s-plus-28/lib/imports/k8s';",
      resolveDir: root,
      loader: 'js',
    }));
    build.onResolve({ filter: /^yaml$/ }, (args) =>
      args.namespace === 'lazy-yaml'
        ? { path: 'yaml', external: true }
        : INSIDE_VENDORED.test(args.importer)
          ? { path: 'yaml', namespace: 'lazy-yaml' }
          : { path: 'yaml', external: true },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-yaml' }, () => ({
      // `__esModule` keeps esbuild's and TypeScript's import helpers from copying (loading) it.
      contents:
        "let yaml; module.exports = new Proxy({}, { get: (_, key) => (key === '__esModule' ? true : (yaml ??= require('yaml'))[key]) });",
      resolveDir: root,
      loader: 'js',
    }));
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'entry-point' || VENDORED.test(args.path) || INSIDE_VENDORED.test(args.importer)
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

/** Builds `entry` into dist/<entry>.js; with `onlyIfStale`, skips it when no input's content changed. */
export async function buildEntry(entry, { onlyIfStale = false } = {}) {
  // Bundled into every entry (pipeline/site-shape.ts), so generated first.
  buildSiteShape();
  const out = path.join(root, 'dist', `${entry}.js`);
  if (onlyIfStale && fs.existsSync(out) && isCurrent(root, stampFileOf(entry))) return out;
  const { build } = require('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { [entry]: ENTRIES[entry] },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    plugins: [loadOnlyWhatIsUsed],
    logLevel: 'warning',
    metafile: true,
    // Written by hand below: to a temporary file renamed into place, so that a run starting while
    // another rebuilds never loads a half-written bundle.
    write: false,
  });
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    fs.writeFileSync(tmp, file.contents);
    fs.renameSync(tmp, file.path);
  }
  // Every source file the bundle was made of, plus what decides how it is made (package-lock.json
  // stands for the packages bundled in).
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.includes(':') && !f.startsWith('node_modules/'));
  const inputs = [...sources, 'tools/build.mjs', 'package-lock.json'].sort();
  writeStamp(stampFileOf(entry), stampOf(root, inputs));
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const entry of Object.keys(ENTRIES)) await buildEntry(entry);
}
