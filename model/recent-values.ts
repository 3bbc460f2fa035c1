/**
 * Values by key in two generations of at most `size` entries each: a hit moves to the newer one,
 * and the older is dropped whole when the newer is full. What recurs in every site stays; what
 * one site alone uses goes within a few sites. Shared by the synth's object memo and the diff's
 * parse and field-change caches, and the monitoring chart's queries files.
 */
export class RecentValues<V> {
  private newer = new Map<string, V>();
  private older = new Map<string, V>();

  constructor(private readonly size: number) {}

  /** The value kept for `key`, or undefined when none is. */
  get(key: string): V | undefined {
    if (this.newer.has(key)) return this.newer.get(key);
    if (!this.older.has(key)) return undefined;
    const value = this.older.get(key)!;
    this.set(key, value);
    return value;
  }

  /** The value kept for `key`, or `make()`'s, then kept (an undefined value too). */
  getOrMake(key: string, make: () => V): V {
    if (this.newer.has(key)) return this.newer.get(key)!;
    const value = this.older.has(key) ? this.older.get(key)! : make();
    this.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    if (this.newer.size >= this.size) {
      this.older = this.newer;
      this.newer = new Map();
    }
    this.newer.set(key, value);
  }
}
