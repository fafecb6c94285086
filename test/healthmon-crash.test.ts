// Crash safety through the real program: healthmon runs 50 checks a second each (HTTP against a
// server of this test, some of them flapping, and TCP against a closed port, so status events are
// written too) and is killed with SIGKILL at seeded random moments, restarted on the same storage
// in between. After every kill the database passes PRAGMA integrity_check, every result the
// store had acknowledged (runs counted on /metrics minus healthmon_history_pending, scraped just
// before the kill) is there, and each check's newest result is at most one check interval plus
// one flush interval (and slack) older than the kill. At the end, after a last clean run, no check
// has a gap longer than an interval except across a kill, and the hourly and daily rollups equal
// the raw results — which needs the repair at open, as the rollups of the current hour wait in
// memory and die with the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEncodedBuckets } from '../src/store/bucket-codec.js';
import { DATABASE_FILE } from '../src/store/database.js';
import type { Aggregate } from '../src/store/history.js';
import { addTo, emptyAggregate } from '../src/store/latency-buckets.js';
import { periodStart } from '../src/store/periods.js';
import { parseExposition } from './helpers/parse-exposition.js';
import { seededRandom as random } from './helpers/seeded-random.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src/main.ts');
const INTERVAL_MS = 1000;
/** The store's default: rows are written every second. */
const FLUSH_INTERVAL_MS = 1000;
/** For a loaded machine: scheduling lag, a slow write, an event loop busy with a scrape. */
const SLACK_MS = 1000;
const HTTP_CHECKS = 30;
const FLAPPING_CHECKS = 10;
const CLOSED_CHECKS = 10;
const CHECKS = HTTP_CHECKS + FLAPPING_CHECKS + CLOSED_CHECKS;
const KILLS = 4;
const SEED = 20_240_611;


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function closedPort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

interface Running {
  child: ChildProcess;
  port: number;
  startedAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts healthmon and resolves once it listens (its log line says where). */
async function startHealthmon(config: string): Promise<Running> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', config, '--log-level', 'info'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  let pending = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`healthmon did not listen within 20 s:\n${stderr}`)), 20_000);
    void exited.then(({ code, signal }) => reject(new Error(`healthmon exited (${code ?? signal}) before listening:\n${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const m = /"address":"[^"]*:(\d+)".*"msg":"healthmon is listening"|"msg":"healthmon is listening".*"address":"[^"]*:(\d+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1] ?? m[2]));
        }
      }
    });
  });
  return { child, port, startedAt, exited };
}

interface Scrape {
  runs: Map<string, number>;
  pending: number;
}

async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  const samples = parseExposition(await res.text());
  const runs = new Map<string, number>();
  for (const s of samples) if (s.name === 'healthmon_checks_total') runs.set(s.labels.check!, (runs.get(s.labels.check!) ?? 0) + s.value);
  return { runs, pending: samples.find((s) => s.name === 'healthmon_history_pending')?.value ?? NaN };
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

interface Kill {
  at: number;
  where: string;
}

describe('healthmon killed with SIGKILL while it writes history', () => {
  let dir: string;
  let config: string;
  let server: Server;
  const running = new Set<ChildProcess>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'healthmon-crash-'));
    // Flapping targets fail in alternate 2-second windows: a status event every few seconds.
    server = createServer((req, res) => {
      res.statusCode = req.url === '/flap' && Math.floor(Date.now() / 2000) % 2 === 0 ? 500 : 200;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const closed = await closedPort();
    const checks = [
      ...Array.from({ length: HTTP_CHECKS }, (_, i) => ({ name: `web-${i}`, kind: 'http', http: { url: `http://127.0.0.1:${port}/` } })),
      ...Array.from({ length: FLAPPING_CHECKS }, (_, i) => ({ name: `flap-${i}`, kind: 'http', http: { url: `http://127.0.0.1:${port}/flap` } })),
      ...Array.from({ length: CLOSED_CHECKS }, (_, i) => ({ name: `closed-${i}`, kind: 'tcp', tcp: { host: '127.0.0.1', port: closed } })),
    ];
    config = join(dir, 'healthmon.json');
    writeFileSync(
      config,
      JSON.stringify({
        global: { interval: `${INTERVAL_MS}ms`, timeout: '500ms', failure_threshold: 1 },
        host: { enabled: false },
        server: { listen: '127.0.0.1:0' },
        storage: { path: join(dir, 'data') },
        checks,
      }),
    );
  });

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps the database sound and loses at most an interval per check, ${KILLS} kills in a row`, async () => {
    const rand = random(SEED);
    const file = join(dir, 'data', DATABASE_FILE);
    const kills: Kill[] = [];
    let lagging = 0;

    for (let k = 0; k < KILLS; k++) {
      const run = await startHealthmon(config);
      running.add(run.child);
      // Every check has run once, then a random moment within the next few flush intervals.
      for (let i = 0; i < 100 && sum((await scrape(run.port)).runs.values()) < CHECKS; i++) await sleep(100);
      const delayMs = Math.round(500 + rand() * 2500);
      await sleep(delayMs);
      const before = await scrape(run.port);
      const killedAt = Date.now();
      // By its PID: this process only.
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      running.delete(run.child);
      const where = `kill ${k + 1} (seed ${SEED}), ${delayMs} ms after every check had run`;
      kills.push({ at: killedAt, where });

      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        expect(db.pragma('integrity_check', { simple: true }), where).toBe('ok');
        const rows = db
          .prepare<[number, number], { name: string; n: number; newest: number }>(
            `SELECT c.name AS name, COUNT(*) AS n, MAX(r.at) AS newest FROM history_results r JOIN history_checks c ON c.id = r.check_id
             WHERE r.at >= ? AND r.at <= ? GROUP BY c.name`,
          )
          .all(run.startedAt, killedAt);
        const byCheck = new Map(rows.map((r) => [r.name, r]));
        // Acknowledged by the store before the kill: written.
        const acknowledged = sum(before.runs.values()) - before.pending;
        expect(sum(rows.map((r) => r.n)), `${where}: results written vs acknowledged at the last scrape`).toBeGreaterThanOrEqual(acknowledged);
        for (const [check, runs] of before.runs) {
          const got = byCheck.get(check);
          // What is lost is the last flush interval: the newest result left is at most that and one interval older than the kill.
          expect(killedAt - (got?.newest ?? run.startedAt), `${where}: ${check}'s newest result vs the kill`).toBeLessThanOrEqual(INTERVAL_MS + FLUSH_INTERVAL_MS + SLACK_MS);
          expect(runs - (got?.n ?? 0), `${where}: ${check}'s runs counted on /metrics but not in history`).toBeLessThanOrEqual(Math.ceil((FLUSH_INTERVAL_MS + SLACK_MS) / INTERVAL_MS) + 1);
        }
        // The current hour's rollups were held in memory when the process died.
        const hourly = db.prepare<[number], { n: number | null }>('SELECT SUM(count) AS n FROM history_hourly WHERE start >= ?').get(periodStart('hour', killedAt))!.n ?? 0;
        const raw = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM history_results WHERE at >= ?').get(periodStart('hour', killedAt))!.n;
        if (hourly < raw) lagging++;
      } finally {
        db.close();
      }
    }
    expect(lagging, 'kills that left the rollups behind the raw results (the repair at open is what makes them whole)').toBeGreaterThan(0);

    // A last run, stopped cleanly: it repairs what the last kill left, and writes its own rollups as it closes.
    const last = await startHealthmon(config);
    running.add(last.child);
    for (let i = 0; i < 100 && sum((await scrape(last.port)).runs.values()) < CHECKS; i++) await sleep(100);
    await sleep(1500);
    last.child.kill('SIGTERM');
    expect(await last.exited).toEqual({ code: 0, signal: null });
    running.delete(last.child);

    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT COUNT(*) AS n FROM history_rollup_lag').get()).toEqual({ n: 0 });
      const results = db
        .prepare<[], { name: string; at: number; duration_ms: number; ok: number }>(
          'SELECT c.name AS name, r.at AS at, r.duration_ms AS duration_ms, r.ok AS ok FROM history_results r JOIN history_checks c ON c.id = r.check_id ORDER BY c.name, r.at, r.seq',
        )
        .all();
      const names = new Set(results.map((r) => r.name));
      expect(names.size).toBe(CHECKS);

      // No gap longer than an interval, but across a kill.
      for (let i = 1; i < results.length; i++) {
        const [a, b] = [results[i - 1]!, results[i]!];
        if (a.name !== b.name || kills.some((k) => a.at < k.at && k.at < b.at)) continue;
        expect(b.at - a.at, `${b.name}: gap from ${new Date(a.at).toISOString()}`).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
      }

      // Rollups equal the raw results, whole hours and days.
      for (const [resolution, table] of [
        ['hour', 'history_hourly'],
        ['day', 'history_daily'],
      ] as const) {
        const expected = new Map<string, Aggregate>();
        for (const r of results) {
          const key = `${r.name} ${periodStart(resolution, r.at)}`;
          let a = expected.get(key);
          if (!a) expected.set(key, (a = emptyAggregate()));
          addTo(a, r.duration_ms, r.ok === 1);
        }
        const rows = db
          .prepare<[], { name: string; start: number; count: number; failures: number; sum: number; min: number; max: number; buckets: Uint8Array }>(
            `SELECT c.name AS name, t.start AS start, t.count AS count, t.failures AS failures, t.latency_sum_ms AS sum, t.latency_min_ms AS min, t.latency_max_ms AS max, t.buckets AS buckets
             FROM ${table} t JOIN history_checks c ON c.id = t.check_id`,
          )
          .all();
        expect(rows.length, `${resolution} rollups`).toBe(expected.size);
        for (const row of rows) {
          const want = expected.get(`${row.name} ${row.start}`);
          const { buckets } = emptyAggregate();
          addEncodedBuckets(buckets, row.buckets);
          const where = `${resolution} rollup of ${row.name} at ${new Date(row.start).toISOString()}`;
          expect({ count: row.count, failures: row.failures, min: row.min, max: row.max, buckets }, where).toEqual({
            count: want?.count,
            failures: want?.failures,
            min: want?.latencyMinMs,
            max: want?.latencyMaxMs,
            buckets: want?.buckets,
          });
          expect(row.sum, where).toBeCloseTo(want!.latencySumMs, 6);
        }
      }

      // Status changes were written as events too.
      const events = db.prepare<[], { check_name: string }>("SELECT check_name FROM history_events WHERE kind = 'status'").all();
      expect(events.some((e) => e.check_name.startsWith('closed-'))).toBe(true);
      expect(events.some((e) => e.check_name.startsWith('flap-'))).toBe(true);
    } finally {
      db.close();
    }
  }, 60_000);
});
