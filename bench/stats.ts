/**
 * Small statistics for noisy machines: quantiles, and ratios taken round by
 * round (each round runs every contender once, interleaved, so a slow
 * moment of the machine hits numerator and denominator alike).
 */

/** The q-quantile (0..1) of values, linear between order statistics; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median with the 10th and 90th percentiles: the spread every figure reports. */
export interface Summary {
  median: number;
  p10: number;
  p90: number;
  n: number;
}

export function summarize(values: readonly number[]): Summary {
  return { median: median(values), p10: quantile(values, 0.1), p90: quantile(values, 0.9), n: values.filter(Number.isFinite).length };
}

/** Scales a summary (e.g. ns to ms). */
export function scale(s: Summary, factor: number): Summary {
  return { median: s.median * factor, p10: s.p10 * factor, p90: s.p90 * factor, n: s.n };
}

/**
 * Per-round samples of several contenders: rounds[r][name] = the samples
 * of that contender in round r.
 */
export type Rounds = Record<string, number[]>[];

/** Every sample of one contender, all rounds together. */
export function pooled(rounds: Rounds, name: string): number[] {
  return rounds.flatMap((r) => r[name] ?? []);
}

/** The ratio median(a)/median(b), computed in each round, summarised over rounds. */
export function ratio(rounds: Rounds, a: string, b: string): Summary {
  return summarize(
    rounds.map((r) => {
      const x = r[a];
      const y = r[b];
      return x && y && x.length > 0 && y.length > 0 ? median(x) / median(y) : Number.NaN;
    }),
  );
}

/** The difference median(a) - median(b), computed in each round, summarised over rounds. */
export function difference(rounds: Rounds, a: string, b: string): Summary {
  return summarize(
    rounds.map((r) => {
      const x = r[a];
      const y = r[b];
      return x && y && x.length > 0 && y.length > 0 ? median(x) - median(y) : Number.NaN;
    }),
  );
}

/** Rotates a list by `k` (round-robin order that changes every round). */
export function rotate<T>(list: readonly T[], k: number): T[] {
  const n = list.length;
  if (n === 0) return [];
  const s = ((k % n) + n) % n;
  return [...list.slice(s), ...list.slice(0, s)];
}

/** Least-squares slope of log(y) against log(x): 1 is linear growth, 2 quadratic. */
export function logLogSlope(points: readonly { x: number; y: number }[]): number {
  const p = points.filter((q) => q.x > 0 && q.y > 0).map((q) => ({ x: Math.log(q.x), y: Math.log(q.y) }));
  if (p.length < 2) return Number.NaN;
  const mx = p.reduce((s, q) => s + q.x, 0) / p.length;
  const my = p.reduce((s, q) => s + q.y, 0) / p.length;
  const num = p.reduce((s, q) => s + (q.x - mx) * (q.y - my), 0);
  const den = p.reduce((s, q) => s + (q.x - mx) ** 2, 0);
  return den === 0 ? Number.NaN : num / den;
}
