import { distance } from 'fastest-levenshtein';

/**
 * The name in `known` that `name` most likely means (a case slip or a few letters off), for "did
 * you mean" hints on unknown fields and flags; undefined when nothing is close.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (!best || d < best.d) best = { name: k, d };
  }
  // Up to one edit in three letters (at most 3): closer than that, the names are unrelated.
  return best && best.d <= Math.min(3, Math.max(1, Math.floor(name.length / 3))) ? best.name : undefined;
}
