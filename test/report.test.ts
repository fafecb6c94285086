// The report built from a history with a known timeline: uptime, percentiles (through the store's
// quantileOf), outages from status events, alerts from alert events, SLO numbers, the breakdown.
import { describe, expect, it } from 'vitest';
import type { CheckSpec } from '../src/config/config.js';
import { planDashboard, planReport } from '../src/cli/report-command.js';
import { alignDown, buildReport, reportRequest, type Report, type ReportRequest } from '../src/cli/report.js';
import { mergeAggregates } from '../src/cli/report-math.js';
import { renderReport } from '../src/cli/report-render.js';
import { createMemoryHistory } from '../src/store/history-memory.js';
import type { HistoryStore } from '../src/store/history.js';
import { quantileOf } from '../src/store/latency-buckets.js';
import { spec } from './helpers/specs.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2026-01-08T12:30Z: the report is made half past an hour. */
const NOW = Date.UTC(2026, 0, 8, 12, 30);
/** Where a daily report starts: the hour holding NOW − 24h. */
const SINCE = Date.UTC(2026, 0, 7, 12, 0);
const at = (iso: string) => Date.parse(iso);

function request(r: ReportRequest | { error: string }): ReportRequest {
  if ('error' in r) throw new Error(r.error);
  return r;
}

/** A run every 10 minutes from SINCE to NOW; `fails(t)` says which fail. */
function runs(history: HistoryStore, check: string, fails: (t: number) => boolean, durationMs: (t: number, i: number) => number) {
  let i = 0;
  for (let t = SINCE; t < NOW; t += 10 * MIN, i++) {
    const ok = !fails(t);
    history.append({ check, at: t, durationMs: durationMs(t, i), ok, status: ok ? 'healthy' : 'critical', ...(ok ? {} : { reason: 'timeout', message: 'no answer in 5s' }) });
  }
}

const CHECKS: CheckSpec[] = [
  spec('api', { kind: 'http', critical: true, group: 'edge', slo: { availability: 0.99, latency: [{ quantile: 'p95', q: 0.95, targetMs: 100 }], windowMs: 7 * DAY } }),
  spec('db', { kind: 'postgres' }),
  spec('batch', { kind: 'exec' }),
  spec('quiet', { kind: 'tcp' }),
];

function fixture(): HistoryStore {
  const h = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
  // api: three failed runs 18:00–18:20 yesterday; critical from the third, healthy again at 18:30.
  const apiDown = (t: number) => t >= at('2026-01-07T18:00:00Z') && t <= at('2026-01-07T18:20:00Z');
  runs(h, 'api', apiDown, (_t, i) => (i % 10 === 0 ? 250 : 20 + (i % 7)));
  h.appendEvent({ check: 'api', at: at('2026-01-07T18:20:05Z'), kind: 'status', state: 'critical', message: 'no answer in 5s', data: { previous: 'healthy', reason: 'timeout' } });
  h.appendEvent({ check: 'api', at: at('2026-01-07T18:30:01Z'), kind: 'status', state: 'healthy', data: { previous: 'critical' } });
  const apiAlert = { labels: { alertname: 'CheckDown', severity: 'critical', check: 'api' }, annotations: { summary: 'api | is down\nnow' }, fingerprint: 'fp-api' };
  h.appendEvent({ check: 'api', at: at('2026-01-07T18:25:00Z'), kind: 'alert', state: 'firing', data: apiAlert });
  h.appendEvent({ check: 'api', at: at('2026-01-07T18:35:00Z'), kind: 'alert', state: 'resolved', data: apiAlert });

  // db: unhealthy since before the span, up again at 14:00:02 yesterday; the first event says what it was.
  h.appendEvent({ check: 'db', at: at('2026-01-07T06:00:00Z'), kind: 'status', state: 'unhealthy', data: { previous: 'healthy' } });
  runs(h, 'db', (t) => t < at('2026-01-07T14:00:00Z'), () => 5);
  h.appendEvent({ check: 'db', at: at('2026-01-07T14:00:02Z'), kind: 'status', state: 'healthy', data: { previous: 'unhealthy' } });
  h.appendEvent({ check: 'db', at: at('2026-01-07T15:00:00Z'), kind: 'status', state: 'degraded', data: { previous: 'healthy' } });

  // batch: down since two days ago and all through the span, with no event in it.
  h.appendEvent({ check: 'batch', at: at('2026-01-06T09:00:00Z'), kind: 'status', state: 'unhealthy', message: 'exit 2' });
  runs(h, 'batch', () => true, () => 1000);

  // Fleet alerts: one firing since before the span and still firing; one fired before, resolved in it.
  const disk = { labels: { alertname: 'DiskFull', severity: 'warning' } };
  h.appendEvent({ check: '', at: at('2026-01-06T08:00:00Z'), kind: 'alert', state: 'firing', data: disk });
  const load = { labels: { alertname: 'HighLoad', severity: 'info' } };
  h.appendEvent({ check: '', at: at('2026-01-05T08:00:00Z'), kind: 'alert', state: 'firing', data: load });
  h.appendEvent({ check: '', at: at('2026-01-07T13:00:00Z'), kind: 'alert', state: 'resolved', data: load });
  // Recorded for no check, but about one.
  const slow = { labels: { alertname: 'SlowQueries', severity: 'warning', check: 'db' } };
  h.appendEvent({ check: '', at: at('2026-01-08T11:00:00Z'), kind: 'alert', state: 'firing', data: slow });
  // Before the span, over: not in the report.
  h.appendEvent({ check: 'api', at: at('2026-01-06T10:00:00Z'), kind: 'status', state: 'critical' });
  h.appendEvent({ check: 'api', at: at('2026-01-06T10:05:00Z'), kind: 'status', state: 'healthy' });
  return h;
}

function daily(h: HistoryStore): Report {
  return buildReport({ history: h, checks: CHECKS, request: request(reportRequest({ period: 'daily', now: NOW })), now: NOW });
}

describe('reportRequest', () => {
  it.each([
    [{ period: 'daily' }, 'daily', SINCE, HOUR],
    [{ period: 'weekly' }, 'weekly', Date.UTC(2026, 0, 1), DAY],
    [{}, 'custom', SINCE, HOUR],
    [{ since: '7d' }, 'custom', Date.UTC(2026, 0, 1), DAY],
    [{ since: '30d' }, 'custom', Date.UTC(2025, 11, 9), DAY],
    [{ since: '1h' }, 'custom', Date.UTC(2026, 0, 8, 11, 30), 5 * MIN],
    [{ period: 'weekly', since: '14d' }, 'weekly', Date.UTC(2025, 11, 25), DAY],
    // Beyond 90 days, ISO weeks: Monday 2025-09-08 holds NOW − 120d (2025-09-10).
    [{ since: '120d' }, 'custom', Date.UTC(2025, 8, 8), 7 * DAY],
  ])('%j → %s from its step boundary', (options, period, since, stepMs) => {
    expect(reportRequest({ ...options, now: NOW })).toEqual({ period, span: { since, until: NOW }, stepMs });
  });

  it.each([
    [{ since: 'yesterday' }, '--since: expected a duration such as 24h, 7d or 30d, got "yesterday"'],
    [{ since: '0' }, '--since: expected a duration such as 24h, 7d or 30d, got "0"'],
    [{ since: '500d' }, '--since: at most 400d (how long rollups are kept by default), got "500d"'],
    [{ period: 'monthly' }, 'report: unknown period "monthly"; expected daily or weekly'],
    [{ period: 'constructor' }, 'report: unknown period "constructor"; expected daily or weekly'],
  ])('%j is refused', (options, error) => {
    expect(reportRequest({ ...options, now: NOW })).toEqual({ error });
  });

  it('weeks start on Mondays', () => {
    expect(new Date(alignDown(Date.UTC(2026, 0, 8), 7 * DAY)).toISOString()).toBe('2026-01-05T00:00:00.000Z');
  });
});

describe('planReport and planDashboard: the command lines', () => {
  it.each([
    [{ rest: [] }, { period: 'custom', format: 'markdown', stepMs: HOUR, since: SINCE }],
    [{ rest: ['weekly'], format: 'html', out: 'w.html' }, { period: 'weekly', format: 'html', out: 'w.html', stepMs: DAY, since: Date.UTC(2026, 0, 1) }],
    [{ rest: ['daily'], json: true, since: '48h' }, { period: 'daily', format: 'json', stepMs: HOUR, since: Date.UTC(2026, 0, 6, 12) }],
    [{ rest: [], json: true, format: 'json' }, { period: 'custom', format: 'json', stepMs: HOUR, since: SINCE }],
  ])('%j', (args, want) => {
    const plan = planReport(args, NOW);
    if ('error' in plan) throw new Error(plan.error);
    expect({ period: plan.request.period, format: plan.format, ...(plan.out && { out: plan.out }), stepMs: plan.request.stepMs, since: plan.request.span.since }).toEqual(want);
  });

  it.each([
    [{ rest: ['monthly'] }, 'report: unknown period "monthly"; expected daily or weekly'],
    [{ rest: ['daily', 'weekly'] }, 'report: unexpected "weekly"; usage: report [daily|weekly] [--since D] [--format F] [--out FILE]'],
    [{ rest: [], format: 'pdf' }, '--format: expected one of json, markdown, html, got "pdf"'],
    [{ rest: [], format: 'md' }, '--format: expected one of json, markdown, html, got "md"'],
    [{ rest: [], json: true, format: 'html' }, '--json and --format html disagree; give one of them'],
    [{ rest: [], since: '2y' }, '--since: at most 400d (how long rollups are kept by default), got "2y"'],
    [{ rest: [], since: '-1h' }, '--since: expected a duration such as 24h, 7d or 30d, got "-1h"'],
    [{ rest: [], out: '' }, '--out: expected a file name'],
  ])('report %j is refused', (args, error) => {
    expect(planReport(args, NOW)).toEqual({ error });
  });

  it.each([
    [{ rest: [] }, {}],
    [{ rest: [], out: 'd.json', format: 'json' }, { out: 'd.json' }],
    [{ rest: ['now'] }, { error: 'dashboard: unexpected "now"; usage: dashboard [--out FILE]' }],
    [{ rest: [], format: 'markdown' }, { error: '--format: the dashboard is JSON only, got "markdown"' }],
    [{ rest: [], since: '7d' }, { error: '--since: the dashboard has no span (uptime is over 24h); use report --since' }],
  ])('dashboard %j', (args, want) => {
    expect(planDashboard(args)).toEqual(want);
  });
});

describe('buildReport', () => {
  it('counts runs, uptime and error rate per check and in total', () => {
    const r = daily(fixture());
    expect(r).toMatchObject({ schema_version: 1, period: 'daily', since: '2026-01-07T12:00:00.000Z', until: '2026-01-08T12:30:00.000Z', duration_ms: 24.5 * HOUR, step_ms: HOUR, generated_at: '2026-01-08T12:30:00.000Z' });
    const byName = Object.fromEntries(r.checks.map((c) => [c.check, c]));
    // 147 runs: every 10 minutes from 12:00 yesterday to 12:20 today.
    expect(byName.api).toMatchObject({ kind: 'http', group: 'edge', critical: true, runs: 147, failures: 3, uptime_pct: 97.9592, error_rate_pct: 2.0408 });
    expect(byName.db).toMatchObject({ group: 'postgres', runs: 147, failures: 12, uptime_pct: 91.8367 });
    expect(byName.batch).toMatchObject({ runs: 147, failures: 147, uptime_pct: 0, error_rate_pct: 100 });
    expect(byName.quiet).toMatchObject({ runs: 0, failures: 0, uptime_pct: null, error_rate_pct: null, latency: null, incidents: [], slo: null });
    expect(r.totals).toMatchObject({ checks: 4, checks_with_data: 3, runs: 441, failures: 162, uptime_pct: 63.2653 });
  });

  it('takes percentiles from the history buckets through quantileOf', () => {
    const h = fixture();
    const r = daily(h);
    const agg = h.aggregate({ since: SINCE, until: NOW }, ['api']).get('api')!;
    const api = r.checks.find((c) => c.check === 'api')!;
    const round = (x: number) => Math.round(x * 10) / 10;
    expect(api.latency).toEqual({
      p50_ms: round(quantileOf(agg, 0.5)),
      p95_ms: round(quantileOf(agg, 0.95)),
      p99_ms: round(quantileOf(agg, 0.99)),
      mean_ms: round(agg.latencySumMs / agg.count),
      min_ms: 20,
      max_ms: 250,
    });
    // 15 of 147 runs took 250 ms: the p95 lies among them, the median among the fast ones.
    expect(api.latency!.p95_ms).toBeGreaterThan(200);
    expect(api.latency!.p50_ms).toBeLessThan(30);
    const all = mergeAggregates(h.aggregate({ since: SINCE, until: NOW }).values());
    expect(r.totals.latency?.p99_ms).toBe(round(quantileOf(all, 0.99)));
  });

  it('turns status events into outages, with reasons, and knows what was down when the span began', () => {
    const r = daily(fixture());
    const outages = r.incidents.filter((i) => i.type === 'outage');
    expect(outages).toEqual([
      {
        type: 'outage', check: 'batch', start: '2026-01-07T12:00:00.000Z', end: null, duration_ms: 24.5 * HOUR, ongoing: true, began_before: true,
        reason: null, message: 'exit 2', status: 'unhealthy', alertname: null, severity: null,
      },
      {
        type: 'outage', check: 'db', start: '2026-01-07T12:00:00.000Z', end: '2026-01-07T14:00:02.000Z', duration_ms: 2 * HOUR + 2000, ongoing: false, began_before: true,
        reason: null, message: null, status: 'unhealthy', alertname: null, severity: null,
      },
      {
        type: 'outage', check: 'api', start: '2026-01-07T18:20:05.000Z', end: '2026-01-07T18:30:01.000Z', duration_ms: 9 * MIN + 56_000, ongoing: false, began_before: false,
        reason: 'timeout', message: 'no answer in 5s', status: 'critical', alertname: null, severity: null,
      },
    ]);
    const byName = Object.fromEntries(r.checks.map((c) => [c.check, c]));
    expect(byName.api!.downtime_ms).toBe(9 * MIN + 56_000);
    expect(byName.db!.downtime_ms).toBe(2 * HOUR + 2000);
    expect(r.totals).toMatchObject({ outages: 3, alerts: 4, incidents: 7, downtime_ms: 24.5 * HOUR + 2 * HOUR + 2000 + 9 * MIN + 56_000 });
  });

  it('finds the reason of an outage in the run that caused it when the event has none', () => {
    const h = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
    h.append({ check: 'api', at: at('2026-01-08T10:00:00Z'), durationMs: 5000, ok: false, reason: 'connection_refused', message: 'refused by 10.0.0.1:443' });
    h.appendEvent({ check: 'api', at: at('2026-01-08T10:00:05Z'), kind: 'status', state: 'critical', data: { previous: 'healthy' } });
    const r = buildReport({ history: h, checks: CHECKS.slice(0, 1), request: request(reportRequest({ now: NOW })), now: NOW });
    expect(r.incidents).toEqual([expect.objectContaining({ type: 'outage', reason: 'connection_refused', message: 'refused by 10.0.0.1:443', ongoing: true, duration_ms: NOW - at('2026-01-08T10:00:05Z') })]);
  });

  it('turns alert events into incidents: per check, fleet-wide, firing before the span, still firing', () => {
    const r = daily(fixture());
    const alerts = r.incidents.filter((i) => i.type === 'alert');
    expect(alerts).toEqual([
      {
        type: 'alert', check: null, start: '2026-01-07T12:00:00.000Z', end: null, duration_ms: 24.5 * HOUR, ongoing: true, began_before: true,
        reason: null, message: null, status: null, alertname: 'DiskFull', severity: 'warning',
      },
      {
        type: 'alert', check: null, start: '2026-01-07T12:00:00.000Z', end: '2026-01-07T13:00:00.000Z', duration_ms: HOUR, ongoing: false, began_before: true,
        reason: null, message: null, status: null, alertname: 'HighLoad', severity: 'info',
      },
      {
        type: 'alert', check: 'api', start: '2026-01-07T18:25:00.000Z', end: '2026-01-07T18:35:00.000Z', duration_ms: 10 * MIN, ongoing: false, began_before: false,
        reason: null, message: 'api | is down\nnow', status: null, alertname: 'CheckDown', severity: 'critical',
      },
      {
        type: 'alert', check: 'db', start: '2026-01-08T11:00:00.000Z', end: null, duration_ms: 90 * MIN, ongoing: true, began_before: false,
        reason: null, message: null, status: null, alertname: 'SlowQueries', severity: 'warning',
      },
    ]);
    const api = r.checks.find((c) => c.check === 'api')!;
    expect(api.incidents.map((i) => [i.type, i.start])).toEqual([
      ['outage', '2026-01-07T18:20:05.000Z'],
      ['alert', '2026-01-07T18:25:00.000Z'],
    ]);
  });

  it('evaluates SLOs exactly: over their window as the API does, and over the span', () => {
    const r = daily(fixture());
    const h = fixture();
    const window = h.aggregate({ since: NOW - 7 * DAY, until: NOW }, ['api']).get('api')!;
    const slo = r.checks.find((c) => c.check === 'api')!.slo;
    expect(slo).toEqual({
      objective_pct: 99,
      window_ms: 7 * DAY,
      // 144 of 147 runs: 97.96 % against 99 %; the budget allowed 1.47 failures, 3 happened.
      actual_pct: 97.9592,
      compliant: false,
      error_budget_remaining_pct: -104.08,
      latency: [{ quantile: 'p95', target_ms: 100, actual_ms: Math.round(quantileOf(window, 0.95) * 10) / 10, compliant: false }],
      span_actual_pct: 97.9592,
      span_compliant: false,
    });
    expect(r.totals).toMatchObject({ slo_checks: 1, slo_compliant: 0, slo_violated: 1 });
  });

  it('meets an SLO with an untouched budget', () => {
    const h = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
    runs(h, 'api', () => false, () => 10);
    const r = buildReport({ history: h, checks: CHECKS.slice(0, 1), request: request(reportRequest({ now: NOW })), now: NOW });
    expect(r.checks[0]!.slo).toMatchObject({ actual_pct: 100, compliant: true, error_budget_remaining_pct: 100, span_compliant: true });
    expect(r.worst_offenders).toEqual([]);
  });

  it('breaks the day down by the hour, per check and for the fleet', () => {
    const r = daily(fixture());
    expect(r.breakdown).toHaveLength(25);
    expect(r.breakdown[0]).toMatchObject({ start: '2026-01-07T12:00:00.000Z', runs: 18, failures: 12 });
    const six = r.breakdown.find((b) => b.start === '2026-01-07T18:00:00.000Z')!;
    expect(six).toMatchObject({ runs: 18, failures: 9, uptime_pct: 50 });
    // The current hour: 12:00, 12:10 and 12:20 so far.
    expect(r.breakdown[24]).toMatchObject({ start: '2026-01-08T12:00:00.000Z', runs: 9, failures: 3 });
    const api = r.checks.find((c) => c.check === 'api')!;
    expect(api.breakdown.find((b) => b.start === '2026-01-07T18:00:00.000Z')).toMatchObject({ runs: 6, failures: 3, uptime_pct: 50 });
    expect(r.checks.find((c) => c.check === 'quiet')!.breakdown.every((b) => b.runs === 0 && b.uptime_pct === null && b.p95_ms === null)).toBe(true);
  });

  it('breaks a week down by the day', () => {
    const r = buildReport({ history: fixture(), checks: CHECKS, request: request(reportRequest({ period: 'weekly', now: NOW })), now: NOW });
    expect(r.breakdown.map((b) => b.start.slice(0, 10))).toEqual(['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04', '2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08']);
    expect(r.breakdown.map((b) => b.runs)).toEqual([0, 0, 0, 0, 0, 0, 72 * 3, 75 * 3]);
    // The week saw api's earlier outage too (10:00–10:05 two days ago).
    expect(r.incidents.filter((i) => i.check === 'api' && i.type === 'outage')).toHaveLength(2);
  });

  it('ranks the worst offenders: lowest uptime first, only checks with a problem', () => {
    const r = daily(fixture());
    expect(r.worst_offenders).toEqual([
      { check: 'batch', uptime_pct: 0, downtime_ms: 24.5 * HOUR, incidents: 1, failures: 147, slo_compliant: null },
      { check: 'db', uptime_pct: 91.8367, downtime_ms: 2 * HOUR + 2000, incidents: 2, failures: 12, slo_compliant: null },
      { check: 'api', uptime_pct: 97.9592, downtime_ms: 9 * MIN + 56_000, incidents: 2, failures: 3, slo_compliant: false },
    ]);
  });

  it('is an empty report with no history', () => {
    const h = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
    const r = daily(h);
    expect(r.totals).toMatchObject({ checks: 4, checks_with_data: 0, runs: 0, uptime_pct: null, latency: null, incidents: 0 });
    expect(r.incidents).toEqual([]);
  });
});

describe('renderReport', () => {
  const HOSTILE = 'a|b\n<img src=x onerror=alert(1)>*[x](javascript:y)*';
  const hostile = () => {
    const h = fixture();
    h.append({ check: HOSTILE, at: at('2026-01-08T09:00:00Z'), durationMs: 30, ok: false, reason: 'status_mismatch', message: 'status 500 | body:\n<script>alert(2)</script> & `rm -rf`' });
    h.appendEvent({ check: HOSTILE, at: at('2026-01-08T09:00:01Z'), kind: 'status', state: 'unhealthy', data: { previous: 'healthy' } });
    return buildReport({ history: h, checks: [...CHECKS, spec(HOSTILE, { kind: 'http', group: '<b>g</b>' })], request: request(reportRequest({ period: 'daily', now: NOW })), now: NOW });
  };

  it('json: the Report itself, snake_case throughout', () => {
    const r = daily(fixture());
    const text = renderReport(r, 'json');
    expect(JSON.parse(text)).toEqual(r);
    const keys = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(keys) : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);
    expect(keys(JSON.parse(text)).filter((k) => !/^[a-z0-9]+(?:_[a-z0-9]+)*$/.test(k))).toEqual([]);
  });

  it('markdown: a summary, checks worst first, SLOs, incidents and the hourly breakdown', () => {
    const md = renderReport(daily(fixture()), 'markdown');
    expect(md).toContain('# healthmon daily report: 2026-01-07 12:00:00Z to 2026-01-08 12:30:00Z\n\nFrom 2026-01-07 12:00:00Z to 2026-01-08 12:30:00Z (UTC, 1d30m), generated 2026-01-08 12:30:00Z.\n');
    expect(md).toContain('| Uptime | 63.2653% |');
    expect(md).toContain('| Incidents | 7 (3 outages, 4 alerts) |');
    expect(md).toContain('| SLOs met | 0 of 1 |');
    expect(md).toMatch(/## Checks\n\n\| Check \| Kind \| Uptime .*\n\| --- \| --- \| ---: .*\n\| batch \| exec \| 0% \|/);
    expect(md).toMatch(/\| api \(critical\) \| http \| 97\.9592% \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| 2\.0408% \| 147 \| 2 \| 9m56s \| MISSED \(97\.9592% of 99%\) \|/);
    expect(md).toMatch(/\| api \| 7d \| 99% \| 97\.9592% \| -104\.08% \| p95 [\d.]+ ms ≤ 100 ms: MISSED \| 97\.9592% \| \*\*no\*\* \|/);
    expect(md).toContain('| 2026-01-07 18:20:05Z | 2026-01-07 18:30:01Z | 9m56s | api | outage | critical, timeout: no answer in 5s |');
    expect(md).toContain('| 2026-01-07 12:00:00Z (or earlier) | ongoing | 1d30m | batch | outage | unhealthy: exit 2 |');
    expect(md).toContain('## Hourly breakdown, all checks');
    expect(md).toContain('| 2026-01-07 18:00:00Z | 18 | 9 | 50% |');
  });

  it('markdown: hostile names and messages stay inside their cells and make no markup', () => {
    const md = renderReport(hostile(), 'markdown');
    const cells = (line: string) => line.split(/(?<!\\)\|/).length;
    for (const table of md.split('\n\n').filter((b) => b.startsWith('| '))) {
      const lines = table.split('\n').filter((l) => l !== '');
      for (const line of lines) expect(cells(line), line).toBe(cells(lines[0]!));
    }
    // Markup characters come only escaped.
    expect(md).not.toMatch(/(?<!\\)<(?:img|script)|\]\(javascript/);
    expect(md).toContain('a\\|b \\<img src=x onerror=alert\\(1\\)\\>\\*\\[x\\]\\(javascript:y\\)\\*');
    expect(md).toContain('status 500 \\| body: \\<script\\>alert\\(2\\)\\</script\\> \\& \\`rm -rf\\`');
  });

  it('html: one self-contained, accessible page with everything escaped', () => {
    const page = renderReport(hostile(), 'html');
    expect(page.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain('<title>healthmon daily report: 2026-01-07 12:00:00Z to 2026-01-08 12:30:00Z</title>');
    // No script, no external asset of any kind.
    expect(page).not.toMatch(/<script|<img|<link|<iframe|<[^>]*\s(?:src|href)=|url\(|@import/i);
    expect(page).toContain('a|b\n&#60;img src=x onerror=alert(1)&#62;*[x](javascript:y)*');
    expect(page).toContain('status 500 | body:\n&#60;script&#62;alert(2)&#60;/script&#62; &#38; `rm -rf`');
    expect(page).toContain('&#60;b&#62;g&#60;/b&#62;');
    expect(page).toContain('<th scope="col">Check</th>');
    expect(page).toMatch(/<th scope="row">api <small>\(critical\)<\/small><\/th>/);
    expect(page).toContain('<caption>Uptime (%) per check, hourly, starting at (UTC)</caption>');
    // Colour is never the only signal: the figure is in the cell.
    expect(page).toMatch(/<td class="num bad">0%<\/td>/);
    expect(page.match(/<table/g)?.length).toBe(page.match(/<\/table>/g)?.length);
  });

  it('says so when there is nothing to report', () => {
    const empty = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
    const r = buildReport({ history: empty, checks: [], request: request(reportRequest({ now: NOW })), now: NOW });
    const md = renderReport(r, 'markdown');
    expect(md).toContain('No checks are configured.');
    expect(md).toContain('## Incidents\n\nNone.');
    expect(md).toContain('None: every check was up for every run.');
    expect(renderReport(r, 'html')).toContain('<p>No checks are configured.</p>');
  });
});
