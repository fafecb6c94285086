import { describe, expect, it } from 'vitest';
import type { HistoryResult, HistoryStore, Span } from '../store/history.js';
import { createLatencyBaselines, type LatencyBaselineOptions } from './latency-baseline.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const STEP = 30_000;

/** Feeds `latencies` to one check every 30 s from T0; returns the time of the next run. */
function feed(b: ReturnType<typeof createLatencyBaselines>, latencies: readonly number[], start = T0, ok = true): number {
  let at = start;
  for (const ms of latencies) {
    b.observe('web', at, ms, ok);
    at += STEP;
  }
  return at;
}

const alternating = (n: number, low: number, high: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? low : high));

describe('latency baseline', () => {
  it('knows nothing before the first successful run', () => {
    const b = createLatencyBaselines();
    expect(b.get('web', T0)).toEqual({ baselineMs: undefined, deviationMs: undefined, anomalous: false });
    b.observe('web', T0, 5000, false);
    expect(b.get('web', T0)).toEqual({ baselineMs: undefined, deviationMs: undefined, anomalous: false });
  });

  it('is a plain mean while there is less than a day of runs, so a slow first run does not stick', () => {
    const b = createLatencyBaselines();
    feed(b, [500, 100, 100, 100]);
    // (500 + 100 + 100 + 100) / 4; deviations |100−500| = 400, |100−300| = 200, |100−233.3| = 133.3 → mean 244.4
    expect(b.get('web', T0).baselineMs).toBeCloseTo(200, 9);
    expect(b.get('web', T0).deviationMs).toBeCloseTo((400 + 200 + 400 / 3) / 3, 9);
  });

  it('moves by 1 − e^−1 of the way after a day without runs (time constant of a day)', () => {
    const b = createLatencyBaselines();
    const next = feed(b, new Array(40).fill(100));
    expect(b.get('web', T0).baselineMs).toBeCloseTo(100, 9);
    expect(b.get('web', T0).deviationMs).toBeCloseTo(0, 9);
    b.observe('web', next - STEP + DAY, 200, true);
    const got = b.get('web', next + DAY);
    expect(got.baselineMs).toBeCloseTo(100 + 100 * (1 - Math.exp(-1)), 9);
    expect(got.deviationMs).toBeCloseTo(100 * (1 - Math.exp(-1)), 9);
  });

  it('weights by elapsed time, not by run count, once past the warm-up', () => {
    // One run every 6 h for 10 days: α = 1 − e^−0.25 ≈ 0.221 > 1/n from the 5th run on.
    const b = createLatencyBaselines();
    let at = T0;
    for (let i = 0; i < 40; i++, at += DAY / 4) b.observe('web', at, 100, true);
    b.observe('web', at, 300, true);
    expect(b.get('web', at).baselineMs).toBeCloseTo(100 + 200 * (1 - Math.exp(-0.25)), 9);
  });

  describe('anomaly', () => {
    // While under a day of runs, mean and deviation are plain running means: computed here the long way.
    const reference = (xs: readonly number[]) => {
      let mean = xs[0]!;
      let devSum = 0;
      for (let i = 1; i < xs.length; i++) {
        devSum += Math.abs(xs[i]! - mean);
        mean = xs.slice(0, i + 1).reduce((a, x) => a + x, 0) / (i + 1);
      }
      return { mean, dev: devSum / (xs.length - 1) };
    };
    const settle = (opts: LatencyBaselineOptions, low: number, high: number) => {
      const b = createLatencyBaselines(opts);
      const xs = alternating(40, low, high);
      const next = feed(b, xs);
      const { mean, dev } = reference(xs);
      expect(b.get('web', next).baselineMs).toBeCloseTo(mean, 9);
      expect(b.get('web', next).deviationMs).toBeCloseTo(dev, 9);
      return { b, next, threshold: mean + 4 * dev, mean, dev };
    };

    it('flags a run more than k deviations above the baseline', () => {
      const { b, next, threshold, mean, dev } = settle({}, 900, 1100);
      expect(mean).toBe(1000);
      expect(dev).toBeGreaterThan(100);
      expect(dev).toBeLessThan(110);
      b.observe('web', next, threshold - 1, true);
      expect(b.get('web', next).anomalous).toBe(false);
      // Against the baseline before the run: the previous one nudged it a little.
      const moved = b.get('web', next);
      b.observe('web', next + STEP, moved.baselineMs! + 4 * moved.deviationMs! + 1, true);
      expect(b.get('web', next).anomalous).toBe(true);
      // The next normal run clears the flag.
      b.observe('web', next + 2 * STEP, 1000, true);
      expect(b.get('web', next).anomalous).toBe(false);
    });

    it('needs at least the minimum margin, so fast checks jittering are not anomalous', () => {
      // mean 100, deviation about 5.1: 145 is far past 100 + 4·5.1 but only 45 ms slower.
      const { b, next, mean, threshold } = settle({}, 95, 105);
      expect(threshold).toBeLessThan(125);
      b.observe('web', next, mean + 45, true);
      expect(b.get('web', next).anomalous).toBe(false);
      b.observe('web', next + STEP, b.get('web', next).baselineMs! + 50.5, true);
      expect(b.get('web', next).anomalous).toBe(true);
    });

    it('needs the minimum number of runs first', () => {
      const b = createLatencyBaselines();
      const next = feed(b, new Array(29).fill(100));
      b.observe('web', next, 5000, true);
      expect(b.get('web', next).anomalous).toBe(false);
      b.observe('web', next + STEP, 5000, true);
      expect(b.get('web', next).anomalous).toBe(true);
    });

    it('never flags a failed run, and failed runs leave the baseline alone', () => {
      const { b, next } = settle({}, 900, 1100);
      b.observe('web', next, 2000, true);
      expect(b.get('web', next).anomalous).toBe(true);
      const before = b.get('web', next);
      b.observe('web', next + STEP, 10_000, false);
      expect(b.get('web', next)).toEqual({ ...before, anomalous: false });
    });

    it('tells the latency above which a run is anomalous: baseline + max(k·deviation, margin)', () => {
      const wide = settle({}, 900, 1100);
      expect(wide.b.thresholdMs('web', wide.next)).toBeCloseTo(wide.threshold, 9);
      const narrow = settle({}, 95, 105);
      expect(narrow.b.thresholdMs('web', narrow.next)).toBeCloseTo(narrow.mean + 50, 9);
      expect(createLatencyBaselines().thresholdMs('web', T0)).toBeUndefined();
    });

    it('takes k, minimum samples and margin as options', () => {
      const { b, next, mean, dev } = settle({ k: 1, minSamples: 5, minMarginMs: 0 }, 90, 110);
      b.observe('web', next, mean + dev + 0.5, true);
      expect(b.get('web', next).anomalous).toBe(true);
    });
  });

  describe('seeding from history', () => {
    const day = Array.from({ length: 100 }, (_, i): HistoryResult => ({ check: 'web', at: T0 + i * STEP, durationMs: i % 7 === 0 ? 300 : 100 + i, ok: i % 11 !== 0 }));
    const fakeHistory = (results: HistoryResult[]) => {
      const spans: Array<{ check: string; span: Span; limit?: number }> = [];
      const store = {
        results(check: string, span: Span, limit?: number) {
          spans.push({ check, span, limit });
          return results.filter((r) => r.check === check && r.at >= span.since && r.at < span.until).slice(-(limit ?? Infinity));
        },
      } as unknown as HistoryStore;
      return { store, spans };
    };

    it('a server does not read history at a read: the first run seeds, spread by the schedule', () => {
      const { store, spans } = fakeHistory(day);
      const b = createLatencyBaselines({ history: () => store });
      expect(b.get('web', T0 + 100 * STEP).baselineMs).toBeUndefined();
      expect(b.thresholdMs('web', T0 + 100 * STEP)).toBeUndefined();
      expect(spans).toHaveLength(0);
    });

    it('with seedOnRead, replays the last day of results at the first read, as if they had been seen live', () => {
      const { store, spans } = fakeHistory(day);
      const now = T0 + 100 * STEP;
      const seeded = createLatencyBaselines({ history: () => store, seedOnRead: true });
      const live = createLatencyBaselines();
      for (const r of day) live.observe('web', r.at, r.durationMs, r.ok);
      expect(seeded.get('web', now)).toEqual(live.get('web', now));
      expect(seeded.get('web', now).baselineMs).toBeGreaterThan(100);
      expect(spans).toEqual([{ check: 'web', span: { since: now + 1 - DAY, until: now + 1 }, limit: 10_000 }]);
      // Seeded once: later reads and runs do not read history again.
      seeded.get('web', now);
      seeded.observe('web', now, 120, true);
      live.observe('web', now, 120, true);
      expect(spans).toHaveLength(1);
      expect(seeded.get('web', now)).toEqual(live.get('web', now));
    });

    it('seeds at the first run with the results before it', () => {
      const { store, spans } = fakeHistory(day);
      const b = createLatencyBaselines({ history: () => store });
      const at = T0 + 100 * STEP;
      b.observe('web', at, 120, true);
      expect(spans[0]!.span).toEqual({ since: at - DAY, until: at });
    });

    it('does not replay history over runs seen before history existed', () => {
      const { store, spans } = fakeHistory(day);
      let history: HistoryStore | undefined;
      const b = createLatencyBaselines({ history: () => history, seedOnRead: true });
      expect(b.get('web', T0).baselineMs).toBeUndefined(); // a read before history leaves it unseen
      b.observe('web', T0 + 200 * STEP, 77, true);
      history = store;
      expect(b.get('web', T0 + 201 * STEP).baselineMs).toBe(77);
      expect(spans).toHaveLength(0);
    });

    it('seed() fills a check that has nothing yet, and prune() forgets removed checks', () => {
      const b = createLatencyBaselines();
      b.seed('web', [{ check: 'web', at: T0, durationMs: 80, ok: true }]);
      b.seed('web', [{ check: 'web', at: T0, durationMs: 999, ok: true }]);
      expect(b.get('web', T0).baselineMs).toBe(80);
      b.prune((c) => c !== 'web');
      expect(b.get('web', T0).baselineMs).toBeUndefined();
    });
  });
});
