import { describe, expect, it } from 'vitest';
import { spec } from '../../test/helpers/specs.js';
import type { CheckResult } from '../core/check-result.js';
import { createMemoryHistory } from '../store/history-memory.js';
import type { HistoryStore } from '../store/history.js';
import { createAssessor } from './assessor.js';
import { createLatencyBaselines } from './latency-baseline.js';
import { createStateStore } from './state-store.js';

const NOW = Date.UTC(2026, 2, 10, 12, 30); // mid-hour, so windows cut through raw results and rollups
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function setup(withHistory = true) {
  const store = createStateStore();
  store.setChecks([
    spec('web', {
      critical: true,
      failureThreshold: 2,
      expectedResponseTimeMs: 200,
      slo: { availability: 0.99, latency: [{ quantile: 'p95', q: 0.95, targetMs: 500 }], windowMs: 7 * DAY },
    }),
    spec('db', { group: 'data', description: 'primary' }),
    spec('idle'),
  ]);
  const history: HistoryStore | undefined = withHistory ? createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } }) : undefined;
  const baselines = createLatencyBaselines({ history: () => history });
  const assessor = createAssessor({ store, history: () => history, baselines });
  const run = (check: string, at: number, ok: boolean, durationMs: number) => {
    const result: CheckResult = {
      check,
      kind: 'test',
      startedAt: at,
      durationMs,
      attempts: 1,
      ok,
      phases: {},
      observations: [],
      ...(ok ? {} : { reason: 'timeout' as const, message: 'no answer in 1s' }),
    };
    store.record(result);
    history?.append({ check, at, durationMs, ok });
    baselines.observe(check, at, durationMs, ok);
  };
  return { store, history, assessor, run };
}

/** web: 40 runs over 30 days with one failure, four in the last hour (one failed). db: 5 quick runs. */
function populate(run: ReturnType<typeof setup>['run']) {
  for (let i = 0; i < 20; i++) run('web', NOW - 20 * DAY + i * MIN, true, 100);
  for (let i = 0; i < 10; i++) run('web', NOW - 3 * DAY + i * MIN, true, 100);
  for (let i = 0; i < 6; i++) run('web', NOW - 3 * HOUR + i * MIN, true, 100);
  run('web', NOW - 40 * MIN, true, 100);
  run('web', NOW - 30 * MIN, false, 100);
  run('web', NOW - 20 * MIN, true, 100);
  run('web', NOW - 10 * MIN, true, 100);
  for (let i = 0; i < 5; i++) run('db', NOW - 50 * MIN + i * 10 * MIN, true, 50);
}

describe('assessor', () => {
  it('assesses every check from live state and history', () => {
    const { assessor, run } = setup();
    populate(run);
    const a = assessor.assess(NOW);
    expect(a.at).toBe(NOW);
    const [web, db, idle] = a.checks;

    expect(web).toMatchObject({
      check: 'web',
      kind: 'test',
      group: 'test',
      critical: true,
      target: 'test',
      status: 'healthy',
      last: { at: NOW - 10 * MIN, ok: true, durationMs: 100 },
      // 3 of 4 in the hour; 9 of 10 in a day; 19 of 20 in a week; 39 of 40 in 30 days
      uptime: { '1h': 0.75, '24h': 0.9, '7d': 0.95, '30d': 0.975 },
      latency: { p50Ms: 100, p95Ms: 100, p99Ms: 100, meanMs: 100 },
      errorRate: 0.1,
      // availability (0.9 − 0.9)/0.1 = 0 → 0; 100 ms against the expected 200 → 25; no failures now → 25
      healthScore: 50,
      slo: {
        objective: 0.99,
        windowMs: 7 * DAY,
        availability: 0.95,
        compliant: false,
        errorBudgetRemaining: 1 - 1 / (20 * 0.01), // −4
        // 1 of 4 runs in the hour, 1 of 10 in six hours, against 1 % allowed
        burnRate: { '1h': 25, '6h': 10 },
        latency: [{ quantile: 'p95', targetMs: 500, actualMs: 100, compliant: true }],
      },
      anomaly: { baselineMs: 100, deviationMs: 0, anomalous: false },
    });
    expect(web!.last).toEqual({ at: NOW - 10 * MIN, ok: true, durationMs: 100 });
    expect(web!.slo!.errorBudgetRemaining).toBeCloseTo(-4, 12);

    expect(db).toMatchObject({ check: 'db', group: 'data', description: 'primary', critical: false, uptime: { '1h': 1, '24h': 1, '7d': 1, '30d': 1 }, errorRate: 0, healthScore: 100 });
    expect(db!.slo).toBeUndefined();
    // No expected_response_time: latency against its anomaly threshold, 50 + max(4·0, 50) ms.
    expect(db!.anomaly.baselineMs).toBe(50);

    expect(idle).toMatchObject({
      check: 'idle',
      status: undefined,
      uptime: { '1h': undefined, '24h': undefined, '7d': undefined, '30d': undefined },
      latency: undefined,
      errorRate: undefined,
      healthScore: 100,
      anomaly: { baselineMs: undefined, deviationMs: undefined, anomalous: false },
    });
    expect(idle!.last).toBeUndefined();

    // (3·50 + 100 + 100) / 5 = 70; two of the two checks with a status are up.
    expect(a.overall).toEqual({ score: 70, total: 3, healthy: 2, degraded: 0, unhealthy: 0, critical: 0, unknown: 1, healthPercentage: 100 });
  });

  it('counts statuses and scores failing checks low', () => {
    const { assessor, run } = setup();
    populate(run);
    run('web', NOW - 2 * MIN, false, 100);
    run('web', NOW - MIN, false, 100);
    run('db', NOW - MIN, false, 30);
    const a = assessor.assess(NOW);
    const [web, db] = a.checks;
    expect(web).toMatchObject({ status: 'critical', uptime: { '1h': 0.5 }, last: { ok: false, reason: 'timeout', message: 'no answer in 1s' } });
    // 9 of 12 in a day → a = 0 → 0; latency 100 against 200 → 25; down → 0
    expect(web!.healthScore).toBe(25);
    // db: 5 of 6 up over the day → a = 0; one failure of three → f = 2/3; (0 + 25 + 16.67) = 41.7
    expect(db).toMatchObject({ status: 'healthy', healthScore: 41.7 });
    // (3·25 + 41.7 + 100) / 5 = 43.34 → 43.3; one of two known up
    expect(a.overall).toMatchObject({ score: 43.3, healthy: 1, critical: 1, unknown: 1, healthPercentage: 50 });
  });

  it('reads history once per window for all checks and reuses it for a minute', () => {
    const { assessor, run, history } = setup();
    populate(run);
    const calls: number[] = [];
    const aggregate = history!.aggregate.bind(history);
    history!.aggregate = (span, checks) => {
      calls.push(span.until - span.since);
      expect(checks).toEqual(['web', 'db', 'idle']);
      return aggregate(span, checks);
    };
    assessor.assess(NOW);
    // 1h, 24h, 7d, 30d, then 6h for the SLO's burn rate (its 7d window is shared).
    expect(calls.sort((a, b) => a - b)).toEqual([HOUR, 6 * HOUR, DAY, 7 * DAY, 30 * DAY]);
    run('web', NOW + 10_000, false, 100);
    const cached = assessor.assess(NOW + 30_000);
    expect(calls).toHaveLength(5);
    expect(cached.checks[0]!.uptime['1h']).toBe(0.75);
    // …while live state is always fresh.
    expect(cached.checks[0]!.last).toMatchObject({ at: NOW + 10_000, ok: false });
    const later = assessor.assess(NOW + 60_000);
    expect(calls).toHaveLength(10);
    expect(later.checks[0]!.uptime['1h']).toBe(0.6); // 3 of 5
  });

  it('falls back to live counters without history', () => {
    const { assessor, run } = setup(false);
    run('web', NOW - 3 * MIN, true, 100);
    run('web', NOW - 2 * MIN, true, 100);
    run('web', NOW - MIN, false, 100);
    run('web', NOW, true, 100);
    const [web] = assessor.assess(NOW).checks;
    expect(web).toMatchObject({
      uptime: { '1h': undefined, '24h': undefined, '7d': undefined, '30d': undefined },
      latency: undefined,
      errorRate: 0.25,
      // live 3 of 4 up → a = 0; the last run's 100 ms against 200 → 25; no failure now → 25
      healthScore: 50,
      slo: { availability: undefined, compliant: true, errorBudgetRemaining: 1, burnRate: { '1h': undefined, '6h': undefined } },
    });
  });
});
