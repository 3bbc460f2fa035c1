// The bundles dist/ holds besides each entry's own (tools/build.mjs): dist/vendor.js (the packages
// and the generated code), then our code split by layer (tools/layers.cjs), lowest first, and the
// charts and the pipeline further by directory: each bundle holds every module of its directories,
// each loaded on first use, and an import of a module of another bundle is a `require` of that
// bundle. An edit so rebuilds and recompiles only the bundle of the edited file (about a tenth of
// our code, not all of it) while the others keep their bytes and their code caches
// (tools/code-cache.mjs). CommonJS: tools/build.mjs and tools/synth-record.cjs (bundled into
// dist/main.js) share it.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** The layers below the commands, lowest first; a `split` layer's subdirectories are bundles of their own. */
const LAYERS = [
  { name: 'model', dirs: ['model', 'sites'] },
  { name: 'charts', dirs: ['charts'], split: true },
  { name: 'pipeline', dirs: ['pipeline'], split: true },
];

/** The subdirectories of `dir` (relative to the repository), sorted; none if it cannot be read. */
function subdirectories(dir) {
  try {
    return fs
      .readdirSync(path.join(root, dir), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Our code's bundles, lowest layer first: `{ name, dirs }`, each directory's modules in the bundle
 * of the longest of `dirs` that holds it (charts/bus/ in `charts-bus`, charts/platform.ts in
 * `charts`). The commands (main.ts, tools/, bench/) are in each entry's own bundle.
 */
const LAYER_BUNDLES = LAYERS.flatMap((layer) => [
  { name: layer.name, dirs: layer.dirs },
  ...(layer.split
    ? layer.dirs.flatMap((d) => subdirectories(d).map((sub) => ({ name: `${layer.name}-${sub}`, dirs: [`${d}/${sub}`] })))
    : []),
]);

/** The bundles an entry's bundle may load, beside it in dist/: the vendor bundle and our code's. */
const SHARED_BUNDLES = ['vendor', ...LAYER_BUNDLES.map((b) => b.name)];

/** The bundle a source file (relative to the repository, '/'-separated) belongs to, if any. */
function layerBundleOf(file) {
  let found;
  let longest = 0;
  for (const bundle of LAYER_BUNDLES)
    for (const dir of bundle.dirs)
      if (dir.length > longest && file.startsWith(`${dir}/`)) {
        found = bundle;
        longest = dir.length;
      }
  return found;
}

/** Every module of a bundle (paths relative to the repository, sorted): its TypeScript files. */
function modulesOf(bundle) {
  const into = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (layerBundleOf(`${child}/`) === bundle) walk(child);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) into.push(child);
    }
  };
  for (const dir of bundle.dirs) walk(dir);
  return into.sort();
}

/** The bundles a synth by the entry bundle `bundle` runs (it, and the shared bundles beside it). */
const programFilesOf = (bundle) => [bundle, ...SHARED_BUNDLES.map((name) => path.join(path.dirname(bundle), `${name}.js`))];

module.exports = { LAYER_BUNDLES, SHARED_BUNDLES, modulesOf, layerBundleOf, programFilesOf };
