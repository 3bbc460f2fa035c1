import {} from '../sites';
import { generateModel } from '../bench/generate-sites';
import { renderTree } from '../pipeline/synth';

// The bench renders generated sites; this keeps that path (and "a new site is data only") working.
it('renders five generated sites, each with every component', () => {
  const { rendered } = renderTree(generateModel(5), { keepRendered: true });
  const componentSets = rendered.map((s) => s.components.map((c) => c.name).join(','));
  expect(new Set(componentSets).size).toBe(1);
  expect(rendered[0]!.components.length).toBeGreaterThan(5);
});
