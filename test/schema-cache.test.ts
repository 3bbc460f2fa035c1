import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeObject } from '../pipeline/render';
import { checkSchemaCached, SchemaCache } from '../pipeline/validate/schema-cache';
import { tempDir } from './helpers';

const deployment = (image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
  },
});
const context = { site: 'cluster1', component: 'demo', kubernetesRelease: '1.36' };

describe('the record of schema checks passed', () => {
  it('skips an object whose same bytes passed before, in a later run too, and checks a changed one', () => {
    const { dir, cleanup } = tempDir('schema-cache-');
    try {
      const file = path.join(dir, 'cache.json');
      const source = path.join(dir, 'schema.ts');
      fs.writeFileSync(source, '// the check\n');
      const first = SchemaCache.open(file, [source]);
      expect(checkSchemaCached(deployment('web:1'), context, false, first)).toEqual([]);
      first.save();

      const second = SchemaCache.open(file, [source]);
      const seen = jest.spyOn(second, 'recordPass');
      expect(checkSchemaCached(deployment('web:1'), context, false, second)).toEqual([]);
      expect(seen).not.toHaveBeenCalled();
      expect(checkSchemaCached(deployment('web:2'), context, false, second)).toEqual([]);
      expect(seen).toHaveBeenCalledTimes(1);
    } finally {
      cleanup();
    }
  });

  it('never records an object with findings: it is checked, and reported, on every run', () => {
    const { dir, cleanup } = tempDir('schema-cache-');
    try {
      const file = path.join(dir, 'cache.json');
      const wrong = { ...deployment('web:1'), spec: { ...(deployment('web:1').spec as object), replica: 2 } } as KubeObject;
      for (let run = 0; run < 2; run++) {
        const cache = SchemaCache.open(file, []);
        expect(checkSchemaCached(wrong, context, false, cache).map((f) => f.field)).toEqual(['spec.replica']);
        cache.save();
      }
    } finally {
      cleanup();
    }
  });

  it('keys every pass by the validator module, the release index and the check source, by content', () => {
    const { dir, cleanup } = tempDir('schema-cache-');
    try {
      const [validator, kinds, source] = ['validator.js', 'kinds.json', 'schema.ts'].map((f) => path.join(dir, f)) as [
        string,
        string,
        string,
      ];
      for (const f of [validator, kinds, source]) fs.writeFileSync(f, 'one\n');
      const object = deployment('web:1');
      const keyNow = () => SchemaCache.open(path.join(dir, 'cache.json'), [source]).keyOf(object, false, '1.36', validator, kinds);
      const base = keyNow();
      expect(keyNow()).toBe(base);
      for (const f of [validator, kinds, source]) {
        fs.writeFileSync(f, 'two\n');
        expect(keyNow()).not.toBe(base);
        fs.writeFileSync(f, 'one\n');
      }
      expect(keyNow()).toBe(base);
      expect(SchemaCache.open(path.join(dir, 'cache.json'), [source]).keyOf(object, true, '1.36', validator, kinds)).not.toBe(base);
    } finally {
      cleanup();
    }
  });
});
