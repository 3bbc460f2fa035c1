/**
 * The plaintext guard's clean verdicts kept across runs (pipeline/validate/schema-cache.ts): an
 * object whose same bytes were found clean is not searched again by a later run, an object with a
 * finding is searched, and reported, on every run, and a change to the guard's source searches
 * everything again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeObject, RenderedSite } from '../pipeline/render';
import { checkPlaintext } from '../pipeline/validate/plaintext';
import { SchemaCache } from '../pipeline/validate/schema-cache';
import { tempDir } from './helpers';

const configMap = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'demo' },
  data,
});
const clean = configMap('settings', { LOG_LEVEL: 'info' });
const leak = configMap('leak', { DB_PASSWORD: 'hunter2hunter2' });

/** A site of one component holding `objects`, as far as the guard reads it. */
const siteOf = (...objects: KubeObject[]) =>
  ({
    site: { name: 'cluster1' },
    components: [{ name: 'demo', objects, declarations: { policyExceptions: [] }, patchIndexes: new Set() }],
  }) as unknown as RenderedSite;

const fields = (site: RenderedSite, cache: SchemaCache) => checkPlaintext(site, undefined, cache).map((f) => `${f.object} ${f.field}`);

describe('the clean verdicts of the plaintext guard, kept across runs', () => {
  it('skips an object found clean by an earlier run, reports a finding on every run, and searches again after the guard changed', () => {
    const { dir, cleanup } = tempDir('plaintext-cache-');
    try {
      const file = path.join(dir, 'cache.json');
      const guard = path.join(dir, 'plaintext.ts');
      fs.writeFileSync(guard, '// the guard\n');
      const open = () => SchemaCache.open(file, [], [guard]);

      const first = open();
      const recordedFirst = jest.spyOn(first, 'recordClean');
      expect(fields(siteOf(clean, leak), first)).toEqual(['ConfigMap/demo/leak data.DB_PASSWORD']);
      expect(recordedFirst).toHaveBeenCalledTimes(1);
      first.save();

      const second = open();
      const recordedSecond = jest.spyOn(second, 'recordClean');
      expect(fields(siteOf(clean, leak), second)).toEqual(['ConfigMap/demo/leak data.DB_PASSWORD']);
      expect(recordedSecond).not.toHaveBeenCalled();
      expect(second.wasClean(second.plaintextKeyOf(clean))).toBe(true);
      expect(second.wasClean(second.plaintextKeyOf(leak))).toBe(false);
      // The same name with other bytes is another object.
      expect(fields(siteOf(configMap('settings', { LOG_LEVEL: 'debug' })), second)).toEqual([]);
      expect(recordedSecond).toHaveBeenCalledTimes(1);

      fs.writeFileSync(guard, '// the guard, changed\n');
      const third = open();
      expect(third.wasClean(third.plaintextKeyOf(clean))).toBe(false);
    } finally {
      cleanup();
    }
  });
});
