import { describe, expect, it } from 'vitest';
import { addEncodedBuckets, encodeBuckets } from './bucket-codec.js';
import { addTo, BUCKET_COUNT, bucketOf, emptyAggregate, LATENCY_BOUNDS_MS, merge, quantileOf } from './latency-buckets.js';

describe('latency buckets', () => {
  it('are log-spaced by about 1.2× from 0.5 ms to past 120 s', () => {
    expect(LATENCY_BOUNDS_MS[0]).toBe(0.5);
    expect(LATENCY_BOUNDS_MS.at(-1)).toBeGreaterThanOrEqual(120_000);
    for (let i = 1; i < LATENCY_BOUNDS_MS.length; i++) {
      const ratio = LATENCY_BOUNDS_MS[i]! / LATENCY_BOUNDS_MS[i - 1]!;
      expect(ratio).toBeGreaterThan(1.18);
      expect(ratio).toBeLessThan(1.22);
    }
    expect(BUCKET_COUNT).toBe(LATENCY_BOUNDS_MS.length + 1);
  });

  it.each([
    [0, 0],
    [0.5, 0],
    [0.50001, 1],
    [0.6, 1],
    [1000, LATENCY_BOUNDS_MS.findIndex((b) => b >= 1000)],
    [1e9, LATENCY_BOUNDS_MS.length],
  ])('puts %d ms in bucket %d (upper bounds inclusive, the last open-ended)', (ms, bucket) => {
    expect(bucketOf(ms)).toBe(bucket);
  });

  it('interpolates quantiles inside the bucket, clamped to the observed min and max', () => {
    const a = emptyAggregate();
    expect(quantileOf(a, 0.5)).toBeNaN();
    addTo(a, 100, true);
    expect([quantileOf(a, 0), quantileOf(a, 0.5), quantileOf(a, 1)]).toEqual([100, 100, 100]);
    // Ten values in one bucket (98.9, 119]: the edges are clamped to 100 and 110.
    for (let i = 1; i < 10; i++) addTo(a, 100 + (i * 10) / 9, i % 2 === 0);
    expect(quantileOf(a, 0.5)).toBeCloseTo(105, 9);
    expect(quantileOf(a, 1)).toBeCloseTo(110, 9);
    expect(a).toMatchObject({ count: 10, failures: 5, latencyMinMs: 100 });
  });

  it('merges counts, sums, extremes and buckets', () => {
    const a = emptyAggregate();
    const b = emptyAggregate();
    addTo(a, 5, true);
    addTo(b, 50, false);
    addTo(b, 0.1, true);
    expect(merge(a, b)).toBe(a);
    expect(a).toMatchObject({ count: 3, failures: 1, latencySumMs: 55.1, latencyMinMs: 0.1, latencyMaxMs: 50 });
    expect(a.buckets.reduce((x, y) => x + y)).toBe(3);
    expect(merge(emptyAggregate(), emptyAggregate())).toEqual(emptyAggregate());
  });

  it('are stored sparsely and read back exactly, large counts included', () => {
    const buckets = emptyAggregate().buckets;
    buckets[0] = 1;
    buckets[17] = 127;
    buckets[18] = 128;
    buckets[BUCKET_COUNT - 1] = 2 ** 40 + 3;
    const encoded = encodeBuckets(buckets);
    expect(encoded.length).toBeLessThan(20);
    const back = emptyAggregate().buckets;
    addEncodedBuckets(back, encoded);
    addEncodedBuckets(back, encoded);
    expect(back).toEqual(buckets.map((n) => 2 * n));
    expect(encodeBuckets(emptyAggregate().buckets).length).toBe(0);
  });
});
