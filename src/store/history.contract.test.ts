// One contract suite for every history store: the in-memory one and the SQLite one run the same
// cases. Times are explicit epoch ms (UTC); nothing waits beyond a store's own flush.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Aggregate, HistoryEvent, HistoryResult, HistoryStore, Retention, Span } from './history.js';
import { createMemoryHistory } from './history-memory.js';
import { createSqliteHistory } from './history-sqlite.js';
import { addTo, emptyAggregate, quantileOf } from './latency-buckets.js';
import { seededRandom as random } from '../../test/helpers/seeded-random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2024-03-10T00:00:00Z: a UTC midnight. */
const T0 = Date.UTC(2024, 2, 10);
const RETENTION: Retention = { rawMs: 7 * DAY, rollupMs: 400 * DAY };

interface Implementation {
  name: string;
  create(retention: Retention): HistoryStore;
}

const dirs: string[] = [];
const stores: HistoryStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const implementations: Implementation[] = [
  { name: 'memory', create: (retention) => createMemoryHistory({ retention }) },
  {
    name: 'sqlite',
    create(retention) {
      const dir = mkdtempSync(join(tmpdir(), 'healthmon-history-'));
      dirs.push(dir);
      return createSqliteHistory({ dir, retention, logger: pino({ level: 'silent' }), flushIntervalMs: 20 });
    },
  },
];


/** Log-normal latencies around `medianMs`, as real response times spread. */
function latency(rand: () => number, medianMs: number): number {
  const normal = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Math.round(medianMs * Math.exp(0.6 * normal) * 1000) / 1000;
}

function bruteForce(results: readonly HistoryResult[], span: Span): Aggregate {
  const a = emptyAggregate();
  for (const r of results) if (r.at >= span.since && r.at < span.until) addTo(a, r.durationMs, r.ok);
  return a;
}

function exactQuantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (pos - lo);
}

function expectAggregate(actual: Aggregate | undefined, expected: Aggregate, where: string): void {
  expect(actual, where).toBeDefined();
  const { latencySumMs, ...rest } = actual!;
  const { latencySumMs: expectedSum, ...expectedRest } = expected;
  expect(rest, where).toEqual(expectedRest);
  expect(latencySumMs, where).toBeCloseTo(expectedSum, 6);
}

const result = (check: string, at: number, durationMs: number, ok = true, extra: Partial<HistoryResult> = {}): HistoryResult => ({ check, at, durationMs, ok, ...extra });

describe.each(implementations)('history store contract: $name', ({ create }) => {
  const open = (retention = RETENTION) => {
    const store = create(retention);
    stores.push(store);
    return store;
  };

  it('returns one check’s results oldest first, in a half-open span, the newest ones under a limit', async () => {
    const store = open();
    store.append(result('a', T0 + 3000, 30, false, { status: 'unhealthy', reason: 'timeout', message: 'no answer in 5s' }));
    store.append(result('a', T0 + 1000, 10, true, { status: 'healthy' }));
    store.append(result('b', T0 + 1500, 15));
    store.append(result('a', T0 + 2000, 20));
    store.append(result('a', T0 + 2000, 21));
    store.append(result('a', T0 + 4000, 40));
    await store.flush();
    const span = { since: T0 + 1000, until: T0 + 4000 };
    expect(store.results('a', span)).toEqual([
      result('a', T0 + 1000, 10, true, { status: 'healthy' }),
      result('a', T0 + 2000, 20),
      result('a', T0 + 2000, 21),
      result('a', T0 + 3000, 30, false, { status: 'unhealthy', reason: 'timeout', message: 'no answer in 5s' }),
    ]);
    expect(store.results('a', span, 2).map((r) => r.durationMs)).toEqual([21, 30]);
    expect(store.results('a', span, 0)).toEqual([]);
    expect(store.results('b', span)).toEqual([result('b', T0 + 1500, 15)]);
    expect(store.results('nope', span)).toEqual([]);
    expect(store.health()).toMatchObject({ pending: 0, dropped: 0, writeErrors: 0 });
  });

  it('rolls results up by UTC hour and day, across the boundaries', async () => {
    const store = open();
    const midnight = T0 + DAY;
    store.append(result('a', midnight - 1, 100));
    store.append(result('a', midnight, 10, false));
    store.append(result('a', midnight + HOUR - 1, 30));
    store.append(result('a', midnight + HOUR, 20));
    store.append(result('b', midnight - HOUR, 5));
    await store.flush();
    const hours = store.rollups('hour', { since: T0, until: T0 + 2 * DAY });
    expect(hours.map((r) => [r.check, r.start - T0, r.count, r.failures, r.latencySumMs, r.latencyMinMs, r.latencyMaxMs])).toEqual([
      ['a', DAY - HOUR, 1, 0, 100, 100, 100],
      ['a', DAY, 2, 1, 40, 10, 30],
      ['a', DAY + HOUR, 1, 0, 20, 20, 20],
      ['b', DAY - HOUR, 1, 0, 5, 5, 5],
    ]);
    expect(hours.every((r) => r.resolution === 'hour' && r.buckets.reduce((x, y) => x + y) === r.count)).toBe(true);
    const days = store.rollups('day', { since: T0, until: T0 + 2 * DAY }, 'a');
    expect(days.map((r) => [r.check, r.resolution, r.start - T0, r.count, r.failures, r.latencyMinMs, r.latencyMaxMs])).toEqual([
      ['a', 'day', 0, 1, 0, 100, 100],
      ['a', 'day', DAY, 3, 1, 10, 30],
    ]);
    // The span selects rollups by their start.
    expect(store.rollups('hour', { since: midnight, until: midnight + HOUR }, 'a').map((r) => r.start)).toEqual([midnight]);
    // Appending more later merges into the same rollups.
    store.append(result('a', midnight + 5, 1, false));
    await store.flush();
    const [merged] = store.rollups('hour', { since: midnight, until: midnight + 1 }, 'a');
    expect([merged?.count, merged?.failures, merged?.latencyMinMs, merged?.latencySumMs]).toEqual([3, 2, 1, 41]);
  });

  it('aggregates any span exactly as the raw results would (seeded, arbitrary spans)', async () => {
    const store = open();
    const rand = random(20240310);
    const checks = ['alpha', 'beta', 'gamma'];
    const all: HistoryResult[] = [];
    for (let i = 0; i < 3000; i++) {
      const r = result(checks[i % 3]!, T0 - DAY + Math.floor(rand() * 4 * DAY), latency(rand, 80), rand() > 0.1);
      all.push(r);
      store.append(r);
    }
    await store.flush();
    const spans: Span[] = [{ since: T0 - 2 * DAY, until: T0 + 4 * DAY }, { since: T0, until: T0 + DAY }, { since: T0 + HOUR, until: T0 + 2 * HOUR }];
    for (let i = 0; i < 40; i++) {
      const a = T0 - DAY + Math.floor(rand() * 4 * DAY);
      const b = T0 - DAY + Math.floor(rand() * 4 * DAY);
      spans.push({ since: Math.min(a, b), until: Math.max(a, b) });
    }
    for (const span of spans) {
      const subset = rand() < 0.5 ? undefined : checks.filter(() => rand() < 0.6);
      const got = store.aggregate(span, subset);
      const expectedChecks = subset ?? checks.filter((c) => bruteForce(all.filter((r) => r.check === c), span).count > 0);
      expect([...got.keys()], JSON.stringify(span)).toEqual(expectedChecks);
      for (const c of expectedChecks) expectAggregate(got.get(c), bruteForce(all.filter((r) => r.check === c), span), `${c} ${JSON.stringify(span)}`);
    }
  });

  it('gives one aggregate per step: daily bars, and steps not aligned to hours with a short last one', async () => {
    const store = open();
    const rand = random(7);
    const all: HistoryResult[] = [];
    for (let i = 0; i < 2000; i++) {
      const r = result(rand() < 0.5 ? 'a' : 'b', T0 + Math.floor(rand() * 5 * DAY), latency(rand, 200), rand() > 0.2);
      all.push(r);
      store.append(r);
    }
    await store.flush();
    for (const [span, stepMs] of [
      [{ since: T0, until: T0 + 5 * DAY }, DAY],
      [{ since: T0 + 17 * 60_000, until: T0 + 3 * DAY + 11 }, 5 * HOUR + 17 * 60_000],
      [{ since: T0 + 2 * DAY + 123, until: T0 + 2 * DAY + HOUR }, 60_000],
    ] as const) {
      const got = store.series(span, stepMs, ['a', 'b', 'none']);
      expect([...got.keys()]).toEqual(['a', 'b', 'none']);
      const steps = Math.ceil((span.until - span.since) / stepMs);
      for (const [check, list] of got) {
        expect(list).toHaveLength(steps);
        list.forEach((agg, i) => {
          const step = { since: span.since + i * stepMs, until: Math.min(span.since + (i + 1) * stepMs, span.until) };
          expectAggregate(agg, bruteForce(all.filter((r) => r.check === check), step), `${check} step ${i}`);
        });
      }
    }
    expect([...store.series({ since: T0, until: T0 + DAY }, HOUR).keys()]).toEqual(['a', 'b']);
    expect(() => store.series({ since: T0, until: T0 + DAY }, 0)).toThrow(RangeError);
  });

  it('aggregates to empty for requested checks with nothing recorded, and leaves unrequested ones out', async () => {
    const store = open();
    store.append(result('a', T0, 10));
    await store.flush();
    const got = store.aggregate({ since: T0, until: T0 + 1 }, ['z']);
    expect([...got]).toEqual([['z', emptyAggregate()]]);
    expect([...store.aggregate({ since: T0 + 1, until: T0 + 2 })]).toEqual([]);
    expect([...store.aggregate({ since: T0, until: T0 })]).toEqual([]);
  });

  it('gives events newest first, filtered by check, kind, span and limit', async () => {
    const store = open();
    const events: HistoryEvent[] = [
      { check: 'a', at: T0 + 1, kind: 'status', state: 'unhealthy', message: 'timeout', data: { previous: 'healthy' } },
      { check: 'a', at: T0 + 2, kind: 'remediation', state: 'succeeded', data: { exitCode: 0 } },
      { check: '', at: T0 + 3, kind: 'alert', state: 'firing', data: { labels: { alertname: 'Down', severity: 'critical' } } },
      { check: 'b', at: T0 + 3, kind: 'status', state: 'healthy' },
      { check: 'a', at: T0 + 5, kind: 'status', state: 'healthy', data: { previous: 'unhealthy' } },
    ];
    for (const e of events) store.appendEvent(e);
    await store.flush();
    const all = { since: T0, until: T0 + 10 };
    expect(store.events(all)).toEqual([events[4], events[3], events[2], events[1], events[0]]);
    expect(store.events(all, { check: 'a' })).toEqual([events[4], events[1], events[0]]);
    expect(store.events(all, { kind: 'status' })).toEqual([events[4], events[3], events[0]]);
    expect(store.events(all, { check: 'a', kind: 'status', limit: 1 })).toEqual([events[4]]);
    expect(store.events(all, { check: '' })).toEqual([events[2]]);
    expect(store.events({ since: T0 + 2, until: T0 + 5 })).toEqual([events[3], events[2], events[1]]);
    expect(store.events(all, { limit: 0 })).toEqual([]);
  });

  it('prunes raw results after retention.raw and rollups and events after retention.rollup', async () => {
    const store = open({ rawMs: 2 * DAY, rollupMs: 10 * DAY });
    for (let d = 0; d < 12; d++) {
      store.append(result('a', T0 + d * DAY + 30 * 60_000, 10 + d));
      store.append(result('a', T0 + d * DAY + 90 * 60_000, 20 + d, false));
      store.appendEvent({ check: 'a', at: T0 + d * DAY, kind: 'status', state: d % 2 ? 'healthy' : 'unhealthy' });
    }
    await store.flush();
    const now = T0 + 12 * DAY;
    const everything = { since: T0 - DAY, until: now };
    const before = store.aggregate(everything).get('a')!;
    expect(before.count).toBe(24);

    // Raw: days 0–9 go (20 results); rollups wholly before now − 10 d: days 0 and 1 (4 hourly + 2 daily); events of days 0 and 1.
    expect(await store.prune(now)).toBe(20 + 6 + 2);
    expect(store.results('a', everything).map((r) => r.at)).toEqual([10, 11].flatMap((d) => [30, 90].map((m) => T0 + d * DAY + m * 60_000)));
    expect(store.rollups('day', everything).map((r) => (r.start - T0) / DAY)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(store.rollups('hour', everything)).toHaveLength(20);
    expect(store.events(everything).map((e) => (e.at - T0) / DAY)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    // What is left of days 2–9 still counts, from the rollups.
    const after = store.aggregate({ since: T0 + 2 * DAY, until: now }).get('a')!;
    expectAggregate(after, { ...before, count: 20, failures: 10, latencySumMs: before.latencySumMs - (10 + 20 + 11 + 21), latencyMinMs: 12, buckets: after.buckets }, 'after prune');
    expect(after.buckets.reduce((x, y) => x + y)).toBe(20);
    expect(await store.prune(now)).toBe(0);
  });

  it('reads percentiles from merged rollups within a few percent of the exact ones', async () => {
    const store = open();
    const rand = random(99);
    const durations: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const d = latency(rand, 120);
      durations.push(d);
      store.append(result('a', T0 + Math.floor(rand() * 3 * DAY), d));
    }
    await store.flush();
    durations.sort((x, y) => x - y);
    const agg = store.aggregate({ since: T0, until: T0 + 3 * DAY }).get('a')!;
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = exactQuantile(durations, q);
      expect(Math.abs(quantileOf(agg, q) - exact) / exact, `q${q}: ${quantileOf(agg, q)} vs ${exact}`).toBeLessThan(0.02);
    }
    expect(quantileOf(agg, 0)).toBe(durations[0]);
    expect(quantileOf(agg, 1)).toBe(durations.at(-1));
  });
});
