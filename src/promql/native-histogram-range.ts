// rate/increase/delta and irate/idelta over native histogram samples (Prometheus's histogramRate and the
// histogram half of instantValue): differences of histograms with counter resets detected bucket by bucket.

import {
  CUSTOM_BUCKETS_SCHEMA, NO_BUCKETS, addHistograms, compact, detectReset, divideHistogram, subHistograms, toSchema,
  usesCustomBuckets, withHint, type NativeHistogram,
} from './native-histogram.js';

/** Where a range function reports what Prometheus reports as annotations. */
export interface Report {
  warn(msg: string): void;
  info(msg: string): void;
}

const q = JSON.stringify;

function emptyLike(h: NativeHistogram): NativeHistogram {
  return {
    schema: h.schema, zeroThreshold: 0, zeroCount: 0, count: 0, sum: 0, positive: NO_BUCKETS, negative: NO_BUCKETS,
    customValues: h.schema === CUSTOM_BUCKETS_SCHEMA ? h.customValues : null, hint: 'unknown',
  };
}

/**
 * The increase from the first to the last histogram (with counter resets added back if `isCounter`), before
 * extrapolation; null if the histograms can't be combined. `points` has at least two entries.
 */
export function histogramIncrease(points: readonly NativeHistogram[], isCounter: boolean, name: string, report: Report): NativeHistogram | null {
  const first = points[0] as NativeHistogram;
  const last = points[points.length - 1] as NativeHistogram;
  let prev = first;
  let customBuckets = usesCustomBuckets(prev);
  if (isCounter && (prev.hint === 'gauge' || last.hint === 'gauge')) {
    report.warn(`this native histogram metric is not a counter: ${q(name)}`);
  }
  // After a reset between the first two samples the first one is irrelevant, whatever its bucket layout.
  const second = points[1] as NativeHistogram;
  if (isCounter && detectReset(second, prev)) {
    prev = emptyLike(second);
    customBuckets = usesCustomBuckets(second);
  }
  const mixedSchemas = `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${q(name)}`;
  if (usesCustomBuckets(last) !== customBuckets) {
    report.warn(mixedSchemas);
    return null;
  }
  let minSchema = Math.min(last.schema, prev.schema);
  for (let i = 1; i < points.length - 1; i++) {
    const cur = points[i] as NativeHistogram;
    if (!isCounter) continue;
    if (cur.hint === 'gauge') report.warn(`this native histogram metric is not a counter: ${q(name)}`);
    if (cur.schema < minSchema) minSchema = cur.schema;
    if (usesCustomBuckets(cur) !== customBuckets) {
      report.warn(mixedSchemas);
      return null;
    }
  }
  const diff = subHistograms(toSchema(last, minSchema), prev);
  if (diff === null) {
    report.warn(mixedSchemas);
    return null;
  }
  if (diff.boundsReconciled) report.info('mismatched custom buckets were reconciled during subtraction');
  let h = diff.h;
  if (isCounter) {
    for (let i = 1; i < points.length; i++) {
      const cur = points[i] as NativeHistogram;
      if (detectReset(cur, prev)) {
        const r = addHistograms(h, prev);
        if (r === null) {
          report.warn(mixedSchemas);
          return null;
        }
        if (r.boundsReconciled) report.info('mismatched custom buckets were reconciled during addition');
        h = r.h;
      }
      prev = cur;
    }
  } else if (first.hint !== 'gauge' || last.hint !== 'gauge') {
    report.warn(`this native histogram metric is not a gauge: ${q(name)}`);
  }
  return compact(withHint(h, 'gauge'));
}

/** irate (isRate) or idelta of the last two samples, both histograms, `intervalMs` apart. */
export function histogramInstantValue(
  prev: NativeHistogram, last: NativeHistogram, intervalMs: number, isRate: boolean, name: string, report: Report,
): NativeHistogram | null {
  if (isRate && (last.hint === 'gauge' || prev.hint === 'gauge')) {
    report.warn(`this native histogram metric is not a counter: ${q(name)}`);
  }
  if (!isRate && (last.hint !== 'gauge' || prev.hint !== 'gauge')) {
    report.warn(`this native histogram metric is not a gauge: ${q(name)}`);
  }
  let h = last;
  if (!isRate || !detectReset(last, prev)) {
    const r = subHistograms(last, prev);
    if (r === null) {
      report.warn(`vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${q(name)}`);
      return null;
    }
    if (r.boundsReconciled) report.info('mismatched custom buckets were reconciled during subtraction');
    h = r.h;
  }
  h = compact(withHint(h, 'gauge'));
  return isRate ? divideHistogram(h, intervalMs / 1000) : h;
}
