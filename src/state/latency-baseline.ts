// Each check's expected latency, learnt online: an exponentially weighted mean of its successful
// runs' latency and of their absolute deviation from it, with a time constant of a day, and a flag
// when the latest run is far slower than that. Seeded from history so a restart keeps what it learnt.
//
// Update for a successful run of latency x at time t (the previous one at t₀, n runs so far):
//
//   decay = 1 − exp(−(t − t₀) / τ)              τ = 1 day: works for any interval, even irregular
//   α     = max(decay, 1 / n)                   a plain mean while there is less than a day of runs,
//   αdev  = max(decay, 1 / (n − 1))             so a slow first run does not stick for a day
//   dev   ← (1 − αdev)·dev + αdev·|x − mean|
//   mean  ← (1 − α)·mean + α·x
//
// The latest run is anomalous when it succeeded, at least 30 runs came before it, and against the
// baseline before it: x > mean + 4·dev and x − mean ≥ 50 ms. Failed runs neither feed the
// baseline (their latency is a timeout's) nor are anomalous.
import type { LatencyAnomaly } from './assessment.js';
import type { HistoryResult, HistoryStore } from '../store/history.js';

export const BASELINE_TIME_CONSTANT_MS = 86_400_000;
/** How many deviations above the baseline is anomalous. */
export const ANOMALY_K = 4;
/** Successful runs needed before any is called anomalous. */
export const ANOMALY_MIN_SAMPLES = 30;
/** Never anomalous when less than this much slower than the baseline (jitter of fast checks). */
export const ANOMALY_MIN_MARGIN_MS = 50;
/** At most this many of a check's newest results are replayed at start. */
export const SEED_LIMIT = 10_000;

export interface LatencyBaselineOptions {
  timeConstantMs?: number;
  k?: number;
  minSamples?: number;
  minMarginMs?: number;
  /** Where the last day's results are read from the first time a check is seen. */
  history?: () => HistoryStore | undefined;
  seedLimit?: number;
  /**
   * Seed at the first read too, not only at the first run. A server seeds at runs, which its
   * schedule spreads over an interval: reading a day of results for every check at once, at the
   * first scrape, would stall its event loop for seconds. A one-off reader (`dashboard`) seeds
   * at reads.
   */
  seedOnRead?: boolean;
}

export interface LatencyBaselines {
  /** One finished run; `at` is when it started. */
  observe(check: string, at: number, durationMs: number, ok: boolean): void;
  /** The check's baseline and whether its latest run is anomalous; `now` bounds the seeding. */
  get(check: string, now: number): LatencyAnomaly;
  /** The latency a run must exceed to be anomalous, baseline + max(k·deviation, margin); undefined with no baseline. */
  thresholdMs(check: string, now: number): number | undefined;
  /** Replays results (oldest first) into a check that has none yet. */
  seed(check: string, results: readonly HistoryResult[]): void;
  /** Forgets the checks `keep` says no to (removed by a reload). */
  prune(keep: (check: string) => boolean): void;
}

interface Baseline {
  n: number;
  mean: number;
  dev: number;
  lastAt: number;
  anomalous: boolean;
}

export function createLatencyBaselines(options: LatencyBaselineOptions = {}): LatencyBaselines {
  const tau = options.timeConstantMs ?? BASELINE_TIME_CONSTANT_MS;
  const k = options.k ?? ANOMALY_K;
  const minSamples = options.minSamples ?? ANOMALY_MIN_SAMPLES;
  const minMarginMs = options.minMarginMs ?? ANOMALY_MIN_MARGIN_MS;
  const seedLimit = options.seedLimit ?? SEED_LIMIT;
  const baselines = new Map<string, Baseline>();

  const update = (b: Baseline, at: number, x: number, ok: boolean) => {
    if (!ok) {
      b.anomalous = false;
      return;
    }
    if (b.n === 0) {
      Object.assign(b, { n: 1, mean: x, dev: 0, lastAt: at, anomalous: false });
      return;
    }
    b.anomalous = b.n >= minSamples && x > b.mean + k * b.dev && x - b.mean >= minMarginMs;
    const decay = 1 - Math.exp(-Math.max(0, at - b.lastAt) / tau);
    b.n++;
    const alpha = Math.max(decay, 1 / b.n);
    const alphaDev = Math.max(decay, 1 / (b.n - 1));
    // As increments, so a steady latency stays exactly itself.
    b.dev += alphaDev * (Math.abs(x - b.mean) - b.dev);
    b.mean += alpha * (x - b.mean);
    b.lastAt = Math.max(b.lastAt, at);
  };

  const replay = (b: Baseline, results: readonly HistoryResult[]) => {
    for (const r of results) update(b, r.at, r.durationMs, r.ok);
  };

  // A check is seeded once, the first time it is seen while history is there; results seen live
  // before history existed are never replayed on top (they would count twice).
  // A read before history exists (before start) leaves the check unseen, to be seeded later.
  const baselineOf = (check: string, until: number, reading: boolean): Baseline | undefined => {
    let b = baselines.get(check);
    if (b) return b;
    const history = options.history?.();
    if (!history && reading) return undefined;
    b = { n: 0, mean: 0, dev: 0, lastAt: 0, anomalous: false };
    if (history) replay(b, history.results(check, { since: until - tau, until }, seedLimit));
    baselines.set(check, b);
    return b;
  };

  const read = (check: string, now: number) => (options.seedOnRead ? baselineOf(check, now + 1, true) : baselines.get(check));

  return {
    observe(check, at, durationMs, ok) {
      update(baselineOf(check, at, false)!, at, durationMs, ok);
    },
    get(check, now) {
      const b = read(check, now);
      if (!b || b.n === 0) return { baselineMs: undefined, deviationMs: undefined, anomalous: false };
      return { baselineMs: b.mean, deviationMs: b.dev, anomalous: b.anomalous };
    },
    thresholdMs(check, now) {
      const b = read(check, now);
      return !b || b.n === 0 ? undefined : b.mean + Math.max(k * b.dev, minMarginMs);
    },
    seed(check, results) {
      const b = baselines.get(check);
      if (b && b.n > 0) return;
      const fresh: Baseline = { n: 0, mean: 0, dev: 0, lastAt: 0, anomalous: false };
      replay(fresh, results);
      baselines.set(check, fresh);
    },
    prune(keep) {
      for (const check of baselines.keys()) if (!keep(check)) baselines.delete(check);
    },
  };
}
