// The numbers a report shows, from the history store's aggregates: latency percentiles (from the
// bucket counts, through the store's own quantileOf), merged aggregates and SLO figures (through
// state/slo.ts's evaluateSlo), rounded the one way every report format shows them.
import type { CheckSpec } from '../config/config.js';
import type { Aggregate, HistoryStore, Span } from '../store/history.js';
import { evaluateSlo } from '../state/slo.js';
import { emptyAggregate, merge, quantileOf } from '../store/latency-buckets.js';

export interface ReportLatency {
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  mean_ms: number;
  min_ms: number;
  max_ms: number;
}

export interface ReportSloLatency {
  quantile: string;
  target_ms: number;
  /** Over the SLO's window; null with no runs. */
  actual_ms: number | null;
  compliant: boolean;
}

export interface ReportSlo {
  /** The availability objective, e.g. 99.9. */
  objective_pct: number;
  /** The SLO's own window (slo.window, default 30d). */
  window_ms: number;
  /** Availability over the SLO's window ending at the report's end, as the API shows it; null with no runs. */
  actual_pct: number | null;
  /** Availability and every latency objective met over the window. */
  compliant: boolean;
  /** The window's error budget left: 100 untouched, 0 spent, below 0 overspent; null when a 100 % objective failed (no budget at all). */
  error_budget_remaining_pct: number | null;
  latency: ReportSloLatency[];
  /** Availability over the report's span alone. */
  span_actual_pct: number | null;
  /** The same objectives (availability and latency) met over the report's span; null with no runs in it. */
  span_compliant: boolean | null;
}

/** A ratio as a percentage, 4 decimals; never rounded to exactly 0 or 100 unless it is. */
export function pct(ratio: number): number {
  const p = Math.round(ratio * 1_000_000) / 10_000;
  if (p >= 100 && ratio < 1) return 99.9999;
  if (p <= 0 && ratio > 0) return 0.0001;
  return p;
}

/** Milliseconds, 1 decimal. */
export function ms1(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** One Aggregate of many (a fresh one; the inputs are left as they are). */
export function mergeAggregates(aggs: Iterable<Aggregate>): Aggregate {
  const out = emptyAggregate();
  for (const a of aggs) merge(out, a);
  return out;
}

/** A quantile in ms, 1 decimal; null when there is none. */
export const quantileMs = (a: Aggregate, q: number): number | null => {
  const v = quantileOf(a, q);
  return Number.isFinite(v) ? ms1(v) : null;
};

/** null with no runs. */
export function latencyOf(a: Aggregate): ReportLatency | null {
  if (a.count === 0) return null;
  return {
    p50_ms: quantileMs(a, 0.5),
    p95_ms: quantileMs(a, 0.95),
    p99_ms: quantileMs(a, 0.99),
    mean_ms: ms1(a.latencySumMs / a.count),
    min_ms: ms1(a.latencyMinMs),
    max_ms: ms1(a.latencyMaxMs),
  };
}

/** SLO figures of every check that has one: over its own window ending at `until` (as the API shows them), and over the report's span. */
export function reportSlo(history: HistoryStore, checks: readonly CheckSpec[], until: number, inSpan: Map<string, Aggregate>): Map<string, ReportSlo> {
  const out = new Map<string, ReportSlo>();
  const byWindow = new Map<number, CheckSpec[]>();
  for (const c of checks) {
    if (!c.slo) continue;
    let list = byWindow.get(c.slo.windowMs);
    if (!list) byWindow.set(c.slo.windowMs, (list = []));
    list.push(c);
  }
  const none = { '1h': undefined, '6h': undefined };
  for (const [windowMs, specs] of byWindow) {
    // The same span the assessor reads, so the report and the API agree.
    const window = history.aggregate({ since: until - windowMs, until }, specs.map((s) => s.name));
    for (const spec of specs) {
      const status = evaluateSlo(spec.slo!, { window: window.get(spec.name), ...none });
      const period = evaluateSlo(spec.slo!, { window: inSpan.get(spec.name), ...none });
      const budget = status.errorBudgetRemaining;
      out.set(spec.name, {
        objective_pct: Number((status.objective * 100).toPrecision(12)),
        window_ms: windowMs,
        actual_pct: status.availability === undefined ? null : pct(status.availability),
        compliant: status.compliant,
        error_budget_remaining_pct: Number.isFinite(budget) ? Math.round(budget * 10_000) / 100 : null,
        latency: status.latency.map((l) => ({ quantile: l.quantile, target_ms: l.targetMs, actual_ms: l.actualMs === undefined ? null : ms1(l.actualMs), compliant: l.compliant })),
        span_actual_pct: period.availability === undefined ? null : pct(period.availability),
        span_compliant: period.availability === undefined ? null : period.compliant,
      });
    }
  }
  return out;
}
