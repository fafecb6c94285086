// What a probe reports and what the scheduler makes of it. Everything downstream (state,
// metrics, history, rules) reads these shapes and nothing probe-specific.
import type { FailureReason } from './failure-reason.js';

/** One gauge value a probe measured, e.g. probe_http_status_code or a phase duration. */
export interface Observation {
  metric: string;
  value: number;
  /** Labels beyond `check` and `kind`, e.g. `{ phase: 'connect' }`. Bounded values only. */
  labels?: Record<string, string>;
}

/** What one probe attempt returns. Expected failures are values, never exceptions. */
export interface ProbeOutcome {
  ok: boolean;
  reason?: FailureReason;
  /** Human detail showing what was seen and what was expected: `status 500, expected 2xx`. */
  message?: string;
  /** Set on a successful probe that met a warning condition (the check becomes degraded). */
  warning?: string;
  /** Milliseconds spent in each phase (resolve, connect, tls, processing, transfer, …). */
  phases: Record<string, number>;
  observations: Observation[];
}

/** The result of one scheduled run of a check: the last attempt plus run bookkeeping. */
export interface CheckResult extends ProbeOutcome {
  check: string;
  kind: string;
  startedAt: number;
  durationMs: number;
  attempts: number;
}
