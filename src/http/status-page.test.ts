import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { Router } from '../alerting/router.js';
import type { Silence } from '../alerting/silences.js';
import { check } from '../../test/helpers/status-page-fixtures.js';
import { silentLogger } from '../core/logger.js';
import type { Assessment, Assessor } from '../state/assessment.js';
import { createMemoryHistory } from '../store/history-memory.js';
import type { HistoryStore } from '../store/history.js';
import { addTo, emptyAggregate } from '../store/latency-buckets.js';
import { historySpans, historyViews, MEAN_LATENCY, refreshSeconds, statusPage, type StatusPageDeps } from './status-page.js';

const NOW = Date.UTC(2026, 4, 20, 12, 30, 0);
const DAY = 86_400_000;
const HOUR = 3_600_000;

function assessorOf(checks: ReturnType<typeof check>[]): Assessor {
  return {
    assess: (now): Assessment => ({
      at: now,
      checks,
      overall: {
        score: 100, total: checks.length, healthy: checks.filter((c) => c.status === 'healthy').length, degraded: 0,
        unhealthy: checks.filter((c) => c.status === 'unhealthy').length, critical: 0, unknown: 0, healthPercentage: 100,
      },
    }),
  };
}

function fakeRouter(silences: Silence[]): Router {
  return {
    alerts: () => [
      { status: 'firing', labels: { alertname: 'CheckDown', check: 'api', severity: 'critical' }, annotations: { summary: 'api is down' }, startsAt: NOW - 60_000, generatorURL: '', fingerprint: 'a' },
      { status: 'firing', labels: { alertname: 'Muted' }, annotations: {}, startsAt: NOW - 30_000, generatorURL: '', fingerprint: 'b', mutedBy: 'silenced by s1' },
    ],
    silences: { list: () => silences },
  } as unknown as Router;
}

let server: Server | undefined;
afterEach(async () => {
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

async function serve(over: Partial<StatusPageDeps> = {}, history: HistoryStore = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } })) {
  const deps: StatusPageDeps = {
    logger: silentLogger(),
    now: () => NOW,
    assessor: () => assessorOf([check({ check: 'api' }), check({ check: 'db', group: 'data', status: 'unhealthy', last: { at: NOW - 1000, ok: false, durationMs: 2, reason: 'connection_refused' } })]),
    history: () => history,
    router: () => undefined,
    minIntervalMs: () => 30_000,
    ...over,
  };
  const app = express();
  app.use(statusPage(deps));
  server = createServer(app);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, history };
}

describe('refreshSeconds', () => {
  it.each([
    [undefined, 30_000, 30],
    [undefined, 1000, 10],
    [undefined, 3_600_000, 60],
    [undefined, undefined, 60],
    ['1', 30_000, 1],
    ['0', 30_000, 0],
    ['99999', 30_000, 3600],
    ['abc', 5000, 10],
    ['-5', 5000, 10],
    [['1', '2'], 5000, 10],
  ])('?refresh=%j with the quickest check every %s ms → %s s', (q, ms, s) => expect(refreshSeconds(q, ms)).toBe(s));
});

describe('historyViews', () => {
  it('reads closed days and hours apart from this hour, and sums today from the hours', () => {
    const spans = historySpans(NOW);
    expect(spans).toEqual({
      days: { since: Date.UTC(2026, 3, 21), until: Date.UTC(2026, 4, 20) },
      hours: { since: Date.UTC(2026, 4, 19, 13), until: Date.UTC(2026, 4, 20, 12) },
      live: { since: Date.UTC(2026, 4, 20, 12), until: Date.UTC(2026, 4, 20, 13) },
      today: Date.UTC(2026, 4, 20),
    });
    const agg = (...runs: [number, boolean][]) => {
      const a = emptyAggregate();
      for (const [ms, ok] of runs) addTo(a, ms, ok);
      return a;
    };
    const hours = new Array(23).fill(undefined).map(() => emptyAggregate());
    hours[10] = agg([100, false]); // yesterday 23:00: not today
    hours[11] = agg([10, true], [30, false]); // today 00:00
    const views = historyViews({ days: new Map([['a', [agg([5, true], [5, false])]]]), hours: new Map([['b', hours]]), live: new Map([['b', [agg([40, true])]]]) }, spans, MEAN_LATENCY.of);
    const a = views.get('a')!;
    expect(a.days).toHaveLength(30);
    expect(a.days[0]).toEqual({ start: spans.days.since, count: 2, failures: 1 });
    expect(a.days[29]).toEqual({ start: spans.today, count: 0, failures: 0 });
    expect(a.latencyMs).toEqual(new Array(24).fill(undefined));
    const b = views.get('b')!;
    expect(b.days[28]).toEqual({ start: Date.UTC(2026, 4, 19), count: 0, failures: 0 });
    expect(b.days[29]).toEqual({ start: spans.today, count: 3, failures: 1 });
    expect(b.latencyMs.slice(9, 13)).toEqual([undefined, 100, 20, undefined]);
    expect(b.latencyMs[23]).toBe(40);
  });
});

describe('history reads', () => {
  it('reads the closed days and hours as soon as it is mounted, so the first page only reads this hour', async () => {
    const calls: number[] = [];
    const memory = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
    const store = { ...memory, series: (span: { since: number; until: number }, step: number) => (calls.push(step), memory.series(span, step)) } as HistoryStore;
    const { base } = await serve({}, store);
    await new Promise((r) => setImmediate(r));
    expect(calls.sort()).toEqual([HOUR, DAY]);
    calls.length = 0;
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect(calls).toEqual([HOUR]); // this hour, live
  });

  it('re-reads closed periods when one closes, and late writes in the background', async () => {
    const calls: string[] = [];
    const memory = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
    const store = { ...memory, series: (span: { since: number; until: number }, step: number) => (calls.push(`${new Date(span.since).toISOString()} ${step}`), memory.series(span, step)) } as HistoryStore;
    const { createHistoryCache, CLOSED_PERIODS_REREAD_MS } = await import('./status-page.js');
    const cache = createHistoryCache(silentLogger());
    const spans = historySpans(NOW);
    cache.hours(store, spans.hours, NOW);
    cache.hours(store, spans.hours, NOW + 60_000);
    expect(calls).toHaveLength(1);
    // Late writes: the stale value is served now and read again after the response.
    cache.hours(store, spans.hours, NOW + CLOSED_PERIODS_REREAD_MS);
    expect(calls).toHaveLength(1);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(2);
    // The next hour closes: only it is read, the rest shifts along.
    memory.append({ check: 'x', at: spans.hours.since + 5 * HOUR, durationMs: 7, ok: true });
    memory.append({ check: 'x', at: spans.hours.until + 1000, durationMs: 9, ok: false });
    const before = cache.hours(store, spans.hours, NOW + CLOSED_PERIODS_REREAD_MS + 1);
    expect(before.get('x')).toBeUndefined();
    const next = historySpans(NOW + HOUR);
    const after = cache.hours(store, next.hours, NOW + HOUR);
    expect(calls).toHaveLength(3);
    expect(calls[2]).toBe(`${new Date(spans.hours.until).toISOString()} ${HOUR}`);
    const x = after.get('x')!;
    expect(x).toHaveLength(23);
    // The shifted part holds no 'x' (it was read before 'x' existed); the closed hour is new.
    expect(x.map((a) => a.count)).toEqual([...new Array(22).fill(0), 1]);
    expect(x[22]!.failures).toBe(1);
    // A jump of more than a whole span reads it all.
    const far = historySpans(NOW + 2 * DAY);
    expect(cache.hours(store, far.hours, NOW + 2 * DAY).get('x')).toBeUndefined();
    expect(calls).toHaveLength(4);
    expect(calls[3]).toBe(`${new Date(far.hours.since).toISOString()} ${HOUR}`);
  });
});

describe('GET /', () => {
  it('serves the page with a strict CSP, no caching and where the time went', async () => {
    const { base, history } = await serve();
    // Yesterday: 2 of 100 runs of db failed; this hour, api took 50 ms.
    for (let i = 0; i < 100; i++) history.append({ check: 'db', at: NOW - DAY - i * 60_000, durationMs: 5, ok: i >= 2 });
    history.append({ check: 'api', at: NOW - 60_000, durationMs: 50, ok: true });
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('server-timing')).toMatch(/^assess;dur=[\d.]+, history;dur=[\d.]+, alerts;dur=[\d.]+, render;dur=[\d.]+, total;dur=[\d.]+$/);
    const body = await res.text();
    expect(body).toContain('data-refresh="30"');
    expect(body).toContain('<h3>api</h3>');
    expect(body).toMatch(/Last run <time [^>]*>just now<\/time>: <strong>down<\/strong> — <code>connection_refused<\/code>/);
    expect(body).toContain('1 with failures (lowest 98% on 2026-05-19)');
    expect(body).toMatch(/Latency of api, last 24 hours \(hourly p95\): lowest 5\d(\.\d)? ms/);
    expect(body).toContain('Alerting is not running.');
  });

  it('takes ?refresh= and defaults to the quickest check, clamped', async () => {
    const { base } = await serve({ minIntervalMs: () => 2000 });
    expect(await (await fetch(`${base}/?refresh=1`)).text()).toContain('data-refresh="1"');
    expect(await (await fetch(`${base}/`)).text()).toContain('data-refresh="10"');
    expect(await (await fetch(`${base}/?refresh=0`)).text()).not.toContain('id="pause"');
  });

  it('gzips a large page for clients that accept it', async () => {
    const checks = Array.from({ length: 50 }, (_, i) => check({ check: `c${i}` }));
    const { base } = await serve({ assessor: () => assessorOf(checks) });
    const port = Number(new URL(base).port);
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get({ host: '127.0.0.1', port, path: '/', headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (p: Buffer) => parts.push(p));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
        }).on('error', reject),
      );
    });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(raw.body).toString('utf8')).toContain('<h3>c49</h3>');
  });

  it('shows firing alerts and the silences that are not over', async () => {
    const silence = (id: string, startsAt: number, endsAt: number): Silence => ({ id, matchers: [`alertname="${id}"`], startsAt, endsAt, createdBy: 'ops', comment: `c-${id}`, updatedAt: 0, fromConfig: false });
    const { base } = await serve({ router: () => fakeRouter([silence('s1', NOW - HOUR, NOW + HOUR), silence('later', NOW + HOUR, NOW + 2 * HOUR), silence('over', NOW - 2 * HOUR, NOW - HOUR)]) });
    const body = await (await fetch(`${base}/`)).text();
    expect(body).toContain('2 firing, 1 of them muted');
    expect(body).toContain('<th scope="row">CheckDown</th><td>critical</td><td><a href="#c-api">api</a></td>');
    expect(body).toContain('<td>silenced by s1</td>');
    expect(body).toContain('alertname=&quot;s1&quot;');
    expect(body).toContain('starts 2026-05-20 13:30:00 UTC');
    expect(body).not.toContain('c-over');
  });

  it('still serves the page when history cannot be read, and says so', async () => {
    const broken = { series: () => { throw new Error('disk on fire'); } } as unknown as HistoryStore;
    const { base } = await serve({}, broken);
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('History could not be read');
    expect(body).toContain('<h3>db</h3>');
  });

  it('says healthmon is starting before there is an assessor', async () => {
    const { base } = await serve({ assessor: () => undefined });
    const body = await (await fetch(`${base}/`)).text();
    expect(body).toContain('healthmon is starting');
    expect(body).toContain('No checks are configured');
  });

  it('answers HEAD without a body', async () => {
    const { base } = await serve();
    const res = await fetch(`${base}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});
