// History store benchmark (issue #5): the SQLite store filled with 30 days × 1,000 checks, then
// timed: aggregate() over the 30 days for every check (the report; goal < 1 s), series() of 30
// daily bars (the status page), one check's 30 days, and appending throughput on the way.
//
// 30 days of one result a minute per check would be 43 M rows; retention keeps raw results for
// 7 days only, and what the reads touch beyond is rollups. So the fill appends one result per
// check every 10 minutes for 30 days (4.3 M results through append(), which also measures the
// writer's throughput and builds every hourly and daily rollup), then one a minute for the last
// 2 hours (the raw edge a report over "the last 30 days" reads at a real interval), then
// prune(now) drops raw results older than 7 days, as the server's prune timer would.
//
// As a module, run.js calls runHistory and printHistory. As a script it is forked by run.js's
// runWorker, one scenario per process.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { MB, peakRssBytes, round, summary } from './lib.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

export function settings(quick) {
  return {
    checks: quick ? 200 : 1000,
    days: 30,
    coarseIntervalMs: 10 * MINUTE,
    fineIntervalMs: MINUTE,
    fineHours: 2,
    rawDays: 7,
    rollupDays: 400,
    queryRuns: quick ? 3 : 7,
  };
}

// ---------------------------------------------------------------------------------------------
// Orchestration, in run.js's process.

export async function runHistory({ quick, runWorker }) {
  const s = settings(quick);
  try {
    return await runWorker('history', s, quick ? 180_000 : 900_000);
  } catch (err) {
    return { settings: s, error: err.message };
  }
}

/** Prints the results with run.js's `out(line)` and `row(label, value, note)`. */
export function printHistory(r, { out, row }) {
  const s = r.settings;
  out();
  out(`[history] SQLite history store, ${s.checks} checks × ${s.days} days: a result every ${s.coarseIntervalMs / MINUTE} min per check, every ${s.fineIntervalMs / MINUTE} min for the last ${s.fineHours} h, then raw pruned to ${s.rawDays} days`);
  if (r.error) return out(`  failed: ${r.error}`);
  out(`  build measured: ${r.build}`);
  const f = r.fill;
  row('append throughput (writer thread, to disk)', `${f.rowsPerSecond} results/s`, `(${f.results} results in ${f.seconds}s, rollups included; ${f.writeErrors} write errors, ${f.dropped} dropped)`);
  row('  main thread per append()', `${f.appendMicros} µs`, `(event loop delay while filling: p99 ${f.eventLoopDelayMs.p99} ms, max ${f.eventLoopDelayMs.max} ms)`);
  row(`prune(now) to ${s.rawDays} days of raw`, `${r.prune.seconds}s`, `(${r.prune.removed} rows removed in steps of 1,000)`);
  row('database after prune', `${r.size.fileMB} MB`, `(${r.size.raw} raw results, ${r.size.hourly} hourly and ${r.size.daily} daily rollups; WAL ${r.size.walMB} MB)`);
  const q = (label, x, note = '') => row(label, `${x.median} ms`, `(median of ${x.n}; first ${x.first} ms, max ${x.max} ms${note ? `; ${note}` : ''})`);
  q(`aggregate(), ${s.days} days, all checks`, r.aggregate, `${r.aggregate.value} results counted, p95 read for each check`);
  row(`goal: the report's aggregate over ${s.days} days × ${s.checks} checks < 1 s`, `${r.aggregate.median} ms`, r.aggregate.max < 1000 ? 'met' : r.aggregate.median < 1000 ? 'median met, max MISSED' : 'MISSED');
  q(`series(), ${s.days} daily bars, all checks`, r.series);
  q(`aggregate(), ${s.days} days, one check`, r.oneCheck);
  q('results(), one check, newest 100', r.results);
  row('peak RSS of the process', `${r.peakRssMB} MB`);
}

// ---------------------------------------------------------------------------------------------
// The healthmon side (script mode, forked by run.js's runWorker).

function timed(fn, runs) {
  const ms = [];
  let value;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    value = fn();
    ms.push(performance.now() - t);
  }
  const st = summary(ms.slice(1));
  return { value, first: round(ms[0], 1), median: round(st.median, 1), max: round(st.max, 1), n: st.n };
}

async function historyPart(msg) {
  const s = msg.options;
  // The build under test: dist/ of this tree (npm run bench builds it), or HEALTHMON_DIST.
  const DIST = process.env.HEALTHMON_DIST ? pathToFileURL(`${process.env.HEALTHMON_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
  const load = (path) => import(new URL(path, DIST).href);
  const { createSqliteHistory } = await load('store/history-sqlite.js');
  const { quantileOf } = await load('store/latency-buckets.js');
  const { silentLogger } = await load('core/logger.js');
  const { DATABASE_FILE } = await load('store/database.js');

  const dir = join(msg.dir, 'history');
  const retention = { rawMs: s.rawDays * DAY, rollupMs: s.rollupDays * DAY };
  const history = createSqliteHistory({ dir, retention, logger: silentLogger(), maxPending: 1_000_000 });
  const names = Array.from({ length: s.checks }, (_, i) => `check-${String(i).padStart(4, '0')}`);
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const start = now - s.days * DAY;
  const fineFrom = now - s.fineHours * HOUR;

  // Fill: one step appends a result for every check; the queue is drained every ~100k rows.
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  let results = 0;
  let appendMs = 0;
  const t0 = performance.now();
  for (let at = start; at < now; at += at < fineFrom ? s.coarseIntervalMs : s.fineIntervalMs) {
    const a = performance.now();
    for (let i = 0; i < names.length; i++) {
      // Latency spread per check, 1 in 50 failing.
      const n = results + i;
      history.append({ check: names[i], at: at + (i % 60) * 1000, durationMs: 20 + (i % 40) * 5 + ((n * 7919) % 97), ok: n % 50 !== 0 });
    }
    appendMs += performance.now() - a;
    results += names.length;
    if (history.health().pending >= 100_000) await history.flush();
  }
  await history.flush();
  const fillSeconds = (performance.now() - t0) / 1000;
  eld.disable();
  const health = history.health();

  const p0 = performance.now();
  const removed = await history.prune(now);
  const pruneSeconds = (performance.now() - p0) / 1000;

  const span = { since: now - s.days * DAY, until: now };
  const aggregate = timed(() => {
    const all = history.aggregate(span);
    let counted = 0;
    for (const a of all.values()) {
      counted += a.count;
      quantileOf(a, 0.95);
    }
    return counted;
  }, s.queryRuns);
  // The status page's bars: 30 UTC days, today's partial.
  const today = Math.floor(now / DAY) * DAY;
  const series = timed(() => history.series({ since: today - (s.days - 1) * DAY, until: now }, DAY).size, s.queryRuns);
  const oneCheck = timed(() => history.aggregate(span, [names[0]]).get(names[0]).count, s.queryRuns);
  const recent = timed(() => history.results(names[0], span, 100).length, s.queryRuns);

  const file = join(dir, DATABASE_FILE);
  const db = (await import('better-sqlite3')).default(file, { readonly: true });
  const countOf = (table) => db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;
  const size = {
    raw: countOf('history_results'),
    hourly: countOf('history_hourly'),
    daily: countOf('history_daily'),
    fileMB: round(statSync(file).size / MB, 1),
    walMB: round(statSync(`${file}-wal`).size / MB, 1),
  };
  db.close();
  await history.close();

  return {
    settings: s,
    build: DIST.href,
    fill: {
      results,
      seconds: round(fillSeconds, 1),
      rowsPerSecond: Math.round(results / fillSeconds),
      appendMicros: round((appendMs * 1000) / results, 2),
      eventLoopDelayMs: { p99: round(eld.percentile(99) / 1e6, 1), max: round(eld.max / 1e6, 1) },
      writeErrors: health.writeErrors,
      dropped: health.dropped,
    },
    prune: { removed, seconds: round(pruneSeconds, 2) },
    size,
    aggregate,
    series,
    oneCheck,
    results: recent,
    peakRssMB: round((peakRssBytes() ?? 0) / MB, 0),
  };
}

function workerMain() {
  const warnings = new Set();
  process.on('warning', (w) => warnings.add(`${w.name}: ${w.message}`));
  process.once('message', async (msg) => {
    try {
      const result = await historyPart(msg);
      result.warnings = [...warnings];
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (err) {
      process.send({ type: 'error', message: err?.stack ?? String(err) }, () => process.exit(1));
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) workerMain();
