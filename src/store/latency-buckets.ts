// Latency histograms for history: log-spaced buckets fine enough (1.2× steps, 0.5 ms to 120 s)
// that a p95 or p99 read back from merged rollups is within a few percent of the exact one.
import type { Aggregate } from './history.js';

const FIRST_BOUND_MS = 0.5;
const STEP = 1.2;
const LAST_BOUND_MS = 120_000;

function bounds(): number[] {
  const out: number[] = [];
  for (let i = 0; out.length === 0 || out[out.length - 1]! < LAST_BOUND_MS; i++) out.push(Number((FIRST_BOUND_MS * STEP ** i).toPrecision(3)));
  return out;
}

/**
 * Upper bounds (inclusive) of the buckets; one more, open-ended bucket follows the last.
 * Never change them: stored rollups keep bucket indices.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze(bounds());

/** How many buckets an Aggregate has: one per bound plus the open-ended one. */
export const BUCKET_COUNT = LATENCY_BOUNDS_MS.length + 1;

/** The index of the bucket that holds `ms`: the first whose bound is ≥ ms. */
export function bucketOf(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (LATENCY_BOUNDS_MS[mid]! >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function emptyAggregate(): Aggregate {
  return { count: 0, failures: 0, latencySumMs: 0, latencyMinMs: Infinity, latencyMaxMs: -Infinity, buckets: new Array<number>(BUCKET_COUNT).fill(0) };
}

/** Adds one result to `into` (changed in place). */
export function addTo(into: Aggregate, durationMs: number, ok: boolean): void {
  into.count++;
  if (!ok) into.failures++;
  into.latencySumMs += durationMs;
  if (durationMs < into.latencyMinMs) into.latencyMinMs = durationMs;
  if (durationMs > into.latencyMaxMs) into.latencyMaxMs = durationMs;
  into.buckets[bucketOf(durationMs)]!++;
}

/** Adds `from` into `into` (changed in place) and returns `into`. */
export function merge(into: Aggregate, from: Aggregate): Aggregate {
  into.count += from.count;
  into.failures += from.failures;
  into.latencySumMs += from.latencySumMs;
  into.latencyMinMs = Math.min(into.latencyMinMs, from.latencyMinMs);
  into.latencyMaxMs = Math.max(into.latencyMaxMs, from.latencyMaxMs);
  for (let i = 0; i < BUCKET_COUNT; i++) into.buckets[i]! += from.buckets[i] ?? 0;
  return into;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of the latencies, interpolated linearly inside its bucket, whose
 * edges are clamped to the observed min and max; NaN when the aggregate is empty.
 */
export function quantileOf(a: Aggregate, q: number): number {
  if (a.count === 0) return NaN;
  const rank = Math.min(1, Math.max(0, q)) * a.count;
  let below = 0;
  for (let i = 0; i < BUCKET_COUNT; i++) {
    const n = a.buckets[i] ?? 0;
    if (n === 0 || below + n < rank) {
      below += n;
      continue;
    }
    const lower = Math.max(i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!, a.latencyMinMs);
    const upper = Math.min(LATENCY_BOUNDS_MS[i] ?? Infinity, a.latencyMaxMs);
    return lower + (upper - lower) * ((rank - below) / n);
  }
  return a.latencyMaxMs;
}
