// What only the SQLite history store has: a disk that is locked or full, a file that is reopened.
// The contract itself is in history.contract.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { migrate, openDatabase, type Db } from './database.js';
import type { Aggregate, HistoryResult, HistoryStore, Retention } from './history.js';
import { HISTORY_MIGRATIONS } from './history-schema.js';
import { createSqliteHistory, type SqliteHistoryOptions } from './history-sqlite.js';
import { addTo, emptyAggregate } from './latency-buckets.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 10);
const RETENTION: Retention = { rawMs: 7 * DAY, rollupMs: 400 * DAY };
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-history-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function connect(dir: string): Db {
  const db = openDatabase(dir);
  cleanups.push(() => db.close());
  return db;
}

function open(dir: string, options: Partial<SqliteHistoryOptions> = {}): HistoryStore {
  const store = createSqliteHistory({ dir, retention: RETENTION, logger: pino({ level: 'silent' }), flushIntervalMs: 20, retry: { initialMs: 10, maxMs: 50 }, ...options });
  cleanups.push(() => store.close());
  return store;
}

const result = (i: number): HistoryResult => ({ check: `check-${i % 5}`, at: T0 + i * 1000, durationMs: 10 + (i % 90), ok: i % 11 !== 0, message: 'x'.repeat(200) });

/** Counts event-loop turns of a 5 ms interval until stopped: the main thread was free if it kept counting. */
function ticker() {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  return {
    ticks: () => ticks,
    stop: () => clearInterval(timer),
  };
}

describe('SQLite history store', () => {
  it('keeps probing time free while another connection holds the database locked, and writes once it is released', async () => {
    const dir = tempDir();
    const store = open(dir);
    const other = connect(dir);
    other.exec('BEGIN EXCLUSIVE');
    const tick = ticker();
    for (let i = 0; i < 500; i++) store.append(result(i));
    // Longer than a few flush intervals, shorter than the writer's busy timeout.
    await new Promise((r) => setTimeout(r, 600));
    tick.stop();
    expect(store.health().pending).toBe(500);
    expect(store.results('check-0', ALL)).toEqual([]);
    // The main thread kept turning: a loop blocked by the lock would not tick at all in 600 ms (at
    // most ~120 ticks; on a busy machine fewer).
    expect(tick.ticks()).toBeGreaterThan(10);
    other.exec('COMMIT');
    await store.flush();
    expect(store.health()).toMatchObject({ pending: 0, dropped: 0 });
    expect(store.results('check-0', ALL)).toHaveLength(100);
    expect(store.aggregate(ALL).get('check-1')?.count).toBe(100);
  });

  it('counts write errors on a full disk without failing, and writes every row once space returns', async () => {
    const dir = tempDir();
    const other = connect(dir);
    migrate(other, HISTORY_MIGRATIONS);
    // Fill the file, then let the writer grow it no further: the disk is full.
    other.exec('CREATE TABLE filler (b BLOB)');
    const fill = other.prepare('INSERT INTO filler VALUES (zeroblob(4000))');
    for (let i = 0; i < 300; i++) fill.run();
    other.pragma('wal_checkpoint(TRUNCATE)');
    const pages = other.pragma('page_count', { simple: true }) as number;
    const store = open(dir, { maxPageCount: pages });
    for (let i = 0; i < 2000; i++) store.append(result(i));
    await store.flush();
    const full = store.health();
    expect(full.writeErrors).toBeGreaterThanOrEqual(1);
    expect(full.lastError).toMatch(/full/);
    expect(full.pending).toBe(2000);
    expect(store.results('check-0', ALL)).toEqual([]);

    // Space returns: the freed pages are reused, and the retries get through by themselves.
    other.exec('DELETE FROM filler');
    await vi.waitFor(() => expect(store.health().pending).toBe(0), { timeout: 5000, interval: 20 });
    expect(store.health().dropped).toBe(0);
    expect(other.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT at) AS distinct_at FROM history_results').get()).toEqual({ n: 2000, distinct_at: 2000 });
    expect(store.aggregate(ALL).get('check-0')?.count).toBe(400);
  });

  it('keeps its data and applies its migrations once across reopening', async () => {
    const dir = tempDir();
    const first = open(dir);
    for (let i = 0; i < 50; i++) first.append(result(i));
    first.appendEvent({ check: 'check-0', at: T0, kind: 'status', state: 'unhealthy', data: { previous: 'healthy' } });
    await first.close();

    const second = open(dir);
    expect(second.results('check-0', ALL)).toHaveLength(10);
    expect(second.events(ALL)).toEqual([{ check: 'check-0', at: T0, kind: 'status', state: 'unhealthy', data: { previous: 'healthy' } }]);
    second.append(result(50));
    await second.flush();
    expect(second.aggregate(ALL).get('check-0')?.count).toBe(11);
    const db = connect(dir);
    migrate(db, HISTORY_MIGRATIONS);
    expect(db.prepare("SELECT id FROM migrations WHERE id LIKE 'history:%'").all()).toEqual([{ id: 'history:1' }, { id: 'history:2' }]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('reads through a connection it is given, and leaves it open on close', async () => {
    const db = connect(tempDir());
    const store = createSqliteHistory({ db, retention: RETENTION, logger: pino({ level: 'silent' }), flushIntervalMs: 20 });
    store.append(result(0));
    await store.close();
    expect(db.prepare('SELECT COUNT(*) AS n FROM history_results').get()).toEqual({ n: 1 });
  });

  it('refuses an in-memory database, which its writer thread could not share', () => {
    const db = openDatabase(':memory:');
    cleanups.push(() => db.close());
    expect(() => createSqliteHistory({ db, retention: RETENTION, logger: pino({ level: 'silent' }) })).toThrow(/needs a database file/);
  });

  it('prunes in small steps while writes go on', async () => {
    const dir = tempDir();
    const store = open(dir, { batchSize: 5000 });
    for (let i = 0; i < 12_000; i++) store.append({ check: 'a', at: T0 + i, durationMs: 1, ok: true });
    await store.flush();
    const pruning = store.prune(T0 + RETENTION.rawMs + 10_000);
    store.append({ check: 'a', at: T0 + RETENTION.rawMs + 20_000, durationMs: 1, ok: true });
    await store.flush();
    expect(await pruning).toBe(10_000);
    expect(store.results('a', ALL)).toHaveLength(2001);
    expect(store.aggregate({ since: T0, until: T0 + DAY }).get('a')?.count).toBe(12_000);
  });

  it('holds the current hour’s rollups in memory, reads them all the same, and writes them every rollupEveryMs, when the hour ends and on flush', async () => {
    const hour = T0 + 5 * HOUR;
    const clock = createFakeClock(hour + 10 * 60_000);
    const dir = tempDir();
    const store = open(dir, { clock, flushIntervalMs: 1000, rollupEveryMs: 30_000 });
    const other = connect(dir);
    const onDisk = () => ({
      raw: other.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM history_results').get()!.n,
      hourly: other.prepare<[], { start: number; n: number }>('SELECT start - ' + hour + ' AS start, SUM(count) AS n FROM history_hourly GROUP BY start ORDER BY start').all(),
      lag: other.prepare<[], { hour: number }>('SELECT hour - ' + hour + ' AS hour FROM history_rollup_lag').get()?.hour,
    });
    const read = () => store.rollups('hour', ALL).map((r) => [r.check, r.start - hour, r.count, r.failures]);
    const appendNow = (check: string, ok = true) => store.append({ check, at: clock.now(), durationMs: 5, ok });
    const written = async () => {
      await clock.advance(1000);
      await vi.waitFor(() => expect(store.health().pending).toBe(0), { timeout: 5000, interval: 5 });
    };

    appendNow('a');
    appendNow('b', false);
    await written();
    // On disk: the raw results and the hour that lags; the reads count them all the same.
    expect(onDisk()).toEqual({ raw: 2, hourly: [], lag: 0 });
    expect(read()).toEqual([
      ['a', 0, 1, 0],
      ['b', 0, 1, 1],
    ]);
    expect(store.aggregate({ since: hour, until: hour + HOUR }).get('b')).toMatchObject({ count: 1, failures: 1 });
    expect(store.series({ since: hour - DAY + HOUR, until: hour + HOUR }, DAY).get('a')?.[0]?.count).toBe(1);

    // rollupEveryMs later, by the store's own timer.
    await clock.advance(30_000);
    await vi.waitFor(() => expect(onDisk()).toEqual({ raw: 2, hourly: [{ start: 0, n: 2 }], lag: undefined }), { timeout: 5000, interval: 5 });
    expect(read()).toEqual([
      ['a', 0, 1, 0],
      ['b', 0, 1, 1],
    ]);

    // The hour's end: the first batch after it writes what was held.
    await clock.advance(hour + HOUR - 10_000 - clock.now());
    appendNow('a');
    await written();
    expect(onDisk()).toMatchObject({ hourly: [{ start: 0, n: 2 }], lag: 0 });
    await clock.advance(9000);
    appendNow('b');
    await written();
    expect(onDisk()).toEqual({ raw: 4, hourly: [{ start: 0, n: 3 }, { start: HOUR, n: 1 }], lag: undefined });

    // flush() writes them too.
    appendNow('a');
    await written();
    expect(onDisk()).toMatchObject({ hourly: [{ start: 0, n: 3 }, { start: HOUR, n: 1 }], lag: HOUR });
    await store.flush();
    expect(onDisk()).toEqual({ raw: 5, hourly: [{ start: 0, n: 3 }, { start: HOUR, n: 2 }], lag: undefined });
    expect(read()).toEqual([
      ['a', 0, 2, 0],
      ['a', HOUR, 1, 0],
      ['b', 0, 1, 1],
      ['b', HOUR, 1, 0],
    ]);
  });

  it('rebuilds at open the rollups of the hour a crash left lagging, from its raw results', async () => {
    const dir = tempDir();
    const hour = T0 + 5 * HOUR;
    const results: HistoryResult[] = [
      ...[0, 1, 2].map((i) => ({ check: 'a', at: hour - HOUR + i * 1000, durationMs: 10 + i, ok: true })),
      { check: 'a', at: hour + 1000, durationMs: 50, ok: false },
      { check: 'c', at: hour + 1000, durationMs: 70, ok: true },
    ];
    const first = open(dir);
    for (const r of results) first.append(r);
    await first.close();

    // What a crash leaves: raw results of the lagging hour whose rollups were held, and lost.
    const db = connect(dir);
    const idOf = (name: string) => db.prepare<[string], { id: number }>('SELECT id FROM history_checks WHERE name = ?').get(name)?.id ?? Number(db.prepare('INSERT INTO history_checks (name) VALUES (?)').run(name).lastInsertRowid);
    const lost: HistoryResult[] = [
      { check: 'a', at: hour + 2000, durationMs: 3, ok: true },
      { check: 'a', at: hour + 3000, durationMs: 200, ok: false },
      { check: 'b', at: hour + 4000, durationMs: 7, ok: true },
    ];
    for (const r of lost) db.prepare('INSERT INTO history_results (check_id, at, seq, duration_ms, ok) VALUES (?, ?, 0, ?, ?)').run(idOf(r.check), r.at, r.durationMs, r.ok ? 1 : 0);
    // And one check whose raw results of the hour were pruned: its rollup is all there is.
    db.prepare('DELETE FROM history_results WHERE check_id = ?').run(idOf('c'));
    db.prepare('INSERT INTO history_rollup_lag (id, hour) VALUES (1, ?)').run(hour);

    const second = open(dir);
    const expected = (check: string, since: number, until: number): Aggregate => {
      const a = emptyAggregate();
      for (const r of [...results, ...lost]) if (r.check === check && r.at >= since && r.at < until) addTo(a, r.durationMs, r.ok);
      return a;
    };
    const strip = (r: { check: string; resolution: string; start: number } & Aggregate) => [r.check, r.start, { count: r.count, failures: r.failures, latencySumMs: r.latencySumMs, latencyMinMs: r.latencyMinMs, latencyMaxMs: r.latencyMaxMs, buckets: r.buckets }];
    expect(second.rollups('hour', { since: hour, until: hour + HOUR }).map(strip)).toEqual(['a', 'b', 'c'].map((c) => [c, hour, expected(c, hour, hour + HOUR)]));
    const day = hour - 5 * HOUR;
    expect(second.rollups('day', { since: day, until: day + DAY }).map(strip)).toEqual(['a', 'b', 'c'].map((c) => [c, day, expected(c, day, day + DAY)]));
    expect(db.prepare('SELECT COUNT(*) AS n FROM history_rollup_lag').get()).toEqual({ n: 0 });
  });

  it('reads held rollups exactly as the raw results, over any span (seeded)', async () => {
    const hour = T0 + 5 * HOUR;
    const clock = createFakeClock(hour + 30 * 60_000);
    const store = open(tempDir(), { clock, flushIntervalMs: 1000 });
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const all: HistoryResult[] = [];
    for (let i = 0; i < 400; i++) {
      const r = { check: `c${i % 3}`, at: hour - 2 * HOUR + Math.floor(rand() * 2.5 * HOUR), durationMs: Math.round(rand() * 5000) / 10, ok: rand() > 0.2 };
      all.push(r);
      store.append(r);
    }
    await clock.advance(1000);
    await vi.waitFor(() => expect(store.health().pending).toBe(0), { timeout: 5000, interval: 5 });
    const spans = [{ since: hour - DAY, until: hour + DAY }, { since: hour, until: hour + HOUR }, { since: hour - HOUR, until: hour + HOUR }];
    for (let i = 0; i < 20; i++) {
      const a = hour - 2 * HOUR + Math.floor(rand() * 3 * HOUR);
      const b = hour - 2 * HOUR + Math.floor(rand() * 3 * HOUR);
      spans.push({ since: Math.min(a, b), until: Math.max(a, b) });
    }
    for (const span of spans) {
      const got = store.aggregate(span);
      for (const check of ['c0', 'c1', 'c2']) {
        const want = emptyAggregate();
        for (const r of all) if (r.check === check && r.at >= span.since && r.at < span.until) addTo(want, r.durationMs, r.ok);
        const { latencySumMs, ...rest } = got.get(check) ?? emptyAggregate();
        const { latencySumMs: wantSum, ...wantRest } = want;
        expect(rest, `${check} ${JSON.stringify(span)}`).toEqual(wantRest);
        expect(latencySumMs).toBeCloseTo(wantSum, 6);
      }
    }
  });
});
