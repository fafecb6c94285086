// Crash safety of the SQLite history store: a child process appends without pause and is killed
// with SIGKILL at random moments, several times, run from src (tsx) and from a build compiled as
// `npm run build` compiles it. After every kill the file passes PRAGMA integrity_check, nothing
// the store acknowledged is lost, and what is lost is at most what was appended during one flush
// interval (and the write of the batch then in flight). The results are of the current hour, so
// their rollups were held in memory and died with the process: once the store is opened again,
// they agree with the raw rows.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../src/store/database.js';
import type { createSqliteHistory as Create } from '../src/store/history-sqlite.js';
import { periodStart } from '../src/store/periods.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/history-appender.ts');
const FLUSH_INTERVAL_MS = 250;
const ROWS_PER_TICK = 40;
const TICK_MS = 5;
/** setInterval never catches up on missed ticks, so this is the most one interval can append. */
const ROWS_PER_INTERVAL = ROWS_PER_TICK * (FLUSH_INTERVAL_MS / TICK_MS);
const KILLS = 4;

const cleanups: string[] = [];
afterAll(() => {
  for (const dir of cleanups) rmSync(dir, { recursive: true, force: true });
});

/** Compiles the store with tsconfig.build.json's options into a directory whose imports resolve (under node_modules). */
function buildStore(): string {
  const cache = join(ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const out = mkdtempSync(join(cache, 'healthmon-history-build-'));
  cleanups.push(out);
  const config = join(out, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: { outDir: join(out, 'dist'), rootDir: join(ROOT, 'src'), sourceMap: false },
      // The writer thread's entry is loaded by path, not imported: the build must hold it.
      files: [join(ROOT, 'src/store/history-sqlite.ts'), join(ROOT, 'src/store/history-writer.ts')],
      include: [],
    }),
  );
  const tsc = spawnSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', config], { encoding: 'utf8' });
  const built = join(out, 'dist/store/history-sqlite.js');
  if (!existsSync(built) || !existsSync(join(out, 'dist/store/history-writer.js'))) throw new Error(`tsc emitted no store:\n${tsc.stdout}${tsc.stderr}`);
  return built;
}

interface Run {
  from: number;
  appended: number;
  written: number;
}

/** Starts the appender, lets it write for `delayMs` after its first acknowledged batch, then kills it. */
async function killedRun(modulePath: string, dir: string, base: number, delayMs: number): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, modulePath, dir, String(FLUSH_INTERVAL_MS), String(ROWS_PER_TICK), String(TICK_MS), String(base)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const run: Run = { from: -1, appended: 0, written: 0 };
  let pending = '';
  let onLine = () => {};
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const from = /^from (\d+)$/.exec(line);
      if (from) run.from = Number(from[1]);
      else [run.appended, run.written] = line.split(' ').map(Number) as [number, number];
    }
    onLine();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the appender wrote nothing within 20 s')), 20_000);
      onLine = () => {
        if (run.from >= 0 && run.written > run.from) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    await new Promise((r) => setTimeout(r, delayMs));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return run;
}

describe.each([
  { mode: 'src, through tsx', module: () => join(ROOT, 'src/store/history-sqlite.ts') },
  { mode: 'compiled, as in dist', module: buildStore },
])('history store killed with SIGKILL while it writes ($mode)', ({ module }) => {
  let modulePath: string;
  beforeAll(() => {
    modulePath = module();
  }, 60_000);

  it(`passes integrity_check and loses at most one flush interval, ${KILLS} kills in a row`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-crash-'));
    cleanups.push(dir);
    const { createSqliteHistory } = (await import(pathToFileURL(modulePath).href)) as { createSqliteHistory: typeof Create };
    // Results of this hour (a few minutes' worth at most): their rollups wait in memory.
    const base = periodStart('hour', Date.now());
    let previousMax = 0;
    let lagging = 0;
    for (let k = 0; k < KILLS; k++) {
      const delayMs = Math.round(Math.random() * 2.5 * FLUSH_INTERVAL_MS);
      const run = await killedRun(modulePath, dir, base, delayMs);
      const where = `kill ${k + 1} after ${delayMs} ms: ${JSON.stringify(run)}`;
      expect(run.from, where).toBe(previousMax);

      const db = new Database(join(dir, DATABASE_FILE));
      try {
        expect(db.pragma('integrity_check', { simple: true }), where).toBe('ok');
        const raw = db.prepare<[number, number], { n: number; lo: number; hi: number }>('SELECT COUNT(*) AS n, MIN(at) - ? AS lo, MAX(at) - ? AS hi FROM history_results').get(base, base)!;
        // Rows 1…hi, each once: batches commit whole and in order.
        expect({ n: raw.n, lo: raw.lo }, where).toEqual({ n: raw.hi, lo: 1 });
        expect(raw.hi, `${where}: acknowledged rows lost`).toBeGreaterThanOrEqual(run.written);
        expect(run.appended - raw.hi, `${where}: lost ${run.appended - raw.hi} rows, one interval holds ${ROWS_PER_INTERVAL}`).toBeLessThanOrEqual(ROWS_PER_INTERVAL);
        const hourly = db.prepare<[], { n: number | null }>('SELECT SUM(count) AS n FROM history_hourly').get()!.n ?? 0;
        if (hourly < raw.hi) lagging++;
        previousMax = raw.hi;
      } finally {
        db.close();
      }

      // Opened again, as the next run would: the rollups the kill left behind are rebuilt.
      await createSqliteHistory({ dir, retention: { rawMs: 1e12, rollupMs: 1e12 }, logger: pino({ level: 'silent' }) }).close();
      const reopened = new Database(join(dir, DATABASE_FILE), { readonly: true });
      try {
        const hourly = reopened.prepare<[], { n: number }>('SELECT SUM(count) AS n FROM history_hourly').get()!.n;
        const daily = reopened.prepare<[], { n: number }>('SELECT SUM(count) AS n FROM history_daily').get()!.n;
        const failures = reopened.prepare<[], { n: number }>('SELECT SUM(failures) AS n FROM history_hourly').get()!.n;
        const rawFailures = reopened.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM history_results WHERE ok = 0').get()!.n;
        expect({ hourly, daily, failures }, `${where}, reopened`).toEqual({ hourly: previousMax, daily: previousMax, failures: rawFailures });
      } finally {
        reopened.close();
      }
    }
    // (Unless the hour ended meanwhile: results of a past hour are rolled up as they are written.)
    if (periodStart('hour', Date.now()) === base) expect(lagging, 'kills that left the rollups behind the raw rows').toBeGreaterThan(0);
  }, 90_000);
});
