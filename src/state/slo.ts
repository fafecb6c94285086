// A check's service level objective, evaluated from history aggregates: availability over the
// SLO's window against the objective, the error budget left, how fast it burns, and latency
// percentiles against their targets.
//
//   availability       = (count − failures) / count                over the SLO window
//   error budget left  = 1 − failures / (count × (1 − objective))  1 untouched, 0 spent, < 0 overspent
//   burn rate (1h, 6h) = (failures / count over 1h or 6h) / (1 − objective)
//                        1 spends the budget exactly over the window; 14.4 over 1h spends 2 % of
//                        a 30-day budget in that hour
//   latency pNN        = quantileOf(window aggregate, NN / 100), compliant when ≤ its target
//   compliant          = availability ≥ objective and every latency objective met
//
// With no runs in a span its figures are undefined, and nothing is counted against the SLO.
// A 100 % objective has no budget: one failure leaves −Infinity and burns at +Infinity.
import type { SloSpec } from '../config/config.js';
import type { Aggregate } from '../store/history.js';
import { quantileOf } from '../store/latency-buckets.js';
import type { SloLatencyStatus, SloStatus } from './assessment.js';

export const BURN_RATE_WINDOWS = { '1h': 3_600_000, '6h': 6 * 3_600_000 } as const;
export type BurnRateWindow = keyof typeof BURN_RATE_WINDOWS;

export interface SloAggregates {
  /** Over the SLO's own window. */
  window: Aggregate | undefined;
  '1h': Aggregate | undefined;
  '6h': Aggregate | undefined;
}

// "99.9%" parses to 0.9990000000000001 and 1 − 0.999 is 0.0010000000000000009: twelve significant
// digits is far more than any objective has and gives the numbers people expect.
const tidy = (x: number) => Number(x.toPrecision(12));

/** The objective as written: 99.9% → 0.999. */
export const objectiveOf = (spec: SloSpec): number => tidy(spec.availability);

const hasRuns = (a: Aggregate | undefined): a is Aggregate => a !== undefined && a.count > 0;

export function errorBudgetRemaining(a: Aggregate | undefined, objective: number): number {
  if (!hasRuns(a) || a.failures === 0) return 1;
  const allowed = tidy(1 - objective);
  return allowed === 0 ? -Infinity : 1 - a.failures / (a.count * allowed);
}

export function burnRate(a: Aggregate | undefined, objective: number): number | undefined {
  if (!hasRuns(a)) return undefined;
  const errorRate = a.failures / a.count;
  const allowed = tidy(1 - objective);
  if (allowed === 0) return errorRate === 0 ? 0 : Infinity;
  return errorRate / allowed;
}

export function evaluateSlo(spec: SloSpec, aggregates: SloAggregates): SloStatus {
  const objective = objectiveOf(spec);
  const w = aggregates.window;
  const availability = hasRuns(w) ? (w.count - w.failures) / w.count : undefined;
  const latency = spec.latency.map((l): SloLatencyStatus => {
    const actualMs = hasRuns(w) ? quantileOf(w, l.q) : undefined;
    return { quantile: l.quantile, targetMs: l.targetMs, actualMs, compliant: actualMs === undefined || actualMs <= l.targetMs };
  });
  return {
    objective,
    windowMs: spec.windowMs,
    availability,
    // A hair of tolerance: 999/1000 meets 99.9 % however the division rounds.
    compliant: (availability === undefined || availability >= objective - 1e-12) && latency.every((l) => l.compliant),
    errorBudgetRemaining: errorBudgetRemaining(w, objective),
    burnRate: { '1h': burnRate(aggregates['1h'], objective), '6h': burnRate(aggregates['6h'], objective) },
    latency,
  };
}
