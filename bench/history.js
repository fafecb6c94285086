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
// `history-io` (runHistoryIo) measures what the writer costs the disk instead: 1,000 checks each
// once a minute, simulated hours at a time on a fake clock, batches cut every second as in
// production (≈17 results each), prune every 10 minutes, and the bytes the process wrote read
// from /proc/self/io, per simulated day. Measured on one machine (2 vCPU, ext4): 20.7 GB/day with
// every batch updating its rollups and a checkpoint every 1,000 WAL pages; 8.1 GB/day with the
// current hour's rollups held for 30 s and a checkpoint every 10,000 pages. What is left is mostly
// the raw results: each lands on its own check's page, ≈17 random pages a batch.
//
// As a module, run.js calls runHistory and printHistory (runHistoryIo, printHistoryIo). As a
// script it is forked by run.js's runWorker, one scenario per process.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { inWorker, MB, peakRssBytes, round, summary } from './lib.js';

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

export function runHistory({ quick, runWorker }) {
  return inWorker(runWorker, 'history', settings(quick), quick ? 180_000 : 900_000);
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

// ---------------------------------------------------------------------------------------------
// history-io: bytes written per simulated day.

export function ioSettings(quick) {
  return {
    checks: 1000,
    intervalMs: MINUTE,
    flushIntervalMs: 1000,
    // Raw results already there when measuring starts: each check's rows then fill pages of their
    // own, as in production (where 7 days are kept; a day is enough for the pattern of writes).
    prefillHours: quick ? 6 : 24,
    rawHours: quick ? 6 : 24,
    measureHours: quick ? 1 : 3,
    pruneEveryMs: 10 * MINUTE,
  };
}

export function runHistoryIo({ quick, runWorker }) {
  return inWorker(runWorker, 'history-io', ioSettings(quick), quick ? 180_000 : 900_000);
}

export function printHistoryIo(r, { out, row }) {
  const s = r.settings;
  out();
  out(`[history-io] SQLite history writes, ${s.checks} checks each every ${s.intervalMs / 1000}s, batches every ${s.flushIntervalMs / 1000}s, ${s.measureHours} simulated h after ${s.prefillHours} h of raw results (prune every ${s.pruneEveryMs / MINUTE} min, raw kept ${s.rawHours} h)`);
  if (r.error) return out(`  failed: ${r.error}`);
  out(`  build measured: ${r.build}`);
  const m = r.measured;
  row('batches written', `${m.batches}`, `(${m.rowsPerBatch} results per batch on average; ${m.results} results, ${m.prunedRows} pruned; ${m.realSeconds}s real time)`);
  row('bytes written per simulated day (wchar)', `${m.perDay.wcharGB} GB`, `(${m.perDay.writeCalls} write calls; every byte SQLite passed to write(), WAL and checkpoints)`);
  row('  of which by prune', `${m.perDay.pruneWcharGB} GB`);
  row('bytes written per simulated day (write_bytes)', `${m.perDay.writeBytesGB} GB`, '(what the kernel counted for the disk)');
  row('per batch, prune left out (wchar)', `${m.wcharPerBatchKB} KB`, `(${m.pagesPerBatch} pages of ${r.pageSize} bytes)`);
  row('database file after', `${r.files.dbMB} MB`, `(the WAL at most ${r.files.walPeakMB} MB)`);
}

/**
 * A clock that moves only when told. Timers set while `tag` is given carry it, so the bench tells
 * the queue's flush timers (set by append()) from the store's other ones.
 */
function simulatedClock(start) {
  let now = start;
  let nextId = 1;
  const timers = new Map();
  const clock = {
    tag: undefined,
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { id, at: now + Math.max(0, ms), fn, tag: clock.tag });
      return { id };
    },
    clearTimeout(handle) {
      timers.delete(handle.id);
    },
    /** Fires the first timer due by `to`, moving the time to it; returns it, or undefined when none is due. */
    fireNext(to) {
      let due;
      for (const t of timers.values()) if (t.at <= to && (!due || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t;
      if (!due) return undefined;
      timers.delete(due.id);
      now = Math.max(now, due.at);
      due.fn();
      return due;
    },
    set(to) {
      now = Math.max(now, to);
    },
  };
  return clock;
}

function procIo() {
  const out = {};
  for (const line of readFileSync('/proc/self/io', 'utf8').split('\n')) {
    const [k, v] = line.split(':');
    if (v !== undefined) out[k.trim()] = Number(v);
  }
  return out;
}

async function historyIoPart(msg) {
  const s = msg.options;
  const DIST = process.env.HEALTHMON_DIST ? pathToFileURL(`${process.env.HEALTHMON_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
  const load = (path) => import(new URL(path, DIST).href);
  const { createSqliteHistory } = await load('store/history-sqlite.js');
  const { silentLogger } = await load('core/logger.js');
  const { DATABASE_FILE } = await load('store/database.js');
  const Database = (await import('better-sqlite3')).default;

  const dir = join(msg.dir, 'history-io');
  const file = join(dir, DATABASE_FILE);
  const names = Array.from({ length: s.checks }, (_, i) => `check-${String(i).padStart(4, '0')}`);
  // The k-th check to run in an interval runs k × interval / checks into it, so each second holds
  // ≈ checks / 60. Which check is k-th is shuffled: the scheduler spreads checks by a hash of the
  // name, and ids go by first write, so a batch's checks are far apart in the rollups' key order
  // (the case where every check was added at once, in phase order, is kinder: adjacent ids).
  const order = Array.from(names, (_, i) => i);
  for (let i = order.length - 1, seed = 12345; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const checkAt = (k) => order[k];
  const phaseOf = [];
  order.forEach((i, k) => (phaseOf[i] = k));
  const offsetOf = (k) => Math.floor((k * s.intervalMs) / s.checks);
  const resultOf = (i, at) => {
    const ok = (at / s.intervalMs + i) % 50 !== 0;
    return {
      check: names[i],
      at,
      durationMs: 5 + (i % 40) * 3 + ((at * 7919 + i) % 97) / 7,
      ok,
      status: ok ? 'healthy' : 'unhealthy',
      ...(!ok && { reason: 'timeout', message: 'no answer within 5s' }),
    };
  };
  // A UTC hour boundary falls inside the measured span.
  const start = Math.floor(Date.UTC(2026, 0, 1) / s.intervalMs) * s.intervalMs + s.prefillHours * HOUR - 20 * MINUTE;
  const clock = simulatedClock(start - s.prefillHours * HOUR);
  const history = createSqliteHistory({ dir, retention: { rawMs: s.rawHours * HOUR, rollupMs: 400 * DAY }, logger: silentLogger(), clock, flushIntervalMs: s.flushIntervalMs, maxPending: 1_000_000 });

  // Prefill, not measured: whole intervals at once, written by flush().
  for (let at = start - s.prefillHours * HOUR; at < start; at += s.intervalMs) {
    clock.set(at);
    // In name order: ids, given by first write, follow the names, not the phases.
    for (let i = 0; i < s.checks; i++) history.append(resultOf(i, at + offsetOf(phaseOf[i])));
    if (history.health().pending >= 50_000) await history.flush();
  }
  await history.flush();
  clock.set(start);
  {
    const db = new Database(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }

  let batches = 0;
  /**
   * Moves the clock to `to`. A flush timer cuts a batch, and the bench waits for its write before
   * going on, as a write takes milliseconds of a second; the store's other timers (its rollups)
   * write beside.
   */
  const advance = async (to) => {
    for (let timer; (timer = clock.fireNext(to)); ) {
      if (timer.tag !== 'append' || history.health().pending === 0) continue;
      batches++;
      for (let spins = 0; history.health().pending > 0; spins++) {
        if (spins > 1_000_000) throw new Error('the writer did not drain');
        await new Promise((r) => setImmediate(r));
      }
    }
    clock.set(to);
  };
  const append = (result) => {
    clock.tag = 'append';
    history.append(result);
    clock.tag = undefined;
  };
  const walSize = () => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
  let walPeak = 0;
  let results = 0;
  let prunedRows = 0;
  let pruneWchar = 0;
  const io0 = procIo();
  const t0 = performance.now();
  const end = start + s.measureHours * HOUR;
  let nextPrune = start + s.pruneEveryMs;
  for (let sec = start; sec < end; sec += 1000) {
    const into = (sec - start) % s.intervalMs;
    for (let k = Math.ceil((into * s.checks) / s.intervalMs); k < s.checks && offsetOf(k) < into + 1000; k++) {
      const at = sec - into + offsetOf(k);
      await advance(at);
      append(resultOf(checkAt(k), at));
      results++;
    }
    await advance(sec + 1000);
    if (sec + 1000 >= nextPrune) {
      nextPrune += s.pruneEveryMs;
      const w = procIo().wchar;
      prunedRows += await history.prune(clock.now());
      pruneWchar += procIo().wchar - w;
    }
    walPeak = Math.max(walPeak, walSize());
  }
  const realSeconds = (performance.now() - t0) / 1000;
  const io1 = procIo();
  await history.close();
  const pageSize = (() => {
    const db = new Database(file, { readonly: true });
    const size = db.pragma('page_size', { simple: true });
    db.close();
    return size;
  })();
  const simulatedMs = end - start;
  const perDay = (bytes) => round((bytes * (DAY / simulatedMs)) / 1e9, 2);
  const wchar = io1.wchar - io0.wchar;
  const result = {
    settings: s,
    build: DIST.href,
    pageSize,
    measured: {
      results,
      batches,
      prunedRows,
      rowsPerBatch: round(results / batches, 1),
      realSeconds: round(realSeconds, 1),
      wcharPerBatchKB: round((wchar - pruneWchar) / batches / 1024, 1),
      pagesPerBatch: round((wchar - pruneWchar) / batches / pageSize, 1),
      perDay: {
        wcharGB: perDay(wchar),
        pruneWcharGB: perDay(pruneWchar),
        writeBytesGB: perDay(io1.write_bytes - io0.write_bytes),
        writeCalls: Math.round((io1.syscw - io0.syscw) * (DAY / simulatedMs)),
      },
    },
    files: { dbMB: round(statSync(file).size / MB, 1), walPeakMB: round(walPeak / MB, 1) },
  };
  rmSync(dir, { recursive: true, force: true });
  return result;
}

function workerMain() {
  const warnings = new Set();
  process.on('warning', (w) => warnings.add(`${w.name}: ${w.message}`));
  process.once('message', async (msg) => {
    try {
      const result = await (msg.part === 'history-io' ? historyIoPart : historyPart)(msg);
      result.warnings = [...warnings];
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (err) {
      process.send({ type: 'error', message: err?.stack ?? String(err) }, () => process.exit(1));
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) workerMain();
