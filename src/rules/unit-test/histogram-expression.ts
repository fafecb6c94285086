// Native histograms as promtool shows and compares them: Prometheus's FloatHistogram.TestExpression(),
// the `{{schema:1 count:4 sum:5.6 buckets:[4]}}` notation of a histogram compacted to one span per side.
import type { Buckets, NativeHistogram } from '../../promql/native-histogram.js';

interface Span {
  offset: number;
  counts: number[];
}

interface Canonical {
  schema: number;
  count: number;
  sum: number;
  zeroCount: number;
  zeroThreshold: number;
  customValues: readonly number[] | null;
  hint: NativeHistogram['hint'];
  positive: Span;
  negative: Span;
}

/** Compact(MaxInt): empty buckets at either end dropped, the gaps between the rest filled with zeros. */
function oneSpan(b: Buckets): Span {
  let lo = Infinity;
  let hi = -Infinity;
  const byIdx = new Map<number, number>();
  b.idx.forEach((idx, i) => {
    const c = (b.counts[i] ?? 0) + (byIdx.get(idx) ?? 0);
    byIdx.set(idx, c);
  });
  for (const [idx, c] of byIdx) {
    if (c === 0) continue;
    lo = Math.min(lo, idx);
    hi = Math.max(hi, idx);
  }
  if (lo > hi) return { offset: 0, counts: [] };
  const counts: number[] = [];
  for (let i = lo; i <= hi; i++) counts.push(byIdx.get(i) ?? 0);
  return { offset: lo, counts };
}

function canonical(h: NativeHistogram): Canonical {
  return {
    schema: h.schema, count: h.count, sum: h.sum, zeroCount: h.zeroCount, zeroThreshold: h.zeroThreshold,
    customValues: h.customValues, hint: h.hint, positive: oneSpan(h.positive), negative: oneSpan(h.negative),
  };
}

export function histogramTestExpression(h: NativeHistogram): string {
  const c = canonical(h);
  const out: string[] = [];
  if (c.schema !== 0) out.push(`schema:${c.schema}`);
  if (c.count !== 0) out.push(`count:${goG(c.count)}`);
  if (c.sum !== 0) out.push(`sum:${goG(c.sum)}`);
  if (c.zeroCount !== 0) out.push(`z_bucket:${goG(c.zeroCount)}`);
  if (c.zeroThreshold !== 0) out.push(`z_bucket_w:${goG(c.zeroThreshold)}`);
  if (c.customValues !== null) out.push(`custom_values:[${c.customValues.map(goG).join(' ')}]`);
  if (c.hint !== 'unknown') out.push(`counter_reset_hint:${c.hint}`);
  const side = (s: Span, bucketsKey: string, offsetKey: string) => {
    if (s.counts.length === 0) return;
    if (s.offset !== 0) out.push(`${offsetKey}:${s.offset}`);
    out.push(`${bucketsKey}:[${s.counts.map(goG).join(' ')}]`);
  };
  side(c.positive, 'buckets', 'offset');
  side(c.negative, 'n_buckets', 'n_offset');
  return `{{${out.join(' ')}}}`;
}

/** Equal as promtool compares them (same compacted shape), each float within `eq`. */
export function histogramsMatch(a: NativeHistogram, b: NativeHistogram, eq: (x: number, y: number) => boolean): boolean {
  const x = canonical(a);
  const y = canonical(b);
  const floats = (p: readonly number[] | null, q: readonly number[] | null) =>
    p === null || q === null ? p === q : p.length === q.length && p.every((v, i) => eq(v, q[i] as number));
  const spans = (p: Span, q: Span) => p.offset === q.offset && floats(p.counts, q.counts);
  return x.schema === y.schema && x.hint === y.hint && eq(x.count, y.count) && eq(x.sum, y.sum) && eq(x.zeroCount, y.zeroCount)
    && eq(x.zeroThreshold, y.zeroThreshold) && floats(x.customValues, y.customValues)
    && spans(x.positive, y.positive) && spans(x.negative, y.negative);
}

/** Go's %g (strconv 'g', shortest): exponent form below 1e-4 and from 1e6 up, `1e+06`. */
export function goG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const [mant, exp] = v.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(v);
}
