// The layers of the repository, lowest first. A module may import its own layer and the layers
// below it, never one above: the model knows nothing of the charts, the charts nothing of the
// pipeline that renders them, the pipeline nothing of the commands that run it. ESLint enforces
// it with `no-restricted-imports` (eslint.config.mjs); test/layers.test.ts shows the rule bites.

/** Each layer: its top-level directories and entry files, and what it holds. */
const LAYERS = [
  { dirs: ['model'], files: [], holds: 'the shared vocabulary (findings, addresses, component names)' },
  { dirs: ['sites', 'imports'], files: [], holds: 'the site model and the generated CRD bindings' },
  { dirs: ['charts'], files: [], holds: 'the charts, their release tables and the views over their declarations' },
  { dirs: ['pipeline'], files: [], holds: 'the pipeline (render, validate, serialize, write, diff)' },
  { dirs: ['tools', 'bench'], files: ['main', 'review'], holds: 'the commands' },
  { dirs: ['test'], files: [], holds: 'the tests' },
];

/**
 * Within the pipeline, only the render builds constructs: the other steps read the plain data it
 * returns (each component's declarations and objects), never the charts' construct tree.
 */
const RENDER = 'pipeline/render.ts';
const CONSTRUCT_MODULES = ['charts/platform', 'charts/component'];

/** Directory levels below a layer's directory that the rules cover (charts/<piece>/<file> is 2). */
const MAX_DEPTH = 4;

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One `no-restricted-imports` config for the files of `globs`, climbing `up` to the root. */
function restrict(globs, up, layer, higher, { ignores = [], constructs = false } = {}) {
  const targets = higher.flatMap((l) => [...l.dirs, ...l.files]);
  const patterns = [
    {
      regex: `^${up}(${targets.map(escape).join('|')})(/|\\.ts$|$)`,
      message: `${layer.holds} may not import a higher layer (${higher.map((l) => l.holds).join('; ')}): move what both need down.`,
    },
  ];
  if (constructs) {
    patterns.push({
      regex: `^${up}(${CONSTRUCT_MODULES.map(escape).join('|')})(\\.ts)?$`,
      message: `only ${RENDER} builds constructs; the other steps of the pipeline read the rendered result (plain data).`,
    });
  }
  return { files: globs, ignores, rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

/**
 * ESLint configs, one per layer and directory depth: a relative import that climbs to the
 * repository root (`../` once per level) and goes into a higher layer is an error.
 */
function layerRules() {
  const configs = [];
  LAYERS.forEach((layer, index) => {
    const higher = LAYERS.slice(index + 1);
    if (higher.length === 0) return;
    if (layer.files.length > 0)
      configs.push(
        restrict(
          layer.files.map((f) => `${f}.ts`),
          '\\./',
          layer,
          higher,
        ),
      );
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      const globs = layer.dirs.map((d) => `${d}/${'*/'.repeat(depth - 1)}*.ts`);
      const up = `(\\.\\./){${depth}}`;
      if (!layer.dirs.includes('pipeline')) configs.push(restrict(globs, up, layer, higher));
      else {
        configs.push(restrict(globs, up, layer, higher, { ignores: [RENDER], constructs: true }));
        if (depth === 1) configs.push(restrict([RENDER], up, layer, higher));
      }
    }
  });
  return configs;
}

module.exports = { LAYERS, layerRules };
