// Plain data for the status page's render and route tests: assessments and history as the
// assessor and the history store hand them over.
import type { CheckHistoryView, StatusPageModel } from '../../src/http/status-page-html.js';
import type { CheckAssessment, OverallAssessment } from '../../src/state/assessment.js';

export const NOW = Date.UTC(2026, 4, 20, 12, 0, 0);
export const DAY = 86_400_000;

export function check(over: Partial<CheckAssessment> & { check: string }): CheckAssessment {
  return {
    kind: 'http',
    group: 'web',
    critical: false,
    target: `https://${over.check}.example/`,
    status: 'healthy',
    statusSince: NOW - 3_600_000,
    last: { at: NOW - 12_000, ok: true, durationMs: 42 },
    uptime: { '1h': 1, '24h': 1, '7d': 0.9995, '30d': 0.9991 },
    latency: { p50Ms: 40, p95Ms: 80, p99Ms: 120, meanMs: 45 },
    errorRate: 0,
    healthScore: 98,
    anomaly: { baselineMs: 44, deviationMs: 5, anomalous: false },
    ...over,
  };
}

export function overallOf(checks: readonly CheckAssessment[]): OverallAssessment {
  const n = (s: string | undefined) => checks.filter((c) => c.status === s).length;
  return {
    score: 90, total: checks.length, healthy: n('healthy'), degraded: n('degraded'), unhealthy: n('unhealthy'), critical: n('critical'), unknown: n(undefined),
    healthPercentage: checks.length ? ((n('healthy') + n('degraded')) / checks.length) * 100 : 0,
  };
}

function historyOf(seed: number): CheckHistoryView {
  return {
    days: Array.from({ length: 30 }, (_, i) => ({ start: NOW - (29 - i) * DAY, count: i < 3 ? 0 : 1440, failures: i === 10 + (seed % 7) ? 30 : 0 })),
    latencyMs: Array.from({ length: 24 }, (_, i) => (i === 5 ? undefined : 30 + ((i * 7 + seed) % 20))),
  };
}

export function model(checks: CheckAssessment[], over: Partial<StatusPageModel> = {}): StatusPageModel {
  return {
    title: 'healthmon status',
    now: NOW,
    refreshSeconds: 30,
    overall: overallOf(checks),
    checks,
    history: new Map(checks.map((c, i) => [c.check, historyOf(i)])),
    latencyLabel: 'hourly p95',
    alerts: [],
    silences: [],
    ...over,
  };
}

