// What only the SQLite history store has: a disk that is locked or full, a file that is reopened.
// The contract itself is in history.contract.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { migrate, openDatabase, type Db } from './database.js';
import type { HistoryResult, HistoryStore, Retention } from './history.js';
import { HISTORY_MIGRATIONS } from './history-schema.js';
import { createSqliteHistory, type SqliteHistoryOptions } from './history-sqlite.js';

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
    expect(db.prepare("SELECT id FROM migrations WHERE id LIKE 'history:%'").all()).toEqual([{ id: 'history:1' }]);
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
});
