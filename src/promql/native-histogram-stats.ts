// Statistics estimated from one native histogram: quantile, fraction of observations in a range, variance.
// Exponential buckets interpolate on a log scale; custom buckets and the zero bucket interpolate linearly.

import { kahanSumInc } from './float-math.js';
import { allBuckets, usesCustomBuckets, type BucketView, type NativeHistogram } from './native-histogram.js';

/** Something went wrong enough with the input that Prometheus reports it. */
export type StatNote = 'nan_result' | 'nan_skew' | 'nan_excluded';

export function histogramQuantile(q: number, h: NativeHistogram): { value: number; note?: StatNote } {
  if (q < 0) return { value: -Infinity };
  if (q > 1) return { value: Infinity };
  if (h.count === 0 || Number.isNaN(q)) return { value: NaN };
  const ascending = allBuckets(h);
  // NaN observations are only in the count, so with a NaN sum only the forward direction finds the rank.
  const forward = Number.isNaN(h.sum) || q < 0.5;
  const buckets = forward ? ascending : ascending.reverse();
  let rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let bucket: BucketView = { lower: 0, upper: 0, count: 0 };
  let at = 0;
  for (; at < buckets.length; at++) {
    const b = buckets[at] as BucketView;
    if (b.count === 0) continue;
    bucket = { ...b };
    count += b.count;
    if (count >= rank) break;
  }
  const custom = usesCustomBuckets(h);
  if (!custom && bucket.lower < 0 && bucket.upper > 0) {
    const hasNeg = h.negative.idx.length > 0;
    const hasPos = h.positive.idx.length > 0;
    // A quantile in the zero bucket of a one-sided histogram: 0 is the natural bound on the empty side.
    if (!hasNeg && hasPos) bucket.lower = 0;
    else if (!hasPos && hasNeg) bucket.upper = 0;
  } else if (custom) {
    if (bucket.lower === -Infinity) {
      if (bucket.upper <= 0) return { value: bucket.upper };
      bucket.lower = 0;
    } else if (bucket.upper === Infinity) {
      return { value: bucket.lower };
    }
  }
  if (count > h.count) count = h.count;
  if (count < rank) {
    if (Number.isNaN(h.sum)) return { value: NaN, note: 'nan_result' };
    return { value: bucket.upper };
  }
  if (forward) rank -= count - bucket.count;
  else rank = count - rank;
  let note: StatNote | undefined;
  if (Number.isNaN(h.sum)) {
    let total = count;
    for (let i = at + 1; i < buckets.length; i++) total += (buckets[i] as BucketView).count;
    if (total < h.count) note = 'nan_skew';
  }
  const fraction = rank / bucket.count;
  const done = (value: number): { value: number; note?: StatNote } => (note === undefined ? { value } : { value, note });
  if (custom || (bucket.lower <= 0 && bucket.upper >= 0)) return done(bucket.lower + (bucket.upper - bucket.lower) * fraction);
  const logLower = Math.log2(Math.abs(bucket.lower));
  const logUpper = Math.log2(Math.abs(bucket.upper));
  if (bucket.lower > 0) return done(2 ** (logLower + (logUpper - logLower) * fraction));
  return done(-(2 ** (logUpper + (logLower - logUpper) * (1 - fraction))));
}

/** Fraction of observations in [lower, upper] (interpolated within buckets). */
export function histogramFraction(lower: number, upper: number, h: NativeHistogram): { value: number; note?: StatNote } {
  if (h.count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return { value: NaN };
  if (lower >= upper) return { value: 0 };
  const custom = usesCustomBuckets(h);
  const hasNeg = h.negative.idx.length > 0;
  const hasPos = h.positive.idx.length > 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let total = 0;
  for (const b0 of allBuckets(h)) {
    total += b0.count;
    if (lowerSet && upperSet) continue;
    const b = { ...b0 };
    let zeroBucket = false;
    if (b.lower <= 0 && b.upper >= 0) {
      zeroBucket = true;
      if (!hasNeg && hasPos) b.lower = 0;
      else if (!hasPos && hasNeg) b.upper = 0;
    }
    // No interpolation into an infinitely wide bucket: its observations all count as below (above) the value.
    const linear = (v: number): number => {
      if (b.lower === -Infinity) return rank + b.count;
      if (b.upper === Infinity) return rank;
      return rank + (b.count * (v - b.lower)) / (b.upper - b.lower);
    };
    const exponential = (v: number): number => {
      const logLower = Math.log2(Math.abs(b.lower));
      const logUpper = Math.log2(Math.abs(b.upper));
      const logV = Math.log2(Math.abs(v));
      const fraction = v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper);
      return rank + b.count * fraction;
    };
    const interpolate = custom || zeroBucket ? linear : exponential;
    if (!lowerSet && b.lower >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && b.lower >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) continue;
    if (!lowerSet && b.lower < lower && b.upper > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && b.lower < upper && b.upper > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) continue;
    rank += b.count;
  }
  // NaN observations are counted but in no bucket: they stay outside every fraction.
  const nanObservations = Number.isNaN(h.sum) && total < h.count;
  const cap = nanObservations ? total : h.count;
  if (!lowerSet || lowerRank > cap) lowerRank = cap;
  if (!upperSet || upperRank > cap) upperRank = cap;
  const value = (upperRank - lowerRank) / h.count;
  return nanObservations ? { value, note: 'nan_excluded' } : { value };
}

/** Variance of the observations, each bucket's observations placed at its (geometric, for exponential) mean. */
export function histogramVariance(h: NativeHistogram): number {
  const mean = h.sum / h.count;
  const custom = usesCustomBuckets(h);
  let variance = 0;
  let c = 0;
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    let val: number;
    if (custom) val = (b.upper + b.lower) / 2;
    else if (b.lower <= 0 && b.upper >= 0) val = 0;
    else {
      val = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) val = -val;
    }
    const delta = val - mean;
    [variance, c] = kahanSumInc(b.count * delta * delta, variance, c);
  }
  return (variance + c) / h.count;
}
