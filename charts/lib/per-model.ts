/**
 * What every site of a render asks of all the sites (a ring, the links, the site names), made once
 * per model's list of sites instead of once per site: made per site, a model's render grew with the
 * square of its sites. Keyed by the list itself, so another model (a test's, a generated one) gets
 * its own and a dropped model's entry goes with it.
 */
export function oncePerModel<K extends object, T>(make: (sites: K) => T): (sites: K) => T {
  const made = new WeakMap<K, T>();
  return (sites) => {
    if (made.has(sites)) return made.get(sites)!;
    const value = make(sites);
    made.set(sites, value);
    return value;
  };
}
