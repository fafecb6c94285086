// Native histograms as PromQL sees them (Prometheus's FloatHistogram): exponential buckets of a schema, or
// custom bounds (NHCB, schema -53), with the arithmetic the evaluator needs. Values are never mutated once built.

export type CounterResetHint = 'unknown' | 'reset' | 'not_reset' | 'gauge';

/** Schema number of native histograms with custom bucket bounds (NHCB). */
export const CUSTOM_BUCKETS_SCHEMA = -53;

/** Sparse buckets: ascending bucket indices and their (absolute) counts; a listed bucket may hold 0. */
export interface Buckets {
  readonly idx: readonly number[];
  readonly counts: readonly number[];
}

export interface NativeHistogram {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly count: number;
  readonly sum: number;
  readonly positive: Buckets;
  readonly negative: Buckets;
  /** Upper bounds of the custom buckets (the +Inf bucket is implied); null for exponential schemas. */
  readonly customValues: readonly number[] | null;
  readonly hint: CounterResetHint;
}

export const NO_BUCKETS: Buckets = { idx: [], counts: [] };

export function usesCustomBuckets(h: NativeHistogram): boolean {
  return h.schema === CUSTOM_BUCKETS_SCHEMA;
}

export function withHint(h: NativeHistogram, hint: CounterResetHint): NativeHistogram {
  return h.hint === hint ? h : { ...h, hint };
}

// ---- bucket bounds ----

const FRACTIONS: number[][] = [];

/** Prometheus's exponentialBounds table: 2^(i/2^schema - 1) for each sub-bucket of a power of two. */
function fractions(schema: number): number[] {
  let f = FRACTIONS[schema];
  if (!f) {
    const n = 2 ** schema;
    f = Array.from({ length: n }, (_, i) => 2 ** (i / n) / 2);
    FRACTIONS[schema] = f;
  }
  return f;
}

/** Upper bound of exponential bucket `idx` (the lower bound is the bound of idx - 1). */
export function exponentialBound(idx: number, schema: number): number {
  if (schema <= 0) {
    const exp = idx * 2 ** -schema;
    // 2^1024 is +Inf, but it is the upper bound of the last bucket that still fits a float64.
    return exp === 1024 ? Number.MAX_VALUE : 2 ** exp;
  }
  const frac = fractions(schema)[idx & (2 ** schema - 1)] as number;
  const exp = (idx >> schema) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return frac * 2 ** exp;
}

/** Upper bound of bucket `idx` for any schema; custom buckets have -Inf below index 0 and +Inf as the last bound. */
export function bucketBound(idx: number, schema: number, customValues: readonly number[] | null): number {
  if (schema !== CUSTOM_BUCKETS_SCHEMA) return exponentialBound(idx, schema);
  const cv = customValues ?? [];
  if (idx >= cv.length) return Infinity;
  if (idx < 0) return -Infinity;
  return cv[idx] as number;
}

export interface BucketView {
  lower: number;
  upper: number;
  count: number;
}

/**
 * All buckets from the lowest to the highest (negative, zero, positive), as Prometheus's AllBucketIterator:
 * the zero bucket only if populated, and bounds of buckets overlapping the zero bucket clipped to it.
 */
export function allBuckets(h: NativeHistogram): BucketView[] {
  const out: BucketView[] = [];
  const zt = h.zeroThreshold;
  const cv = h.customValues;
  const neg = h.negative;
  for (let i = neg.idx.length - 1; i >= 0; i--) {
    const idx = neg.idx[i] as number;
    const b = { lower: -bucketBound(idx, h.schema, cv), upper: -bucketBound(idx - 1, h.schema, cv), count: neg.counts[i] as number };
    clip(b, zt);
    out.push(b);
  }
  if (h.zeroCount > 0) out.push({ lower: -zt, upper: zt, count: h.zeroCount });
  const pos = h.positive;
  for (let i = 0; i < pos.idx.length; i++) {
    const idx = pos.idx[i] as number;
    const b = { lower: bucketBound(idx - 1, h.schema, cv), upper: bucketBound(idx, h.schema, cv), count: pos.counts[i] as number };
    clip(b, zt);
    out.push(b);
  }
  return out;
}

function clip(b: BucketView, zt: number): void {
  if (b.lower > 0 && b.lower < zt) b.lower = zt;
  else if (b.upper < 0 && b.upper > -zt) b.upper = -zt;
}

/** Prometheus's FloatHistogram.String(), e.g. `{count:3, sum:2, [-2,-1):1, [-0.001,0.001]:1, (1,2]:1}`. */
export function histogramString(h: NativeHistogram, g: (f: number) => string): string {
  const custom = usesCustomBuckets(h);
  const cv = h.customValues;
  const parts = [`count:${g(h.count)}`, `sum:${g(h.sum)}`];
  const bucket = (lower: number, upper: number, lowerIn: boolean, upperIn: boolean, count: number): string =>
    `${lowerIn ? '[' : '('}${g(lower)},${g(upper)}${upperIn ? ']' : ')'}:${g(count)}`;
  const neg = h.negative;
  for (let i = neg.idx.length - 1; i >= 0; i--) {
    const c = neg.counts[i] as number;
    if (c === 0) continue;
    const idx = neg.idx[i] as number;
    const lower = -bucketBound(idx, h.schema, cv);
    const upper = -bucketBound(idx - 1, h.schema, cv);
    parts.push(bucket(lower, upper, lower < 0, upper > 0, c));
  }
  if (h.zeroCount !== 0) parts.push(bucket(-h.zeroThreshold, h.zeroThreshold, true, true, h.zeroCount));
  const pos = h.positive;
  for (let i = 0; i < pos.idx.length; i++) {
    const c = pos.counts[i] as number;
    if (c === 0) continue;
    const idx = pos.idx[i] as number;
    const lower = bucketBound(idx - 1, h.schema, cv);
    const upper = bucketBound(idx, h.schema, cv);
    parts.push(custom ? bucket(lower, upper, idx === 0, true, c) : bucket(lower, upper, lower < 0, upper > 0, c));
  }
  return `{${parts.join(', ')}}`;
}

// ---- bucket list helpers ----

/** Merges buckets into a lower-resolution schema (both exponential, target ≤ source). */
export function reduceResolution(b: Buckets, from: number, to: number): Buckets {
  if (from === to || b.idx.length === 0) return b;
  const shift = from - to;
  const idx: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < b.idx.length; i++) {
    const t = (((b.idx[i] as number) - 1) >> shift) + 1;
    const last = counts.length - 1;
    if (idx[last] === t) counts[last] = (counts[last] as number) + (b.counts[i] as number);
    else {
      idx.push(t);
      counts.push(b.counts[i] as number);
    }
  }
  return { idx, counts };
}

/**
 * Adds (or subtracts) `b` into `a`, creating missing buckets. Leading buckets of `b` whose upper bound is within
 * the zero threshold are skipped, as their counts were already moved into the zero bucket.
 */
function addBuckets(schema: number, threshold: number, negate: boolean, a: Buckets, b: Buckets): Buckets {
  let start = 0;
  if (schema !== CUSTOM_BUCKETS_SCHEMA) {
    while (start < b.idx.length && exponentialBound(b.idx[start] as number, schema) <= threshold) start++;
  }
  const idx: number[] = [];
  const counts: number[] = [];
  let i = 0;
  let j = start;
  const sign = negate ? -1 : 1;
  while (i < a.idx.length || j < b.idx.length) {
    const ai = i < a.idx.length ? (a.idx[i] as number) : Infinity;
    const bj = j < b.idx.length ? (b.idx[j] as number) : Infinity;
    if (ai < bj) {
      idx.push(ai);
      counts.push(a.counts[i++] as number);
    } else if (bj < ai) {
      idx.push(bj);
      counts.push(sign * (b.counts[j++] as number));
    } else {
      idx.push(ai);
      counts.push((a.counts[i++] as number) + sign * (b.counts[j++] as number));
    }
  }
  return { idx, counts };
}

function compactBuckets(b: Buckets): Buckets {
  if (!b.counts.some((c) => c === 0)) return b;
  const idx: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < b.idx.length; i++) {
    if (b.counts[i] === 0) continue;
    idx.push(b.idx[i] as number);
    counts.push(b.counts[i] as number);
  }
  return { idx, counts };
}

function scaleBuckets(b: Buckets, f: (c: number) => number): Buckets {
  return { idx: b.idx, counts: b.counts.map(f) };
}

/** Removes empty buckets (Prometheus's Compact(0)); the bucket layout is otherwise irrelevant here. */
export function compact(h: NativeHistogram): NativeHistogram {
  const positive = compactBuckets(h.positive);
  const negative = compactBuckets(h.negative);
  return positive === h.positive && negative === h.negative ? h : { ...h, positive, negative };
}

// ---- zero bucket reconciliation ----

interface Mutable {
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  sum: number;
  positive: Buckets;
  negative: Buckets;
  customValues: readonly number[] | null;
  hint: CounterResetHint;
}

/**
 * The zero count `h` would have with a zero threshold of at least `larger`; if that threshold falls inside a
 * populated bucket, it is widened to that bucket's far bound (returned too).
 */
function zeroCountForLargerThreshold(h: Mutable | NativeHistogram, larger: number): { count: number; threshold: number } {
  if (larger === h.zeroThreshold) return { count: h.zeroCount, threshold: larger };
  outer: for (;;) {
    let count = h.zeroCount;
    const pos = h.positive;
    for (let i = 0; i < pos.idx.length; i++) {
      const idx = pos.idx[i] as number;
      const lower = exponentialBound(idx - 1, h.schema);
      if (lower >= larger) break;
      const c = pos.counts[i] as number;
      count += c;
      const upper = exponentialBound(idx, h.schema);
      if (upper > larger) {
        if (c !== 0) larger = upper;
        break;
      }
    }
    const neg = h.negative;
    for (let i = 0; i < neg.idx.length; i++) {
      const idx = neg.idx[i] as number;
      // A negative bucket spans [-bound(idx), -bound(idx - 1)].
      if (exponentialBound(idx - 1, h.schema) >= larger) break;
      const c = neg.counts[i] as number;
      count += c;
      const far = exponentialBound(idx, h.schema);
      if (far > larger) {
        if (c !== 0) {
          larger = far;
          continue outer;
        }
        break;
      }
    }
    return { count, threshold: larger };
  }
}

/** Drops the buckets inside the (already widened) zero bucket, whose counts are part of the zero count now. */
function trimBucketsInZeroBucket(h: Mutable): void {
  const keep = (b: Buckets): Buckets => {
    const idx: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < b.idx.length; i++) {
      const id = b.idx[i] as number;
      if (exponentialBound(id - 1, h.schema) < h.zeroThreshold) continue;
      if (b.counts[i] === 0) continue;
      idx.push(id);
      counts.push(b.counts[i] as number);
    }
    return { idx, counts };
  };
  h.positive = keep(h.positive);
  h.negative = keep(h.negative);
}

/** Widens the zero bucket of `h` (in place) and returns the zero count `other` has with the same threshold. */
function reconcileZeroBuckets(h: Mutable, other: NativeHistogram): number {
  let otherCount = other.zeroCount;
  let otherThreshold = other.zeroThreshold;
  while (otherThreshold !== h.zeroThreshold) {
    if (h.zeroThreshold > otherThreshold) {
      ({ count: otherCount, threshold: otherThreshold } = zeroCountForLargerThreshold(other, h.zeroThreshold));
    }
    if (otherThreshold > h.zeroThreshold) {
      const r = zeroCountForLargerThreshold(h, otherThreshold);
      h.zeroCount = r.count;
      h.zeroThreshold = r.threshold;
      trimBucketsInZeroBucket(h);
    }
  }
  return otherCount;
}

// ---- custom bounds ----

export function customBoundsMatch(a: readonly number[] | null, b: readonly number[] | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function intersectBounds(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

/** Sums custom buckets into the layout of `target` bounds: each bucket goes to the first target bound ≥ its own. */
function mapToBounds(b: Buckets, bounds: readonly number[], target: readonly number[], into: number[], sign: number): void {
  let k = 0;
  for (let i = 0; i < b.idx.length; i++) {
    const idx = b.idx[i] as number;
    let t = target.length;
    if (idx < bounds.length) {
      const bound = bounds[idx] as number;
      while (k < target.length && (target[k] as number) < bound) k++;
      t = k;
    }
    into[t] = (into[t] as number) + sign * (b.counts[i] as number);
  }
}

function denseToBuckets(dense: number[]): Buckets {
  const idx: number[] = [];
  const counts: number[] = [];
  dense.forEach((c, i) => {
    if (c !== 0) {
      idx.push(i);
      counts.push(c);
    }
  });
  return { idx, counts };
}

// ---- arithmetic ----

export interface CombineResult {
  h: NativeHistogram;
  /** One operand had a counter reset hint of `reset` and the other `not_reset`. */
  counterResetCollision: boolean;
  /** Custom bounds differed and were reduced to the bounds both have. */
  boundsReconciled: boolean;
}

function combinedHint(a: CounterResetHint, b: CounterResetHint): { hint: CounterResetHint; collision: boolean } {
  if (a === b || a === 'gauge') return { hint: a, collision: false };
  if (b === 'gauge') return { hint: 'gauge', collision: false };
  if (a === 'unknown' || b === 'unknown') return { hint: 'unknown', collision: false };
  return { hint: 'unknown', collision: true };
}

/** a + b (or a - b); null when one uses custom buckets and the other an exponential schema. */
function combine(a: NativeHistogram, b: NativeHistogram, negate: boolean): CombineResult | null {
  if (usesCustomBuckets(a) !== usesCustomBuckets(b)) return null;
  const { hint, collision } = combinedHint(a.hint, b.hint);
  const sign = negate ? -1 : 1;
  const h: Mutable = { ...a, hint };
  let boundsReconciled = false;
  if (usesCustomBuckets(a)) {
    h.count = a.count + sign * b.count;
    h.sum = a.sum + sign * b.sum;
    const av = a.customValues ?? [];
    const bv = b.customValues ?? [];
    if (customBoundsMatch(av, bv)) {
      h.positive = addBuckets(h.schema, 0, negate, a.positive, b.positive);
    } else {
      boundsReconciled = true;
      const target = intersectBounds(av, bv);
      const dense = new Array<number>(target.length + 1).fill(0);
      mapToBounds(a.positive, av, target, dense, 1);
      mapToBounds(b.positive, bv, target, dense, sign);
      h.positive = denseToBuckets(dense);
      h.customValues = target;
    }
    return { h, counterResetCollision: collision, boundsReconciled };
  }
  const otherZero = reconcileZeroBuckets(h, b);
  h.zeroCount += sign * otherZero;
  h.count = a.count + sign * b.count;
  h.sum = a.sum + sign * b.sum;
  let bp = b.positive;
  let bn = b.negative;
  if (b.schema < h.schema) {
    h.positive = reduceResolution(h.positive, h.schema, b.schema);
    h.negative = reduceResolution(h.negative, h.schema, b.schema);
    h.schema = b.schema;
  } else if (b.schema > h.schema) {
    bp = reduceResolution(bp, b.schema, h.schema);
    bn = reduceResolution(bn, b.schema, h.schema);
  }
  h.positive = addBuckets(h.schema, h.zeroThreshold, negate, h.positive, bp);
  h.negative = addBuckets(h.schema, h.zeroThreshold, negate, h.negative, bn);
  return { h, counterResetCollision: collision, boundsReconciled };
}

export function addHistograms(a: NativeHistogram, b: NativeHistogram): CombineResult | null {
  return combine(a, b, false);
}

export function subHistograms(a: NativeHistogram, b: NativeHistogram): CombineResult | null {
  return combine(a, b, true);
}

/** Scales counts, zero count, sum and all buckets; a negative factor makes the result a gauge. */
export function scaleHistogram(h: NativeHistogram, factor: number): NativeHistogram {
  return {
    ...h,
    zeroCount: h.zeroCount * factor,
    count: h.count * factor,
    sum: h.sum * factor,
    positive: scaleBuckets(h.positive, (c) => c * factor),
    negative: scaleBuckets(h.negative, (c) => c * factor),
    hint: factor < 0 ? 'gauge' : h.hint,
  };
}

/** Divides like scaleHistogram; division by zero removes all buckets, as in Prometheus. */
export function divideHistogram(h: NativeHistogram, divisor: number): NativeHistogram {
  const base = {
    ...h,
    zeroCount: h.zeroCount / divisor,
    count: h.count / divisor,
    sum: h.sum / divisor,
  };
  if (divisor === 0) return { ...base, positive: NO_BUCKETS, negative: NO_BUCKETS };
  return {
    ...base,
    positive: scaleBuckets(h.positive, (c) => c / divisor),
    negative: scaleBuckets(h.negative, (c) => c / divisor),
    hint: divisor < 0 ? 'gauge' : h.hint,
  };
}

/** The bucket layout of a histogram: what two histograms must share for their buckets to line up. */
export interface Layout {
  schema: number;
  zeroThreshold: number;
  customValues: readonly number[] | null;
}

/**
 * Re-buckets `h` into `to`, which must be reachable by adding histograms: a lower or equal resolution, a zero
 * bucket at least as wide (buckets below it are folded into it), custom bounds that are a subset of h's.
 */
export function alignLayout(h: NativeHistogram, to: Layout): NativeHistogram {
  if (usesCustomBuckets(h)) {
    if (customBoundsMatch(h.customValues, to.customValues)) return h;
    const target = to.customValues ?? [];
    const dense = new Array<number>(target.length + 1).fill(0);
    mapToBounds(h.positive, h.customValues ?? [], target, dense, 1);
    return { ...h, customValues: target, positive: denseToBuckets(dense) };
  }
  const r = toSchema(h, to.schema);
  if (to.zeroThreshold === r.zeroThreshold) return r;
  const m: Mutable = { ...r, zeroThreshold: to.zeroThreshold };
  const fold = (b: Buckets): Buckets => {
    const idx: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < b.idx.length; i++) {
      const id = b.idx[i] as number;
      if (exponentialBound(id - 1, to.schema) < to.zeroThreshold) m.zeroCount += b.counts[i] as number;
      else {
        idx.push(id);
        counts.push(b.counts[i] as number);
      }
    }
    return { idx, counts };
  };
  m.positive = fold(r.positive);
  m.negative = fold(r.negative);
  return m;
}

/** Re-buckets into a lower-resolution exponential schema. */
export function toSchema(h: NativeHistogram, schema: number): NativeHistogram {
  if (schema === h.schema || usesCustomBuckets(h)) return h;
  return {
    ...h,
    schema,
    positive: reduceResolution(h.positive, h.schema, schema),
    negative: reduceResolution(h.negative, h.schema, schema),
  };
}

// ---- comparison ----

function sameBits(a: number, b: number): boolean {
  return Object.is(a, b);
}

function bucketsEqual(a: Buckets, b: Buckets): boolean {
  if (a.idx.length !== b.idx.length) return false;
  for (let i = 0; i < a.idx.length; i++) {
    if (a.idx[i] !== b.idx[i] || !sameBits(a.counts[i] as number, b.counts[i] as number)) return false;
  }
  return true;
}

/** Exact equality of values and bucket layout (Prometheus's Equals). */
export function histogramsEqual(a: NativeHistogram, b: NativeHistogram): boolean {
  if (a.schema !== b.schema || !sameBits(a.count, b.count) || !sameBits(a.sum, b.sum)) return false;
  if (usesCustomBuckets(a) && !customBoundsMatch(a.customValues, b.customValues)) return false;
  if (a.zeroThreshold !== b.zeroThreshold || !sameBits(a.zeroCount, b.zeroCount)) return false;
  return bucketsEqual(a.positive, b.positive) && bucketsEqual(a.negative, b.negative);
}

/** Buckets with an upper bound above `threshold`, in `schema` (≤ the histogram's), as index → count. */
function bucketsAbove(b: Buckets, from: number, schema: number, threshold: number): Buckets {
  const r = reduceResolution(b, from, schema);
  let start = 0;
  if (schema !== CUSTOM_BUCKETS_SCHEMA) {
    while (start < r.idx.length && exponentialBound(r.idx[start] as number, schema) <= threshold) start++;
  }
  return start === 0 ? r : { idx: r.idx.slice(start), counts: r.counts.slice(start) };
}

function bucketsDecreased(curr: Buckets, prev: Buckets): boolean {
  let j = 0;
  for (let i = 0; i < prev.idx.length; i++) {
    const pi = prev.idx[i] as number;
    const pc = prev.counts[i] as number;
    while (j < curr.idx.length && (curr.idx[j] as number) < pi) j++;
    if (j < curr.idx.length && curr.idx[j] === pi) {
      if ((curr.counts[j] as number) < pc) return true;
    } else if (pc !== 0) {
      return true;
    }
  }
  return false;
}

/** Whether `curr` follows `prev` only after a counter reset (Prometheus's DetectReset). */
export function detectReset(curr: NativeHistogram, prev: NativeHistogram): boolean {
  if (curr.hint === 'reset') return true;
  if (curr.hint === 'not_reset') return false;
  if (curr.count < prev.count) return true;
  if (usesCustomBuckets(curr)) {
    if (!usesCustomBuckets(prev)) return true;
    if (!customBoundsMatch(curr.customValues, prev.customValues)) {
      const cv = curr.customValues ?? [];
      const pv = prev.customValues ?? [];
      const target = intersectBounds(cv, pv);
      const c = new Array<number>(target.length + 1).fill(0);
      const p = new Array<number>(target.length + 1).fill(0);
      mapToBounds(curr.positive, cv, target, c, 1);
      mapToBounds(prev.positive, pv, target, p, 1);
      return c.some((x, i) => x < (p[i] as number));
    }
    return bucketsDecreased(curr.positive, prev.positive);
  }
  if (usesCustomBuckets(prev)) return true;
  if (curr.schema > prev.schema) return true;
  if (curr.zeroThreshold < prev.zeroThreshold) return true;
  const z = zeroCountForLargerThreshold(prev, curr.zeroThreshold);
  if (z.threshold !== curr.zeroThreshold) return true;
  if (curr.zeroCount < z.count) return true;
  const zt = curr.zeroThreshold;
  if (bucketsDecreased(bucketsAbove(curr.positive, curr.schema, curr.schema, zt), bucketsAbove(prev.positive, prev.schema, curr.schema, zt))) {
    return true;
  }
  return bucketsDecreased(bucketsAbove(curr.negative, curr.schema, curr.schema, zt), bucketsAbove(prev.negative, prev.schema, curr.schema, zt));
}

/** True if any field is ±Inf (the running sum of an average would overflow). */
export function hasOverflow(h: NativeHistogram): boolean {
  const inf = (x: number): boolean => x === Infinity || x === -Infinity;
  return inf(h.count) || inf(h.sum) || inf(h.zeroCount) || h.positive.counts.some(inf) || h.negative.counts.some(inf);
}
