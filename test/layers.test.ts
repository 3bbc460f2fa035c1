import { Linter } from 'eslint';
import { LAYERS, layerRules } from '../tools/layers.cjs';

/** Messages of the layer rules for `source` as the file `file` (relative to the repository root). */
function layerErrors(file: string, source: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(source, [{ languageOptions: { sourceType: 'module' } }, ...layerRules()], file);
  const fatal = messages.find((m) => m.fatal);
  if (fatal) throw new Error(`${file}: ${fatal.message}`);
  return messages.map((m) => m.message);
}

describe('layer rule', () => {
  it('refuses an import from a lower layer into a higher one, at any depth', () => {
    expect(layerErrors('charts/platform.ts', "import { render } from '../pipeline/render';")).toEqual([
      expect.stringMatching(/'..\/pipeline\/render' import is restricted .* the charts, .* may not import a higher layer \(the pipeline/),
    ]);
    expect(layerErrors('charts/bus/bus.ts', "import { x } from '../../pipeline/validate/capacity';")).toHaveLength(1);
    expect(layerErrors('pipeline/validate/policy.ts', "import { x } from '../../tools/cli';")).toHaveLength(1);
    expect(layerErrors('model/errors.ts', "import { Site } from '../sites';")).toHaveLength(1);
    expect(layerErrors('sites/types.ts', "import { X } from '../charts/component';")).toHaveLength(1);
    expect(layerErrors('pipeline/synth.ts', "import { x } from '../main';")).toHaveLength(1);
    expect(layerErrors('main.ts', "import { x } from './test/helpers';")).toHaveLength(1);
  });

  it('lets a layer import itself and the layers below it', () => {
    expect(layerErrors('pipeline/render.ts', "import { a } from '../charts/platform';\nimport { b } from '../model/errors';")).toEqual([]);
    expect(layerErrors('charts/bus/bus.ts', "import { a } from '../lib/workload';\nimport { b } from '../../sites';")).toEqual([]);
    expect(layerErrors('main.ts', "import { a } from './pipeline/synth';\nimport { b } from './tools/cli';")).toEqual([]);
    // charts/bus/../pipeline would be charts/pipeline: not the pipeline layer.
    expect(layerErrors('charts/bus/bus.ts', "import { a } from '../pipeline';")).toEqual([]);
  });

  it('places every top-level source directory in a layer', () => {
    const placed = LAYERS.flatMap((l) => l.dirs);
    for (const dir of ['model', 'sites', 'imports', 'charts', 'pipeline', 'tools', 'bench', 'test']) expect(placed).toContain(dir);
  });
});

describe('constructs stay in the render', () => {
  it('lets only pipeline/render.ts import the registry and the component base', () => {
    expect(layerErrors('pipeline/render.ts', "import { a } from '../charts/platform';\nimport { b } from '../charts/component';")).toEqual(
      [],
    );
    expect(layerErrors('pipeline/validate/policy.ts', "import { C } from '../../charts/component';")).toEqual([
      expect.stringMatching(/only pipeline\/render\.ts builds constructs/),
    ]);
    expect(layerErrors('pipeline/synth.ts', "import { globalFiles } from '../charts/platform';")).toHaveLength(1);
    // Plain vocabulary of the charts is fine.
    expect(layerErrors('pipeline/validate/policy.ts', "import { P } from '../../charts/lib/declared';")).toEqual([]);
  });
});
