// How promqltest compares an expected native histogram with a result: both compacted (empty buckets removed),
// same schema, zero threshold and custom bounds, and counts, sum and buckets within 1e-6 relative.

import { compact, customBoundsMatch, usesCustomBuckets, type Buckets, type NativeHistogram } from '../native-histogram.js';
import { almostEqual } from './almost-equal.js';

function bucketsAlmostEqual(a: Buckets, b: Buckets): boolean {
  if (a.idx.length !== b.idx.length) return false;
  for (let i = 0; i < a.idx.length; i++) {
    if (a.idx[i] !== b.idx[i] || !almostEqual(a.counts[i] as number, b.counts[i] as number)) return false;
  }
  return true;
}

export function histogramsAlmostEqual(expected: NativeHistogram, actual: NativeHistogram): boolean {
  const e = compact(expected);
  const a = compact(actual);
  if (e.schema !== a.schema || !almostEqual(e.count, a.count) || !almostEqual(e.sum, a.sum)) return false;
  if (usesCustomBuckets(e) && !customBoundsMatch(e.customValues, a.customValues)) return false;
  if (e.zeroThreshold !== a.zeroThreshold || !almostEqual(e.zeroCount, a.zeroCount)) return false;
  return bucketsAlmostEqual(e.negative, a.negative) && bucketsAlmostEqual(e.positive, a.positive);
}

/** The test notation of a histogram (like Prometheus's TestExpression), for failure messages. */
export function formatHistogram(h: NativeHistogram): string {
  const parts: string[] = [];
  if (h.schema !== 0) parts.push(`schema:${h.schema}`);
  if (h.count !== 0) parts.push(`count:${h.count}`);
  if (h.sum !== 0) parts.push(`sum:${h.sum}`);
  if (h.zeroCount !== 0) parts.push(`z_bucket:${h.zeroCount}`);
  if (h.zeroThreshold !== 0) parts.push(`z_bucket_w:${h.zeroThreshold}`);
  if (usesCustomBuckets(h)) parts.push(`custom_values:[${(h.customValues ?? []).join(' ')}]`);
  if (h.hint !== 'unknown') parts.push(`counter_reset_hint:${h.hint}`);
  const buckets = (b: Buckets, key: string, offsetKey: string): void => {
    if (b.idx.length === 0) return;
    const first = b.idx[0] as number;
    const last = b.idx[b.idx.length - 1] as number;
    const dense = new Array<number>(last - first + 1).fill(0);
    b.idx.forEach((i, k) => {
      dense[i - first] = b.counts[k] as number;
    });
    if (first !== 0) parts.push(`${offsetKey}:${first}`);
    parts.push(`${key}:[${dense.join(' ')}]`);
  };
  buckets(h.positive, 'buckets', 'offset');
  buckets(h.negative, 'n_buckets', 'n_offset');
  return `{{${parts.join(' ')}}}`;
}
