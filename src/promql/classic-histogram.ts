// Quantiles and fractions over classic `le` buckets: repair non-monotonic counts as Prometheus does and
// interpolate linearly inside buckets.

export interface Bucket {
  upper: number;
  count: number;
}

const SMALL_DELTA_TOLERANCE = 1e-12;

export function parseBucketBound(le: string): number | null {
  const s = le.trim();
  if (s === '') return null;
  const lower = s.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(s);
  return Number.isNaN(n) ? null : n;
}

/** Fraction of observations in [lower, upper]; infinite-width buckets are not interpolated into. */
export function bucketFraction(lower: number, upper: number, input: Bucket[]): number {
  const sorted = input.map((b) => ({ ...b })).sort((a, b) => a.upper - b.upper);
  const top = sorted[sorted.length - 1];
  if (!top || top.upper !== Infinity) return NaN;
  const buckets = coalesce(sorted);
  ensureMonotonic(buckets);
  const count = (buckets[buckets.length - 1] as Bucket).count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  const rankAt = (x: number): number => {
    let prevCount = 0;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i] as Bucket;
      const lo = i === 0 ? (b.upper > 0 ? 0 : -Infinity) : (buckets[i - 1] as Bucket).upper;
      if (x <= lo) return prevCount;
      if (x < b.upper) {
        if (lo === -Infinity) return b.count;
        if (b.upper === Infinity) return prevCount;
        return prevCount + ((b.count - prevCount) * (x - lo)) / (b.upper - lo);
      }
      prevCount = b.count;
    }
    return count;
  };
  return (Math.min(rankAt(upper), count) - Math.min(rankAt(lower), count)) / count;
}

export function bucketQuantile(q: number, input: Bucket[]): { value: number; forcedMonotonic: boolean } {
  if (Number.isNaN(q)) return { value: NaN, forcedMonotonic: false };
  if (q < 0) return { value: -Infinity, forcedMonotonic: false };
  if (q > 1) return { value: Infinity, forcedMonotonic: false };
  const sorted = input.map((b) => ({ ...b })).sort((a, b) => a.upper - b.upper);
  const top = sorted[sorted.length - 1];
  if (!top || top.upper !== Infinity) return { value: NaN, forcedMonotonic: false };
  const buckets = coalesce(sorted);
  const forcedMonotonic = ensureMonotonic(buckets);
  if (buckets.length < 2) return { value: NaN, forcedMonotonic: false };
  const observations = (buckets[buckets.length - 1] as Bucket).count;
  if (observations === 0) return { value: NaN, forcedMonotonic };
  let rank = q * observations;
  // First bucket (excluding +Inf) whose cumulative count reaches the rank.
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if ((buckets[i] as Bucket).count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return { value: (buckets[buckets.length - 2] as Bucket).upper, forcedMonotonic };
  const first = buckets[0] as Bucket;
  if (b === 0 && first.upper <= 0) return { value: first.upper, forcedMonotonic };
  let start = 0;
  const end = (buckets[b] as Bucket).upper;
  let count = (buckets[b] as Bucket).count;
  if (b > 0) {
    const prev = buckets[b - 1] as Bucket;
    start = prev.upper;
    count -= prev.count;
    rank -= prev.count;
  }
  return { value: start + (end - start) * (rank / count), forcedMonotonic };
}

function coalesce(buckets: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last && last.upper === b.upper) last.count += b.count;
    else out.push(b);
  }
  return out;
}

function almostEqual(a: number, b: number, eps: number): boolean {
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < 2.2250738585072014e-308) return diff < eps * 2.2250738585072014e-308;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}

/** Prometheus's ensureMonotonicAndIgnoreSmallDeltas; returns whether a real decrease was repaired. */
function ensureMonotonic(buckets: Bucket[]): boolean {
  let forced = false;
  let prev = (buckets[0] as Bucket).count;
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i] as Bucket;
    const curr = b.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      b.count = prev;
      continue;
    }
    if (curr < prev) {
      b.count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  return forced;
}
