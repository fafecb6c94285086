import { describe, expect, it } from 'vitest';
import { parseHistogramLiteral } from './histogram-notation.js';
import { HistogramAccumulator } from './histogram-accumulator.js';
import {
  addHistograms, compact, detectReset, divideHistogram, exponentialBound, histogramString, scaleHistogram, subHistograms,
  type NativeHistogram,
} from './native-histogram.js';
import { histogramIncrease } from './native-histogram-range.js';
import { histogramFraction, histogramQuantile, histogramVariance } from './native-histogram-stats.js';
import { formatFloatG } from './float-math.js';

const h = parseHistogramLiteral;

/** Buckets as index → count, without empty ones, for compact comparisons. */
function buckets(x: NativeHistogram): { pos: Record<number, number>; neg: Record<number, number> } {
  const c = compact(x);
  const map = (b: NativeHistogram['positive']): Record<number, number> => Object.fromEntries(b.idx.map((i, k) => [i, b.counts[k] as number]));
  return { pos: map(c.positive), neg: map(c.negative) };
}

const silent = { warn: () => {}, info: () => {} };

describe('bucket bounds', () => {
  it.each([
    [0, 0, 1], [1, 0, 2], [-1, 0, 0.5], [1, 1, Math.SQRT2], [2, 1, 2], [1, -1, 4], [-2, -1, 1 / 16],
  ])('bucket %i of schema %i ends at %f', (idx, schema, bound) => {
    expect(exponentialBound(idx, schema)).toBeCloseTo(bound, 12);
  });
});

describe('arithmetic', () => {
  it('adds histograms of different schemas at the lower resolution', () => {
    const r = addHistograms(h('{{schema:1 count:4 sum:6 buckets:[1 1 1 1]}}'), h('{{schema:0 count:2 sum:3 buckets:[1 1]}}'));
    expect(r?.h.schema).toBe(0);
    expect(r?.h.count).toBe(6);
    // Schema 1 buckets 0..3 merge pairwise into schema 0 buckets 0..2: (0), (1,2), (3).
    expect(buckets(r?.h as NativeHistogram).pos).toEqual({ 0: 2, 1: 3, 2: 1 });
  });

  it('widens the zero bucket to the larger threshold, folding buckets below it in', () => {
    const a = h('{{count:3 sum:1 z_bucket:1 z_bucket_w:0.5 buckets:[1 1]}}');
    const b = h('{{count:2 z_bucket:1 z_bucket_w:1 buckets:[0 1]}}');
    const r = addHistograms(a, b)?.h as NativeHistogram;
    expect(r.zeroThreshold).toBe(1);
    // a's bucket 0 is (0.5, 1], inside the widened zero bucket.
    expect(r.zeroCount).toBe(3);
    expect(buckets(r).pos).toEqual({ 1: 2 });
  });

  it('reduces mismatched custom bounds to the common ones', () => {
    const r = addHistograms(
      h('{{schema:-53 count:3 custom_values:[1 5 10] buckets:[1 1 1]}}'),
      h('{{schema:-53 count:2 custom_values:[5 10] buckets:[1 1]}}'),
    );
    expect(r?.boundsReconciled).toBe(true);
    expect(r?.h.customValues).toEqual([5, 10]);
    expect(buckets(r?.h as NativeHistogram).pos).toEqual({ 0: 3, 1: 2 });
  });

  it('refuses to mix exponential and custom buckets', () => {
    expect(addHistograms(h('{{count:1}}'), h('{{schema:-53 count:1}}'))).toBeNull();
    expect(subHistograms(h('{{count:1}}'), h('{{schema:-53 count:1}}'))).toBeNull();
  });

  it('reports colliding counter reset hints', () => {
    expect(addHistograms(h('{{counter_reset_hint:reset}}'), h('{{counter_reset_hint:not_reset}}'))?.counterResetCollision).toBe(true);
    expect(addHistograms(h('{{counter_reset_hint:gauge}}'), h('{{counter_reset_hint:reset}}'))?.h.hint).toBe('gauge');
  });

  it('scales, turns negative factors into gauges and drops buckets on division by zero', () => {
    const x = h('{{count:4 sum:2 buckets:[2 2]}}');
    expect(scaleHistogram(x, -1).hint).toBe('gauge');
    expect(buckets(scaleHistogram(x, 0.5)).pos).toEqual({ 0: 1, 1: 1 });
    const d = divideHistogram(x, 0);
    expect([d.count, d.positive.idx.length]).toEqual([Infinity, 0]);
  });

  it('keeps precision when huge sums cancel out (Kahan summation)', () => {
    const acc = new HistogramAccumulator(false);
    for (const s of ['3.1', '1e100', '-1e100', '1.3']) acc.add(h(`{{count:1 sum:${s}}}`));
    expect(acc.total()?.sum).toBeCloseTo(4.4, 12);
  });
});

describe('counter resets', () => {
  it.each([
    ['a lower count', '{{count:3 buckets:[3]}}', '{{count:2 buckets:[2]}}', true],
    ['a lower bucket', '{{count:3 buckets:[1 2]}}', '{{count:3 buckets:[2 1]}}', true],
    ['a vanished populated bucket', '{{count:3 buckets:[1 2]}}', '{{count:3 offset:1 buckets:[3]}}', true],
    ['growth everywhere', '{{count:3 buckets:[1 2]}}', '{{count:5 buckets:[2 3]}}', false],
    ['a higher resolution', '{{count:1 buckets:[1]}}', '{{schema:1 count:1 buckets:[1]}}', true],
    ['the hint alone', '{{count:1}}', '{{count:5 counter_reset_hint:reset}}', true],
  ])('detects %s', (_name, prev, curr, reset) => {
    expect(detectReset(h(curr), h(prev))).toBe(reset);
  });

  it('adds the value before a reset back into an increase', () => {
    const points = ['{{count:10 sum:10}}', '{{count:12 sum:12}}', '{{count:2 sum:2}}', '{{count:5 sum:5}}'].map(h);
    const inc = histogramIncrease(points, true, 'x', silent);
    expect([inc?.count, inc?.hint]).toEqual([7, 'gauge']);
  });
});

describe('statistics', () => {
  const single = h('{{schema:0 sum:5 count:4 buckets:[1 2 1]}}');

  it('interpolates quantiles exponentially in exponential buckets', () => {
    expect(histogramQuantile(0.5, single).value).toBeCloseTo(Math.SQRT2, 12);
    expect(histogramQuantile(1.5, single).value).toBe(Infinity);
  });

  it('interpolates custom buckets linearly, and not into the +Inf bucket', () => {
    const nhcb = h('{{schema:-53 count:10 custom_values:[10 20] buckets:[5 5]}}');
    expect(histogramQuantile(0.25, nhcb).value).toBeCloseTo(5, 12);
    expect(histogramQuantile(0.75, nhcb).value).toBeCloseTo(15, 12);
    expect(histogramFraction(0, 15, nhcb).value).toBeCloseTo(0.75, 12);
  });

  it('computes fractions and variances', () => {
    expect(histogramFraction(1, 2, single).value).toBeCloseTo(0.5, 12);
    expect(histogramFraction(0, 8, single).value).toBe(1);
    // Observations sit at 0 (zero bucket) and at √(0.5·1) (bucket (0.5, 1]); the mean is sum/count = 1.
    expect(histogramVariance(h('{{count:2 sum:2 z_bucket:1 buckets:[1]}}'))).toBeCloseTo((1 + (Math.SQRT1_2 - 1) ** 2) / 2, 12);
  });

  it('renders like Prometheus (count_values labels)', () => {
    const x = h('{{schema:0 sum:10 count:20 z_bucket_w:0.001 z_bucket:2 buckets:[1 2] n_buckets:[1 2]}}');
    expect(histogramString(x, formatFloatG)).toBe('{count:20, sum:10, [-2,-1):2, [-1,-0.5):1, [-0.001,0.001]:2, (0.5,1]:1, (1,2]:2}');
  });
});
