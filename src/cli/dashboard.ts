// `healthmon dashboard`: the fleet's summary and a row per check as JSON, for scripts and other
// dashboards. It runs as a process of its own, so each check's state comes from history (its last
// results and their recorded status); the numbers come from the same Assessor the API uses.
import type { CheckSpec } from '../config/config.js';
import type { CheckResult } from '../core/check-result.js';
import type { FailureReason } from '../core/failure-reason.js';
import type { CheckAssessment } from '../state/assessment.js';
import { createAssessor } from '../state/assessor.js';
import { initialCheckState, type CheckState, type CheckStatus } from '../state/check-state.js';
import { createLatencyBaselines } from '../state/latency-baseline.js';
import { DURATION_BUCKETS, type CheckEntry, type StateStore } from '../state/state-store.js';
import type { HistoryResult, HistoryStore } from '../store/history.js';
import { ms1, pct } from './report-math.js';

export type DashboardStatus = CheckStatus | 'unknown';

export interface DashboardService {
  name: string;
  kind: string;
  group: string;
  status: DashboardStatus;
  critical: boolean;
  /** Share of successful runs over the last 24 hours, 0–100; null with none. */
  uptime_24h: number | null;
  latency_p95_ms: number | null;
  /** 0–100 (README: health score). */
  health_score: number;
  /** When the last run started; null with none in history. */
  last_checked: string | null;
  /** Why it is not healthy, in words; null when it is. */
  reason: string | null;
}

export interface Dashboard {
  generated_at: string;
  total_services: number;
  healthy_services: number;
  degraded_services: number;
  /** Down: unhealthy or critical. */
  unhealthy_services: number;
  /** Down and marked critical (a subset of unhealthy_services). */
  critical_unhealthy: number;
  /** No status: never run, not enough runs yet, or no recent result. */
  unknown_services: number;
  /** Checks up (healthy or degraded) among those with a status, 0–100; 100 with none. */
  health_percentage: number;
  overall_score: number;
  services: DashboardService[];
}

/** A check whose last result is older than this many intervals (plus its timeout) is `unknown`: nothing runs it. */
export const STALE_INTERVALS = 3;

const isDown = (s: CheckStatus | undefined) => s === 'unhealthy' || s === 'critical';

function staleAfterMs(spec: CheckSpec): number {
  return STALE_INTERVALS * spec.intervalMs + spec.timeoutMs * (spec.retries + 1) + spec.retryBackoffMs * spec.retries;
}

function asCheckResult(spec: CheckSpec, r: HistoryResult): CheckResult {
  return {
    check: spec.name,
    kind: spec.kind,
    startedAt: r.at,
    durationMs: r.durationMs,
    ok: r.ok,
    ...(r.reason !== undefined && { reason: r.reason as FailureReason }),
    ...(r.message !== undefined && { message: r.message }),
    phases: {},
    observations: [],
    attempts: 1,
  };
}

/** A check's state as its newest results in history left it; fresh (unknown) with none or only stale ones. */
function stateFromHistory(spec: CheckSpec, recent: readonly HistoryResult[], now: number): { state: CheckState; stale: boolean } {
  const last = recent[recent.length - 1];
  if (!last) return { state: initialCheckState, stale: false };
  if (now - last.at > staleAfterMs(spec)) return { state: { ...initialCheckState, last: asCheckResult(spec, last) }, stale: true };
  let consecutiveFailures = 0;
  let consecutiveSuccesses = 0;
  for (let i = recent.length - 1; i >= 0 && !recent[i]!.ok; i--) consecutiveFailures++;
  for (let i = recent.length - 1; i >= 0 && recent[i]!.ok; i--) consecutiveSuccesses++;
  const lastOk = [...recent].reverse().find((r) => r.ok);
  const lastFailed = [...recent].reverse().find((r) => !r.ok);
  const status = last.status;
  return {
    state: {
      up: status === undefined ? undefined : !isDown(status),
      status,
      consecutiveFailures,
      consecutiveSuccesses,
      statusSince: undefined,
      last: asCheckResult(spec, last),
      lastSuccessAt: lastOk && lastOk.at + lastOk.durationMs,
      lastFailureAt: lastFailed && lastFailed.at + lastFailed.durationMs,
    },
    stale: false,
  };
}

function reasonOf(a: CheckAssessment, spec: CheckSpec, stale: boolean, lastAt: number | undefined): string | null {
  if (stale) return `no result since ${new Date(lastAt!).toISOString()}: is healthmon running this check?`;
  const last = a.last;
  if (a.status === undefined) return last ? 'not enough runs yet for a status' : 'no results in history yet';
  if (a.status === 'healthy') return null;
  if (a.status === 'degraded') {
    if (last && spec.expectedResponseTimeMs !== undefined && last.durationMs > spec.expectedResponseTimeMs) {
      return `slower than expected: ${ms1(last.durationMs)} ms > ${spec.expectedResponseTimeMs} ms`;
    }
    return last?.message ?? 'degraded';
  }
  if (!last || last.ok) return a.status;
  return [last.reason, last.message].filter((x) => x !== undefined && x !== '').join(': ') || a.status;
}

export interface DashboardInput {
  /** undefined when there is no history at all: every check is then unknown. */
  history: HistoryStore | undefined;
  checks: readonly CheckSpec[];
  now: number;
}

export function buildDashboard(input: DashboardInput): Dashboard {
  const { history, checks, now } = input;
  const entries = new Map<string, CheckEntry>();
  const stale = new Map<string, number>();
  for (const spec of checks) {
    // Enough of the newest results to count consecutive failures up to the thresholds.
    const limit = Math.max(spec.failureThreshold, spec.successThreshold) + 1;
    const recent = history ? history.results(spec.name, { since: 0, until: now + 1 }, limit) : [];
    const { state, stale: isStale } = stateFromHistory(spec, recent, now);
    if (isStale) stale.set(spec.name, recent[recent.length - 1]!.at);
    entries.set(spec.name, {
      spec,
      version: 0,
      state,
      successes: 0,
      failures: 0,
      durationBuckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
      durationSumSeconds: 0,
    });
  }
  // The Assessor reads entries and nothing else of the live store here.
  const store: StateStore = {
    setChecks: () => {
      throw new Error('the dashboard state is read-only');
    },
    record: () => undefined,
    get: (name) => entries.get(name),
    entries: () => entries.values(),
    size: () => entries.size,
  };
  const baselines = createLatencyBaselines({ history: () => history, seedOnRead: true });
  const assessment = createAssessor({ store, history: () => history, baselines }).assess(now);
  const o = assessment.overall;
  const services = assessment.checks.map((a, i): DashboardService => {
    const spec = checks[i]!;
    return {
      name: a.check,
      kind: a.kind,
      group: a.group,
      status: a.status ?? 'unknown',
      critical: a.critical,
      uptime_24h: a.uptime['24h'] === undefined ? null : pct(a.uptime['24h']),
      latency_p95_ms: a.latency && Number.isFinite(a.latency.p95Ms) ? ms1(a.latency.p95Ms) : null,
      health_score: a.healthScore,
      last_checked: a.last ? new Date(a.last.at).toISOString() : null,
      reason: reasonOf(a, spec, stale.has(spec.name), stale.get(spec.name)),
    };
  });
  return {
    generated_at: new Date(now).toISOString(),
    total_services: o.total,
    healthy_services: o.healthy,
    degraded_services: o.degraded,
    unhealthy_services: o.unhealthy + o.critical,
    critical_unhealthy: o.critical,
    unknown_services: o.unknown,
    health_percentage: o.healthPercentage,
    overall_score: o.score,
    services,
  };
}

export function renderDashboard(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
