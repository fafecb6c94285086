// The 0–100 health score of one check and the overall score: a weighted sum of how available it
// has been, how fast it answers against what is expected, and whether it is failing right now.
//
// Per check, with every component a number in [0, 1]:
//
//   availability a = clamp((uptime24h − 0.9) / 0.1, 0, 1)   1 at 100 %, 0 at 90 % or below;
//                                                           1 with no runs yet (no evidence)
//   latency      l = clamp((3 − r) / 2, 0, 1)                r = latency / reference: 1 up to the
//                                                           reference, 0 at three times it; 1 with
//                                                           no latency or no reference yet
//   failures     f = 0 when down (unhealthy or critical),
//                    else clamp(1 − consecutiveFailures / failureThreshold, 0, 1)
//
//   score = round1(50·a + 25·l + 25·f)
//
// `latency` is the median over the last hour (the last successful run's without history);
// `reference` is the check's expected_response_time, else the latency above which its runs count
// as anomalous (baseline + max(4·deviation, 50 ms), ./latency-baseline.ts): a check's ordinary
// jitter around its own baseline costs nothing.
// The overall score is the mean of the checks' scores, critical checks weighing 3, others 1;
// 100 with no checks.

export const HEALTH_SCORE_WEIGHTS = { availability: 50, latency: 25, failures: 25 } as const;
/** Uptime at or below this scores no availability points. */
export const AVAILABILITY_FLOOR = 0.9;
/** Latency this many times the reference scores no latency points. */
export const LATENCY_ZERO_RATIO = 3;
/** A critical check's weight in the overall score; other checks weigh 1. */
export const CRITICAL_WEIGHT = 3;

export interface HealthScoreInput {
  /** Share of successful runs over the last 24 hours; undefined with no runs. */
  availability: number | undefined;
  /** The check's recent typical latency, ms. */
  latencyMs: number | undefined;
  /** What its latency should stay under: expected_response_time, else the check's anomaly threshold. */
  referenceMs: number | undefined;
  consecutiveFailures: number;
  failureThreshold: number;
  /** Down after hysteresis: unhealthy or critical. */
  down: boolean;
}

export interface HealthScore {
  /** 0–100, one decimal. */
  score: number;
  /** The components, each 0–1, before weighting. */
  availability: number;
  latency: number;
  failures: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const round1 = (x: number) => Math.round(x * 10) / 10;

export function healthScore(input: HealthScoreInput): HealthScore {
  const availability = input.availability === undefined ? 1 : clamp01((input.availability - AVAILABILITY_FLOOR) / (1 - AVAILABILITY_FLOOR));
  let latency = 1;
  if (input.latencyMs !== undefined && input.referenceMs !== undefined && input.referenceMs > 0) {
    const ratio = input.latencyMs / input.referenceMs;
    latency = clamp01((LATENCY_ZERO_RATIO - ratio) / (LATENCY_ZERO_RATIO - 1));
  }
  const failures = input.down ? 0 : clamp01(1 - input.consecutiveFailures / Math.max(1, input.failureThreshold));
  const w = HEALTH_SCORE_WEIGHTS;
  return {
    score: round1(w.availability * availability + w.latency * latency + w.failures * failures),
    availability,
    latency,
    failures,
  };
}

/** The overall score: critical checks weigh CRITICAL_WEIGHT, others 1; 100 with no checks. */
export function overallScore(checks: ReadonlyArray<{ score: number; critical: boolean }>): number {
  let sum = 0;
  let weights = 0;
  for (const c of checks) {
    const w = c.critical ? CRITICAL_WEIGHT : 1;
    sum += w * c.score;
    weights += w;
  }
  return weights === 0 ? 100 : round1(sum / weights);
}
