/**
 * The render's one-walk `ApiObject.toJson` (pipeline/plain-json.ts) gives what cdk8s's own gives,
 * key order included, for every object the committed and generated sites render, and gives way to
 * cdk8s's own wherever its walk does not apply.
 */
import { isDeepStrictEqual } from 'node:util';
import { ApiObject, App, Chart, JsonPatch, Lazy, type IResolver, type ResolutionContext } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { siteContext } from '../charts/context';
import { buildPlatform } from '../charts/platform';
import { generateModel } from '../bench/generate-sites';
import { plainJson, withPlainJson } from '../pipeline/plain-json';
import { PLATFORM, type PlatformModel, type Site } from '../sites';

/** Same values, same keys present (undefined or not), same key order at every level. */
function expectSameJson(actual: unknown, expected: unknown): void {
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  expect(isDeepStrictEqual(actual, expected)).toBe(true);
}

const generated = generateModel(4);
const cases: [string, Site, PlatformModel][] = [
  ...PLATFORM.sites.map((s): [string, Site, PlatformModel] => [s.name, s, PLATFORM]),
  ...generated.sites.map((s): [string, Site, PlatformModel] => [`generated ${s.name}`, s, generated]),
];

describe.each(cases)('every object of %s', (_name, site, model) => {
  it('serializes as cdk8s serializes it, and most without cdk8s resolving it', () => {
    const app = new App({ outdir: 'dist/cdk8s' });
    buildPlatform(app, siteContext(site, model));
    const objects = app.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
    let plain = 0;
    for (const o of objects) {
      const base = ApiObject.prototype.toJson.call(o) as unknown;
      const walked = plainJson(o);
      if (walked !== undefined) {
        plain++;
        expectSameJson(walked, base);
      }
      // The bindings' own toJson (their props conversion) on top, as the render calls it.
      expectSameJson(
        withPlainJson(() => o.toJson() as unknown),
        o.toJson(),
      );
    }
    expect(objects.length).toBeGreaterThan(100);
    expect(plain / objects.length).toBeGreaterThan(0.95);
  });
});

describe('where the walk gives way to cdk8s', () => {
  const chart = (app = new App()): Chart => new Chart(app, 'c', { labels: { team: 'sre' } });
  const same = (o: ApiObject): void =>
    expectSameJson(
      withPlainJson(() => o.toJson() as unknown),
      o.toJson(),
    );

  it('gives the same JSON for IntOrString, Quantity, empty metadata lists and maps, nulls and holes', () => {
    const c = chart();
    const service = new k8s.KubeService(c, 'svc', {
      metadata: { annotations: {}, finalizers: [] },
      spec: {
        ports: [
          { port: 80, targetPort: k8s.IntOrString.fromString('http') },
          { port: 81, targetPort: k8s.IntOrString.fromNumber(8081) },
        ],
      },
    });
    const pod = new k8s.KubePod(c, 'pod', {
      spec: {
        containers: [{ name: 'x', resources: { limits: { memory: k8s.Quantity.fromString('64Mi'), cpu: k8s.Quantity.fromNumber(1) } } }],
      },
    });
    const raw = new ApiObject(c, 'raw', {
      apiVersion: 'v1',
      kind: 'X',
      b: null,
      // eslint-disable-next-line no-sparse-arrays -- a hole, as cdk8s maps it
      a: [1, null, undefined, , { z: undefined, y: [] }],
      e: {},
    });
    for (const o of [service, pod, raw]) {
      expect(plainJson(o)).toBeDefined();
      same(o);
    }
  });

  it('resolves Lazy values, tokens and functions as cdk8s does, calling each producer once, in the same order', () => {
    const c = chart();
    const calls: string[] = [];
    const lazy = (name: string, value: unknown) =>
      Lazy.any({
        produce: () => {
          calls.push(name);
          return value;
        },
      });
    const token = (name: string, value: unknown) => ({
      resolve: () => {
        calls.push(name);
        return value;
      },
    });
    const o = new ApiObject(c, 'lazy', {
      apiVersion: 'v1',
      kind: 'X',
      spec: {
        z: lazy('z', { nested: lazy('nested', [1, token('inList', 'x')]) }),
        a: token('a', lazy('chained', { q: 1, p: null })),
        m: lazy('empty', null),
        port: lazy('port', k8s.IntOrString.fromNumber(8080)),
        f: () => 1,
      },
    });
    o.metadata.addLabel('later', lazy('label', 'x') as unknown as string);
    o.metadata.addAnnotation('gone', lazy('annotation', undefined) as unknown as string);
    const walked = withPlainJson(() => o.toJson() as unknown);
    const walkedCalls = calls.splice(0);
    expect(plainJson(o)).toBeDefined();
    calls.splice(0);
    expectSameJson(walked, o.toJson());
    expect(walkedCalls).toEqual(calls);
    expect(walkedCalls).toHaveLength(9);
  });

  it('gives way for another class, a __proto__ key, a custom resolver', () => {
    const c = chart();
    class Custom {
      readonly n = 1;
    }
    const objects = [
      new ApiObject(c, 'proto', { apiVersion: 'v1', kind: 'X', spec: JSON.parse('{"__proto__": {"a": 1}, "b": 2}') as object }),
      new ApiObject(c, 'class', { apiVersion: 'v1', kind: 'X', spec: { c: new Custom() } }),
    ];
    for (const o of objects) expect(plainJson(o)).toBeUndefined();
    same(objects[0]!);
    expect(() => objects[1]!.toJson()).toThrow(/non-simple object of type 'Custom'/);
    expect(() => withPlainJson(() => objects[1]!.toJson())).toThrow(/non-simple object of type 'Custom'/);
    const capital: IResolver = {
      resolve: (context: ResolutionContext) => {
        if (context.value === 'a') context.replaceValue('A');
      },
    };
    const custom = new ApiObject(chart(new App({ resolvers: [capital] })), 'custom', { apiVersion: 'v1', kind: 'X', spec: { s: 'a' } });
    expect(plainJson(custom)).toBeUndefined();
    same(custom);
  });

  it('fails as cdk8s fails on a value it cannot render, and applies JSON patches as it does', () => {
    const c = chart();
    const dated = new ApiObject(c, 'dated', { apiVersion: 'v1', kind: 'X', spec: { at: new Date(0) } });
    expect(plainJson(dated)).toBeUndefined();
    expect(() => withPlainJson(() => dated.toJson())).toThrow(
      /Failed serializing construct at path 'c\/dated'.*non-simple object of type 'Date'/,
    );
    const patched = new ApiObject(c, 'patched', { apiVersion: 'v1', kind: 'X', spec: { a: 1 } });
    patched.addJsonPatch(JsonPatch.add('/spec/b', 2), JsonPatch.remove('/apiVersion'), JsonPatch.add('/zz', { y: 1, x: 2 }));
    expect(plainJson(patched)).toBeDefined();
    same(patched);
    const broken = new ApiObject(c, 'broken', { apiVersion: 'v1', kind: 'X' });
    broken.addJsonPatch(JsonPatch.remove('/nothing/here'));
    expect(() => withPlainJson(() => broken.toJson())).toThrow(/Failed serializing construct at path 'c\/broken'/);
  });

  it('keeps the keys in insertion order when CDK8S_DISABLE_SORT is set, as cdk8s does', () => {
    const o = new ApiObject(chart(), 'unsorted', { apiVersion: 'v1', kind: 'X', spec: { b: 1, a: { d: 1, c: 2 } } });
    process.env.CDK8S_DISABLE_SORT = '1';
    try {
      expect(Object.keys((plainJson(o)!.spec as object) ?? {})).toEqual(['b', 'a']);
      same(o);
    } finally {
      delete process.env.CDK8S_DISABLE_SORT;
    }
  });

  it("leaves a toJson someone else put in cdk8s's place in force", () => {
    const o = new ApiObject(chart(), 'spied', { apiVersion: 'v1', kind: 'X' });
    const spy = jest.spyOn(ApiObject.prototype, 'toJson').mockImplementation(() => ({ spied: true }));
    try {
      expect(withPlainJson(() => o.toJson() as unknown)).toEqual({ spied: true });
      expect(ApiObject.prototype.toJson).toBe(spy);
    } finally {
      spy.mockRestore();
    }
  });

  it('puts ApiObject.prototype.toJson back after the render, even when it throws', () => {
    const before = ApiObject.prototype.toJson;
    expect(() =>
      withPlainJson(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(ApiObject.prototype.toJson).toBe(before);
  });
});
