// Crash safety of the SQLite history store: a child process appends without pause and is killed
// with SIGKILL at random moments, several times, run from src (tsx) and from a build compiled as
// `npm run build` compiles it. After every kill the file passes PRAGMA integrity_check, nothing
// the store acknowledged is lost, rollups agree with the raw rows, and what is lost is at most
// what was appended during one flush interval (and the write of the batch then in flight).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../src/store/database.js';

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
async function killedRun(modulePath: string, dir: string, delayMs: number): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, modulePath, dir, String(FLUSH_INTERVAL_MS), String(ROWS_PER_TICK), String(TICK_MS)], {
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
    let previousMax = 0;
    for (let k = 0; k < KILLS; k++) {
      const delayMs = Math.round(Math.random() * 2.5 * FLUSH_INTERVAL_MS);
      const run = await killedRun(modulePath, dir, delayMs);
      const where = `kill ${k + 1} after ${delayMs} ms: ${JSON.stringify(run)}`;
      expect(run.from, where).toBe(previousMax);

      const db = new Database(join(dir, DATABASE_FILE));
      try {
        expect(db.pragma('integrity_check', { simple: true }), where).toBe('ok');
        const raw = db.prepare<[], { n: number; lo: number; hi: number }>('SELECT COUNT(*) AS n, MIN(at) AS lo, MAX(at) AS hi FROM history_results').get()!;
        const hourly = db.prepare<[], { n: number }>('SELECT SUM(count) AS n FROM history_hourly').get()!.n;
        const daily = db.prepare<[], { n: number }>('SELECT SUM(count) AS n FROM history_daily').get()!.n;
        // Rows 1…hi, each once: batches commit whole and in order, rollups with their rows.
        expect({ n: raw.n, lo: raw.lo, hourly, daily }, where).toEqual({ n: raw.hi, lo: 1, hourly: raw.hi, daily: raw.hi });
        expect(raw.hi, `${where}: acknowledged rows lost`).toBeGreaterThanOrEqual(run.written);
        expect(run.appended - raw.hi, `${where}: lost ${run.appended - raw.hi} rows, one interval holds ${ROWS_PER_INTERVAL}`).toBeLessThanOrEqual(ROWS_PER_INTERVAL);
        previousMax = raw.hi;
      } finally {
        db.close();
      }
    }
  }, 90_000);
});
