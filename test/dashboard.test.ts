// The dashboard from history alone: each check's status from its newest results, stale and
// never-run checks unknown, the summary counts, and scores from the shared health score.
import { describe, expect, it } from 'vitest';
import { buildDashboard } from '../src/cli/dashboard.js';
import { overallScore } from '../src/state/health-score.js';
import type { CheckStatus } from '../src/state/check-state.js';
import { createMemoryHistory } from '../src/store/history-memory.js';
import type { HistoryStore } from '../src/store/history.js';
import { spec } from './helpers/specs.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const NOW = Date.UTC(2026, 0, 8, 12, 30);

const CHECKS = [
  spec('api', { kind: 'http', group: 'edge', intervalMs: MIN }),
  spec('db', { kind: 'postgres', critical: true, intervalMs: MIN }),
  spec('slow', { kind: 'http', intervalMs: MIN, expectedResponseTimeMs: 100 }),
  spec('gone', { kind: 'tcp', intervalMs: MIN }),
  spec('new', { kind: 'dns', intervalMs: MIN }),
  spec('starting', { kind: 'dns', intervalMs: MIN }),
];

/** One run a minute for the last `minutes`, the newest `failing` of them failed. */
function runs(h: HistoryStore, check: string, o: { minutes: number; failing?: number; status: (ok: boolean) => CheckStatus | undefined; ms?: number; endAt?: number }) {
  const end = o.endAt ?? NOW;
  for (let i = o.minutes; i >= 1; i--) {
    const ok = i > (o.failing ?? 0);
    const status = o.status(ok);
    h.append({ check, at: end - i * MIN, durationMs: o.ms ?? 20, ok, ...(status && { status }), ...(ok ? {} : { reason: 'timeout', message: 'no answer in 5s' }) });
  }
}

function fixture(): HistoryStore {
  const h = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
  runs(h, 'api', { minutes: 120, status: () => 'healthy' });
  // Failing for the last 4 minutes: critical after the third failure.
  runs(h, 'db', { minutes: 100, failing: 4, status: (ok) => (ok ? 'healthy' : 'critical') });
  runs(h, 'slow', { minutes: 30, status: () => 'degraded', ms: 300 });
  // Last seen two hours ago: nothing runs it any more.
  runs(h, 'gone', { minutes: 10, status: () => 'healthy', endAt: NOW - 120 * MIN });
  // One failure, not enough for a status yet.
  runs(h, 'starting', { minutes: 1, failing: 1, status: () => undefined });
  return h;
}

describe('buildDashboard', () => {
  it('has exactly the documented keys', () => {
    const d = buildDashboard({ history: fixture(), checks: CHECKS, now: NOW });
    expect(Object.keys(d).sort()).toEqual(
      ['critical_unhealthy', 'degraded_services', 'generated_at', 'health_percentage', 'healthy_services', 'overall_score', 'services', 'total_services', 'unhealthy_services', 'unknown_services'].sort(),
    );
    for (const s of d.services) expect(Object.keys(s).sort()).toEqual(['critical', 'group', 'health_score', 'kind', 'last_checked', 'latency_p95_ms', 'name', 'reason', 'status', 'uptime_24h'].sort());
  });

  it('takes each status from history and says why a check is not healthy', () => {
    const d = buildDashboard({ history: fixture(), checks: CHECKS, now: NOW });
    const byName = Object.fromEntries(d.services.map((s) => [s.name, s]));
    expect(byName.api).toMatchObject({ kind: 'http', group: 'edge', status: 'healthy', critical: false, uptime_24h: 100, latency_p95_ms: 20, last_checked: '2026-01-08T12:29:00.000Z', reason: null });
    expect(byName.db).toMatchObject({ group: 'postgres', status: 'critical', critical: true, uptime_24h: 96, reason: 'timeout: no answer in 5s' });
    expect(byName.slow).toMatchObject({ status: 'degraded', latency_p95_ms: 300, reason: 'slower than expected: 300 ms > 100 ms' });
    expect(byName.gone).toMatchObject({ status: 'unknown', last_checked: '2026-01-08T10:29:00.000Z', reason: 'no result since 2026-01-08T10:29:00.000Z: is healthmon running this check?' });
    expect(byName.new).toMatchObject({ status: 'unknown', uptime_24h: null, latency_p95_ms: null, last_checked: null, reason: 'no results in history yet' });
    expect(byName.starting).toMatchObject({ status: 'unknown', uptime_24h: 0, reason: 'not enough runs yet for a status' });
  });

  it('scores with the shared health score: a check down scores low, the critical one weighs more overall', () => {
    const d = buildDashboard({ history: fixture(), checks: CHECKS, now: NOW });
    const byName = Object.fromEntries(d.services.map((s) => [s.name, s]));
    expect(byName.api!.health_score).toBe(100);
    // Down: no failure points; 96 % uptime: 60 % of the availability points; latency fine.
    expect(byName.db!.health_score).toBe(0.6 * 50 + 25);
    expect(byName.slow!.health_score).toBe(50 + 0 + 25);
    expect(d.overall_score).toBe(overallScore(d.services.map((s) => ({ score: s.health_score, critical: s.critical }))));
  });

  it('counts the fleet: down includes critical, percentages over checks with a status', () => {
    const d = buildDashboard({ history: fixture(), checks: CHECKS, now: NOW });
    expect(d).toMatchObject({
      generated_at: '2026-01-08T12:30:00.000Z',
      total_services: 6,
      healthy_services: 1,
      degraded_services: 1,
      unhealthy_services: 1,
      critical_unhealthy: 1,
      unknown_services: 3,
      // 2 of the 3 checks with a status are up.
      health_percentage: 66.7,
    });
  });

  it('has every check unknown without history', () => {
    const d = buildDashboard({ history: undefined, checks: CHECKS, now: NOW });
    expect(d).toMatchObject({ total_services: 6, unknown_services: 6, healthy_services: 0, unhealthy_services: 0, health_percentage: 100 });
    expect(d.services.every((s) => s.status === 'unknown' && s.uptime_24h === null && s.last_checked === null)).toBe(true);
  });
});
