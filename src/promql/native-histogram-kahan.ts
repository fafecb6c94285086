// Compensated (Kahan–Neumaier) summation of native histograms, field by field and bucket by bucket, so that
// sum and avg of histograms keep the precision their float counterparts have (1e100 + x - 1e100 stays x).

import { kahanSumInc } from './float-math.js';
import { addHistograms, alignLayout, type Buckets, type NativeHistogram } from './native-histogram.js';

/** A running sum and its compensation term, both in the same bucket layout. */
export interface CompensatedSum {
  sum: NativeHistogram;
  comp: NativeHistogram;
}

export function startSum(h: NativeHistogram): CompensatedSum {
  return { sum: h, comp: zeroLike(h) };
}

function zeroLike(h: NativeHistogram): NativeHistogram {
  const zero = (b: Buckets): Buckets => ({ idx: b.idx, counts: b.idx.map(() => 0) });
  return { ...h, zeroCount: 0, count: 0, sum: 0, positive: zero(h.positive), negative: zero(h.negative) };
}

function bucketsKahan(sum: Buckets, comp: Buckets, inc: Buckets): { s: Buckets; c: Buckets } {
  const all = new Map<number, [number, number, number]>();
  const entry = (i: number): [number, number, number] => {
    let e = all.get(i);
    if (!e) {
      e = [0, 0, 0];
      all.set(i, e);
    }
    return e;
  };
  sum.idx.forEach((i, k) => { entry(i)[0] = sum.counts[k] as number; });
  comp.idx.forEach((i, k) => { entry(i)[1] = comp.counts[k] as number; });
  inc.idx.forEach((i, k) => { entry(i)[2] = inc.counts[k] as number; });
  const idx = [...all.keys()].sort((a, b) => a - b);
  const s: number[] = [];
  const c: number[] = [];
  for (const i of idx) {
    const [sv, cv, x] = all.get(i) as [number, number, number];
    const [t, nc] = kahanSumInc(x, sv, cv);
    s.push(t);
    c.push(nc);
  }
  return { s: { idx, counts: s }, c: { idx, counts: c } };
}

/** Adds `h`; null when it can't be added (exponential and custom buckets mixed). */
export function kahanAdd(acc: CompensatedSum, h: NativeHistogram): { acc: CompensatedSum; boundsReconciled: boolean } | null {
  const r = addHistograms(acc.sum, h);
  if (r === null) return null;
  const layout = r.h;
  const s = alignLayout(acc.sum, layout);
  const c = alignLayout(acc.comp, layout);
  const x = alignLayout(h, layout);
  const [count, cCount] = kahanSumInc(x.count, s.count, c.count);
  const [sum, cSum] = kahanSumInc(x.sum, s.sum, c.sum);
  const [zeroCount, cZero] = kahanSumInc(x.zeroCount, s.zeroCount, c.zeroCount);
  const pos = bucketsKahan(s.positive, c.positive, x.positive);
  const neg = bucketsKahan(s.negative, c.negative, x.negative);
  return {
    acc: {
      sum: { ...layout, count, sum, zeroCount, positive: pos.s, negative: neg.s },
      comp: { ...layout, count: cCount, sum: cSum, zeroCount: cZero, positive: pos.c, negative: neg.c },
    },
    boundsReconciled: r.boundsReconciled,
  };
}

/** sum + compensation, as one histogram. */
export function compensatedValue(acc: CompensatedSum): NativeHistogram {
  const r = addHistograms(acc.sum, acc.comp);
  return r === null ? acc.sum : { ...r.h, hint: acc.sum.hint };
}
