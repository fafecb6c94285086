// What healthmon concludes about each check from its state and history: uptime over the usual
// windows, latency percentiles, error rate, a 0–100 health score, SLO compliance and a latency
// anomaly flag, plus the overall picture. The API, status page, reports and /metrics all read
// this one shape, so they never disagree.
import type { CheckStatus } from './check-state.js';

export const UPTIME_WINDOWS = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
} as const;
export type UptimeWindow = keyof typeof UPTIME_WINDOWS;

export interface LatencySummary {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface SloLatencyStatus {
  /** 'p50', 'p95', 'p99' … as written in the config. */
  quantile: string;
  targetMs: number;
  /** Measured over the SLO window; undefined with no data. */
  actualMs: number | undefined;
  compliant: boolean;
}

export interface SloStatus {
  /** The availability objective as a ratio (99.9% → 0.999). */
  objective: number;
  windowMs: number;
  /** Measured over the SLO window; undefined with no data. */
  availability: number | undefined;
  /** Availability and every latency objective met. */
  compliant: boolean;
  /** The share of the window's error budget left: 1 untouched, 0 spent, below 0 overspent. */
  errorBudgetRemaining: number;
  /** How fast the budget burns: the error rate over the last hour / six hours over the allowed rate. */
  burnRate: { '1h': number | undefined; '6h': number | undefined };
  latency: SloLatencyStatus[];
}

export interface LatencyAnomaly {
  /** The expected latency: an EWMA over the trailing day. */
  baselineMs: number | undefined;
  /** The typical deviation around the baseline. */
  deviationMs: number | undefined;
  /** The latest latency is far outside the baseline (documented in the README). */
  anomalous: boolean;
}

export interface CheckAssessment {
  check: string;
  kind: string;
  /** The status page's group: the check's `group`, else its kind. */
  group: string;
  critical: boolean;
  target: string;
  description?: string;
  status: CheckStatus | undefined;
  statusSince: number | undefined;
  last?: { at: number; ok: boolean; durationMs: number; reason?: string; message?: string };
  /** Ratio of successful runs per window; undefined with no runs in it. */
  uptime: Record<UptimeWindow, number | undefined>;
  /** Over the last 24 hours. */
  latency: LatencySummary | undefined;
  errorRate: number | undefined;
  /** 0–100, weights in the README. */
  healthScore: number;
  slo?: SloStatus;
  anomaly: LatencyAnomaly;
}

export interface OverallAssessment {
  /** 0–100: the checks' scores, critical ones weighing more (README). */
  score: number;
  total: number;
  healthy: number;
  degraded: number;
  unhealthy: number;
  /** Unhealthy and marked critical. */
  critical: number;
  /** Not yet run enough to have a status. */
  unknown: number;
  /** Share of checks up (healthy or degraded), 0–100. */
  healthPercentage: number;
}

export interface Assessment {
  at: number;
  checks: CheckAssessment[];
  overall: OverallAssessment;
}

export interface Assessor {
  /** The assessment at `now`; cheap to call often (history queries are cached per minute). */
  assess(now: number): Assessment;
}
