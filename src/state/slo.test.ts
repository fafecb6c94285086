import { describe, expect, it } from 'vitest';
import type { SloSpec } from '../config/config.js';
import type { Aggregate } from '../store/history.js';
import { addTo, emptyAggregate } from '../store/latency-buckets.js';
import { burnRate, errorBudgetRemaining, evaluateSlo, objectiveOf } from './slo.js';

const DAY = 86_400_000;

/** `count` runs of `latencyMs`, the first `failures` of them failed. */
function runs(count: number, failures: number, latencyMs = 100, into: Aggregate = emptyAggregate()): Aggregate {
  for (let i = 0; i < count; i++) addTo(into, latencyMs, i >= failures);
  return into;
}

// As the config loader gives `slo: {availability: 99.9%, latency: {p95: 2s}, window: 30d}`.
const spec: SloSpec = { availability: 99.9 / 100, latency: [{ quantile: 'p95', q: 0.95, targetMs: 2000 }], windowMs: 30 * DAY };

describe('evaluateSlo', () => {
  it('computes availability, budget, burn rates and latency with exact numbers', () => {
    const s = evaluateSlo(spec, { window: runs(10_000, 4), '1h': runs(120, 3), '6h': runs(720, 3) });
    expect(s).toEqual({
      objective: 0.999,
      windowMs: 30 * DAY,
      availability: 0.9996,
      compliant: true,
      // 1 − 4 / (10000 × 0.001)
      errorBudgetRemaining: 0.6,
      // (3/120) / 0.001 and (3/720) / 0.001
      burnRate: { '1h': 25, '6h': 3 / 720 / 0.001 },
      // Every run took 100 ms, so the bucket interpolation lands on exactly that.
      latency: [{ quantile: 'p95', targetMs: 2000, actualMs: 100, compliant: true }],
    });
    expect(s.burnRate['6h']).toBeCloseTo(4.1667, 4);
  });

  it('meets 99.9 % at exactly 999 of 1000, with the whole budget spent', () => {
    const s = evaluateSlo(spec, { window: runs(1000, 1), '1h': undefined, '6h': undefined });
    expect(s.availability).toBe(0.999);
    expect(s.compliant).toBe(true);
    expect(s.errorBudgetRemaining).toBe(0);
    expect(s.burnRate).toEqual({ '1h': undefined, '6h': undefined });
  });

  it('goes below zero when the budget is overspent, and is not compliant', () => {
    const s = evaluateSlo(spec, { window: runs(1000, 3), '1h': runs(60, 60), '6h': runs(360, 0) });
    expect(s.availability).toBe(0.997);
    expect(s.compliant).toBe(false);
    expect(s.errorBudgetRemaining).toBe(-2); // 1 − 3 / (1000 × 0.001)
    expect(s.burnRate).toEqual({ '1h': 1000, '6h': 0 });
  });

  it('is not compliant when a latency objective is missed, even at full availability', () => {
    const s = evaluateSlo(spec, { window: runs(50, 0, 2500), '1h': undefined, '6h': undefined });
    expect(s.availability).toBe(1);
    expect(s.latency).toEqual([{ quantile: 'p95', targetMs: 2000, actualMs: 2500, compliant: false }]);
    expect(s.compliant).toBe(false);
  });

  it('reads each percentile from the buckets', () => {
    const window = runs(5, 0, 3000, runs(95, 0, 100));
    const s = evaluateSlo(
      { ...spec, latency: [{ quantile: 'p95', q: 0.95, targetMs: 2000 }, { quantile: 'p99', q: 0.99, targetMs: 2000 }] },
      { window, '1h': undefined, '6h': undefined },
    );
    const [p95, p99] = s.latency;
    // p95 is the 95th of 100 runs: the top of the 100 ms bucket (buckets are 1.2× apart).
    expect(p95!.actualMs).toBeGreaterThanOrEqual(100);
    expect(p95!.actualMs).toBeLessThan(120);
    expect(p95!.compliant).toBe(true);
    // p99 falls among the 3 s runs.
    expect(p99!.actualMs).toBeGreaterThan(3000 / 1.2);
    expect(p99!.actualMs).toBeLessThanOrEqual(3000);
    expect(p99!.compliant).toBe(false);
  });

  it('counts nothing against the SLO without runs', () => {
    const s = evaluateSlo(spec, { window: emptyAggregate(), '1h': undefined, '6h': emptyAggregate() });
    expect(s).toEqual({
      objective: 0.999,
      windowMs: 30 * DAY,
      availability: undefined,
      compliant: true,
      errorBudgetRemaining: 1,
      burnRate: { '1h': undefined, '6h': undefined },
      latency: [{ quantile: 'p95', targetMs: 2000, actualMs: undefined, compliant: true }],
    });
  });
});

describe('budget arithmetic', () => {
  it('tidies objectives written as percentages', () => {
    expect(objectiveOf({ ...spec, availability: 99.95 / 100 })).toBe(0.9995);
    expect(objectiveOf({ ...spec, availability: 0.99 })).toBe(0.99);
  });

  it('burns at 1 when failing at exactly the allowed rate', () => {
    expect(burnRate(runs(100, 1), 0.99)).toBe(1);
    expect(errorBudgetRemaining(runs(100, 1), 0.99)).toBe(0);
    expect(errorBudgetRemaining(runs(1000, 5), 0.99)).toBe(0.5);
  });

  it('leaves a 100 % objective no budget at all', () => {
    expect(errorBudgetRemaining(runs(100, 0), 1)).toBe(1);
    expect(errorBudgetRemaining(runs(100, 1), 1)).toBe(-Infinity);
    expect(burnRate(runs(100, 0), 1)).toBe(0);
    expect(burnRate(runs(100, 1), 1)).toBe(Infinity);
  });
});
