/**
 * "Did you mean ...?" suggestions for misspelt variants, keys and pipe or
 * socket names.
 *
 * Distance is the optimal-string-alignment form of Damerau-Levenshtein
 * (insert, delete, substitute, swap two neighbours: "Entrypiont" is one edit
 * from "Entrypoint"), computed on the lower-cased strings, so a difference of
 * case alone ("rx" for "Rx") is distance 0 and always suggested. A candidate
 * is close enough when the distance is at most a third of the longer string's
 * length, which keeps one-letter names from suggesting each other.
 */

/** Optimal string alignment distance between a and b, by code point. */
export function editDistance(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  // rows[i][j] = distance between s[0..i) and t[0..j); three rows suffice.
  let before: number[] = [];
  let previous: number[] = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current: number[] = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[t.length]!;
}

/** The candidate closest to input, if one is close enough; ties go to the earlier candidate. */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    const limit = Math.floor(Math.max(Array.from(input).length, Array.from(candidate).length) / 3);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `did you mean "X"?` for the closest candidate, or undefined. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const match = closestMatch(input, candidates);
  return match === undefined ? undefined : `did you mean ${JSON.stringify(match)}?`;
}
