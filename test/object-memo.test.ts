/**
 * The synth's memo of per-object work (pipeline/object-text.ts): objects with the same bytes are
 * checked and written once, and nothing else changes: the same files, and every finding still
 * reported for every site that renders it (only passes are kept).
 */
import { generateModel } from '../bench/generate-sites';
import { siteFiles } from '../pipeline/files';
import { ObjectMemo } from '../pipeline/object-text';
import { RecentValues } from '../model/recent-values';
import { renderSite, type KubeObject, type RenderedSite } from '../pipeline/render';
import { validateSite } from '../pipeline/validate';
import { checkPlaintext } from '../pipeline/validate/plaintext';

const model = generateModel(3);
const rendered = model.sites.map((site) => renderSite(site, model));

/** A site with `extra` added to its first component's objects. */
function withObject(site: RenderedSite, extra: KubeObject): RenderedSite {
  return { ...site, components: site.components.map((c, i) => (i === 0 ? { ...c, objects: [...c.objects, extra] } : c)) };
}

describe('RecentValues', () => {
  it('keeps what is used again and drops the rest two generations on', () => {
    const values = new RecentValues<number>(2);
    values.set('kept', 1);
    values.set('a', 2);
    values.set('b', 3); // the newer generation was full: kept and a are now the older one
    expect(values.get('kept')).toBe(1); // used again: back in the newer generation
    values.set('c', 4); // the newer generation (b, kept) becomes the older one; a is dropped
    expect(values.get('a')).toBeUndefined();
    expect(values.get('kept')).toBe(1);
    expect(values.get('b')).toBe(3);
  });
});

describe('ObjectMemo', () => {
  it('gives the same files and findings as checking and writing each object on its own', () => {
    const memo = new ObjectMemo();
    for (const site of rendered) {
      expect([...siteFiles(site, undefined, memo)]).toEqual([...siteFiles(site)]);
      expect(validateSite(site, { memo }).findings).toEqual(validateSite(site).findings);
    }
  });

  it('reports a credential in clear for every site that renders it, not only the first', () => {
    const leak: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'planted', namespace: 'default' },
      data: { DB_PASSWORD: 'hunter2-in-clear' },
    };
    const memo = new ObjectMemo();
    const findings = rendered.flatMap((site) => checkPlaintext(withObject(site, leak), memo));
    expect(findings.map((f) => [f.site, f.object, f.field])).toEqual(
      model.sites.map((s) => [s.name, 'ConfigMap/default/planted', 'data.DB_PASSWORD']),
    );
  });

  it('reports a schema error for every site that renders it, not only the first', () => {
    const wrong: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'misspelt', namespace: 'default' },
      dta: { key: 'value' },
    };
    const memo = new ObjectMemo();
    const findings = rendered
      .flatMap((site) => validateSite(withObject(site, wrong), { memo }).findings)
      .filter((f) => f.object === 'ConfigMap/default/misspelt' && f.field === 'dta');
    expect(findings.map((f) => f.site)).toEqual(model.sites.map((s) => s.name));
  });
});
