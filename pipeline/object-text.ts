/**
 * What a synth works out once for each distinct object: generated sites (and, less, the committed
 * ones) render many objects with the same bytes (a namespace, a role, an upstream manifest), and
 * the schema check, the plaintext guard and the YAML of an object depend on its JSON alone. The
 * key is the object's JSON text, made once per object.
 */
import { RecentValues } from '../model/recent-values';
import type { KubeObject } from './render';

const texts = new WeakMap<object, string>();

/** The JSON text of a rendered object (computed once, forgotten with the object). */
export function jsonOf(object: KubeObject): string {
  let text = texts.get(object);
  if (text === undefined) {
    text = JSON.stringify(object);
    texts.set(object, text);
  }
  return text;
}

/** Enough for what a site renders alone (about 80 objects of a generated site) several times over: what every site renders is used again at each site, so it stays in the newer generation. */
const KEPT = 256;

/** One synth's verdicts and texts of the objects it rendered, by their JSON (jsonOf). */
export class ObjectMemo {
  private readonly schema = new Map<string, RecentValues<true>>();
  /** Objects the plaintext guard found nothing in (Secrets aside, whose verdict depends on their component). */
  readonly plaintextClean = new RecentValues<true>(KEPT);
  /** The YAML document of each object. */
  readonly yaml = new RecentValues<string>(KEPT);

  /** Objects the schema check of `release` passed, as patches or not (keyed by the JSON alone: a key made of more would be a new string to hash each time). */
  schemaPassed(release: string, patch: boolean): RecentValues<true> {
    const check = `${release}\0${patch}`;
    let passed = this.schema.get(check);
    if (!passed) this.schema.set(check, (passed = new RecentValues<true>(KEPT)));
    return passed;
  }
}
