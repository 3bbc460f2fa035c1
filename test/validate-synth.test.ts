import * as fs from 'node:fs';
import * as path from 'node:path';
import { synth } from '../pipeline/synth';
import { PLATFORM, SITES } from '../sites';
import { demos, type DemoProps } from './fixtures/extras';
import { REPO_ROOT, tempDir, treeDigest, withChange } from './helpers';
import { refusedSynthMessage } from './synth-refusal';

describe('synth runs validation before writing', () => {
  it('checks cross-site invariants against every site when synthesizing one', () => {
    const { dir, cleanup } = tempDir();
    try {
      expect(() => synth({ root: dir, model: PLATFORM, only: ['cluster1'], extend: demos({ cluster2: [{}] }) })).toThrow(
        /component demo runs on cluster2 but not here/,
      );
      expect(fs.existsSync(path.join(dir, 'gitops'))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('refuses a misspelt site field before rendering and leaves gitops/ untouched', () => {
    const { dir, cleanup } = tempDir();
    try {
      fs.cpSync(path.join(REPO_ROOT, 'gitops'), path.join(dir, 'gitops'), { recursive: true });
      const before = treeDigest(dir);
      const sites = SITES.map((s) => (s.name === 'cluster1' ? withChange(s, (d) => (d.components = { optout: { resizer: 'x' } })) : s));
      expect(() => synth({ root: dir, model: { ...PLATFORM, sites } })).toThrow(
        'site cluster1 (sites/cluster1.ts), field components.optout: unknown field; did you mean components.optOut?',
      );
      expect(treeDigest(dir)).toBe(before);
    } finally {
      cleanup();
    }
  });

  it.each([
    ['schema', { mutate: (d: Record<string, unknown>) => ((d.spec as Record<string, unknown>).replica = 2) }, /unknown field 'replica'/],
    ['policy', { image: 'demo:latest' }, /\[image\]/],
    ['capacity', { replicas: 3, memoryMiB: 4000 }, /all nodes up: node .* MiB over/],
    [
      'cross-site',
      { facts: [{ key: 'k', role: 'primary', agree: {}, expect: { primary: 1 } }] },
      /exactly 1 site\(s\) must be primary, found 2/,
    ],
  ] as const)('fails on a %s finding and leaves gitops/ untouched', (_what, demo, message) => {
    expect(refusedSynthMessage(demos({ '*': [demo as DemoProps] }))).toMatch(message);
  });
});
