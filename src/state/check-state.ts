// Hysteresis and status for one check: a pure step from the previous state and a new result.
// Flapping is damped by failure_threshold / success_threshold; the status is derived from that.
import type { CheckResult } from '../core/check-result.js';

export const CHECK_STATUSES = ['healthy', 'degraded', 'unhealthy', 'critical'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export interface ThresholdSpec {
  failureThreshold: number;
  successThreshold: number;
  critical: boolean;
  expectedResponseTimeMs?: number;
}

export interface CheckState {
  /** Up after hysteresis; undefined until the first success or failure_threshold failures. */
  up: boolean | undefined;
  status: CheckStatus | undefined;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** When `status` last changed (epoch ms). */
  statusSince: number | undefined;
  last: CheckResult | undefined;
  lastSuccessAt: number | undefined;
  lastFailureAt: number | undefined;
}

export const initialCheckState: CheckState = {
  up: undefined,
  status: undefined,
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  statusSince: undefined,
  last: undefined,
  lastSuccessAt: undefined,
  lastFailureAt: undefined,
};

export function nextCheckState(prev: CheckState, result: CheckResult, spec: ThresholdSpec): CheckState {
  const at = result.startedAt + result.durationMs;
  const consecutiveFailures = result.ok ? 0 : prev.consecutiveFailures + 1;
  const consecutiveSuccesses = result.ok ? prev.consecutiveSuccesses + 1 : 0;
  let up = prev.up;
  if (!result.ok && consecutiveFailures >= spec.failureThreshold) up = false;
  // A check that has never been up needs one success; a down one needs success_threshold.
  if (result.ok && (up === undefined || consecutiveSuccesses >= spec.successThreshold)) up = true;
  const status = statusOf(up, result, spec);
  return {
    up,
    status,
    consecutiveFailures,
    consecutiveSuccesses,
    statusSince: status === prev.status ? prev.statusSince : at,
    last: result,
    lastSuccessAt: result.ok ? at : prev.lastSuccessAt,
    lastFailureAt: result.ok ? prev.lastFailureAt : at,
  };
}

function statusOf(up: boolean | undefined, last: CheckResult, spec: ThresholdSpec): CheckStatus | undefined {
  if (up === undefined) return undefined;
  if (!up) return spec.critical ? 'critical' : 'unhealthy';
  const slow = spec.expectedResponseTimeMs !== undefined && last.ok && last.durationMs > spec.expectedResponseTimeMs;
  return slow || (last.ok && last.warning !== undefined) ? 'degraded' : 'healthy';
}
