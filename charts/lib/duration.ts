/** Go durations (`72h`, `1h30m`, `30s`, `250ms`), as nats-server and stolon read them. */

const NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Parses a Go duration (`72h`, `1h30m`, `30s`, `250ms`) into nanoseconds; undefined if it is not one. */
export function goDurationNanos(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  const total = parts.reduce((sum, p) => sum + BigInt(p[1]!) * NANOS[p[2]!]!, 0n);
  return total > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(total);
}

/** A Go duration in whole seconds (rounded up); throws on anything else. */
export function goDurationSeconds(text: string): number {
  const nanos = goDurationNanos(text);
  if (nanos === undefined) throw new Error(`'${text}' is not a Go duration`);
  return Math.ceil(nanos / 1e9);
}
