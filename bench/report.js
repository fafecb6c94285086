// `healthmon report` and `healthmon dashboard` benchmark (issue #5 item 4): a SQLite history of
// 1,000 checks × 30 days, then timed: the report over 30 days (goal < 1 s), the daily and weekly
// forms, each format's render, the dashboard, and both commands end to end as a user runs them
// (`node dist/main.js report --since 30d …`: process start, config load, read, render, write).
//
// The history is what a server with default retention leaves: raw results for 7 days, hourly and
// daily rollups for all 30. It is written with the store's own write path (history-writes.js, in
// this process rather than on the writer thread), one batch per check per day so each batch
// upserts few rollups: a result every 10 minutes per check for days 8–30 (pruned to rollups
// afterwards by the store's prune), every 5 minutes for days 2–7, every minute for the last 24 h.
// One check in 20 has a 20-minute outage each day: failed runs, status events and an alert.
// Half the checks have an SLO (99.9 %, p95 ≤ 500 ms, 30 d), a tenth are critical.
//
// As a module, run.js calls runReportBench and printReportBench. As a script it is forked by
// run.js's runWorker and does the work in its own process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inWorker, MB, peakRssBytes, round, summary } from './lib.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

export function settings(quick) {
  return {
    checks: quick ? 200 : 1000,
    days: 30,
    oldIntervalMs: 10 * MINUTE,
    weekIntervalMs: 5 * MINUTE,
    dayIntervalMs: MINUTE,
    rawDays: 7,
    rollupDays: 400,
    /** One check in this many has an outage a day. */
    flakyEvery: 20,
    runs: quick ? 3 : 7,
    cliRuns: quick ? 2 : 3,
  };
}

// ---------------------------------------------------------------------------------------------
// Orchestration, in run.js's process.

export function runReportBench({ quick, runWorker }) {
  return inWorker(runWorker, 'report', settings(quick), quick ? 240_000 : 900_000);
}

/** Prints the results with run.js's `out(line)` and `row(label, value, note)`. */
export function printReportBench(r, { out, row }) {
  const s = r.settings;
  out();
  out(`[report] healthmon report and dashboard over a SQLite history of ${s.checks} checks × ${s.days} days (raw ${s.rawDays} days, rollups beyond)`);
  if (r.error) return out(`  failed: ${r.error}`);
  out(`  build measured: ${r.build}`);
  const f = r.fill;
  row('history written (store write path, then prune)', `${f.seconds}s`, `(${f.results} results, ${f.events} events; prune removed ${f.pruned} rows in ${f.pruneSeconds}s)`);
  row('database', `${r.size.fileMB} MB`, `(${r.size.raw} raw results, ${r.size.hourly} hourly and ${r.size.daily} daily rollups, ${r.size.events} events)`);
  const t = (label, x, note = '') => row(label, `${x.median} ms`, `(median of ${x.n}; first ${x.first} ms, max ${x.max} ms${note ? `; ${note}` : ''})`);
  t(`buildReport --since ${s.days}d, all checks`, r.report30, `${r.report30.runs} runs, ${r.report30.incidents} incidents, ${r.report30.sloChecks} SLOs`);
  const met = r.report30.max < 1000 ? 'met' : r.report30.median < 1000 ? 'median met, max MISSED' : 'MISSED';
  row(`goal: report over ${s.days} days × ${s.checks} checks < 1 s`, `${r.report30.median} ms`, `(in process, history open; ${met}; end to end below)`);
  t('buildReport daily (24 h by the hour)', r.daily);
  t('buildReport weekly (7 d by the day)', r.weekly);
  for (const format of ['json', 'markdown', 'html']) t(`render ${format} (${s.days}d report)`, r.render[format], `${r.render[format].kb} KB`);
  t('buildDashboard, all checks', r.dashboard, `${r.dashboard.unknown} unknown`);
  for (const c of r.cli) row(`end to end: ${c.args}`, `${c.median} ms`, `(median of ${c.n}, max ${c.max} ms; exit ${c.code}; node start + config of ${s.checks} checks + read + render + write)`);
  row('  of which: node start and config load (healthmon check config)', `${r.cliBaseline.median} ms`);
  row('peak RSS of the in-process measurements', `${r.peakRssMB} MB`);
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
  // The first run is cold (statements prepared, pages read): reported apart, left out of the median.
  const st = summary(ms.length > 1 ? ms.slice(1) : ms);
  return { value, first: round(ms[0], 1), median: round(st.median, 1), max: round(st.max, 1), n: st.n };
}

function writeConfig(dir, names, storage) {
  const checks = names.map((name, i) => ({
    name,
    kind: 'http',
    // Results are a minute apart; a longer interval keeps the dashboard from calling them stale while the bench runs.
    interval: '5m',
    critical: i % 10 === 0,
    http: { url: `http://127.0.0.1:9/${name}` },
    ...(i % 2 === 0 && { slo: { availability: '99.9%', latency: { p95: '500ms' }, window: '30d' } }),
  }));
  const file = join(dir, 'healthmon.json');
  writeFileSync(file, JSON.stringify({ host: { enabled: false }, storage: { path: storage }, checks }, null, 1));
  return file;
}

async function fill(s, dir, dist) {
  const { openDatabase, migrate } = await dist('store/database.js');
  const { HISTORY_MIGRATIONS } = await dist('store/history-schema.js');
  const { createHistoryWrites } = await dist('store/history-writes.js');
  const db = openDatabase(dir);
  migrate(db, HISTORY_MIGRATIONS);
  const writes = createHistoryWrites(db);
  const names = Array.from({ length: s.checks }, (_, i) => `check-${String(i).padStart(4, '0')}`);
  const now = Date.now();
  const today = Math.floor(now / DAY) * DAY;
  const first = today - s.days * DAY;
  const t0 = performance.now();
  let results = 0;
  let events = 0;
  for (let c = 0; c < names.length; c++) {
    const check = names[c];
    const flaky = c % s.flakyEvery === 0;
    for (let day = first; day < now; day += DAY) {
      // Nothing held back: every result goes into its rollups as it is written.
      const batch = { results: [], events: [], holdHour: null, rollups: [], lag: null };
      // The outage: 20 minutes from a time of day that moves with the check.
      const downAt = day + ((c * 37) % 23) * HOUR + 10 * MINUTE;
      const downUntil = downAt + 20 * MINUTE;
      const end = Math.min(day + DAY, now);
      for (let at = day + (c % 60) * 1000; at < end; ) {
        const down = flaky && at >= downAt && at < downUntil;
        const n = at / MINUTE + c;
        batch.results.push({ check, at, durationMs: down ? 10_000 : 20 + (c % 40) * 5 + ((n * 7919) % 97), ok: !down, status: down ? 'unhealthy' : 'healthy', ...(down && { reason: 'timeout', message: 'no answer in 10s' }) });
        const age = now - at;
        at += age > s.rawDays * DAY ? s.oldIntervalMs : age > DAY ? s.weekIntervalMs : s.dayIntervalMs;
      }
      if (flaky && downUntil < now) {
        const alert = { labels: { alertname: 'CheckDown', severity: 'critical', check }, annotations: { summary: `${check} is down` }, fingerprint: `fp-${check}` };
        batch.events.push(
          { check, at: downAt + 1000, kind: 'status', state: 'unhealthy', message: 'no answer in 10s', data: { previous: 'healthy', reason: 'timeout' } },
          { check, at: downAt + 2 * MINUTE, kind: 'alert', state: 'firing', data: alert },
          { check, at: downUntil + 1000, kind: 'status', state: 'healthy', data: { previous: 'unhealthy' } },
          { check, at: downUntil + 2 * MINUTE, kind: 'alert', state: 'resolved', data: alert },
        );
      }
      writes.write(batch);
      results += batch.results.length;
      events += batch.events.length;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const p0 = performance.now();
  const pruned = await writes.prune(now, { rawMs: s.rawDays * DAY, rollupMs: s.rollupDays * DAY });
  const pruneSeconds = (performance.now() - p0) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const countOf = (table) => db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;
  const size = { raw: countOf('history_results'), hourly: countOf('history_hourly'), daily: countOf('history_daily'), events: countOf('history_events') };
  db.close();
  return { names, fill: { results, events, seconds: round(seconds, 1), pruned, pruneSeconds: round(pruneSeconds, 1) }, size };
}

async function reportPart(msg) {
  const s = msg.options;
  // The build under test: dist/ of this tree (npm run bench builds it), or HEALTHMON_DIST.
  const DIST = process.env.HEALTHMON_DIST ? pathToFileURL(`${process.env.HEALTHMON_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
  const dist = (path) => import(new URL(path, DIST).href);
  const dir = join(msg.dir, 'report');
  const storage = join(dir, 'data');
  mkdirSync(storage, { recursive: true });

  const { names, fill: filled, size } = await fill(s, storage, dist);
  const { DATABASE_FILE } = await dist('store/database.js');
  size.fileMB = round(statSync(join(storage, DATABASE_FILE)).size / MB, 1);
  const configFile = writeConfig(dir, names, storage);

  // The checks exactly as the CLI gets them: through the config loader.
  const { loadConfigAsync } = await dist('config/load.js');
  const { PROBE_KINDS } = await dist('probes/index.js');
  const config = await loadConfigAsync(configFile, { kinds: PROBE_KINDS, env: {} });
  const { openHistoryReadOnly } = await dist('cli/report-history.js');
  const { buildReport, reportRequest } = await dist('cli/report.js');
  const { renderReport } = await dist('cli/report-render.js');
  const { buildDashboard } = await dist('cli/dashboard.js');

  const opened = openHistoryReadOnly(config.storagePath);
  if ('missing' in opened) throw new Error(`no history at ${opened.missing}`);
  const report = (options) => {
    const now = Date.now();
    return buildReport({ history: opened.history, checks: config.checks, request: reportRequest({ ...options, now }), now });
  };
  const report30 = timed(() => report({ since: `${s.days}d` }), s.runs);
  const r30 = report30.value;
  const daily = timed(() => report({ period: 'daily' }), s.runs);
  const weekly = timed(() => report({ period: 'weekly' }), s.runs);
  const render = {};
  for (const format of ['json', 'markdown', 'html']) {
    const x = timed(() => renderReport(r30, format), s.runs);
    render[format] = { ...x, kb: round(Buffer.byteLength(x.value) / 1024, 0), value: undefined };
  }
  const dashboard = timed(() => buildDashboard({ history: opened.history, checks: config.checks, now: Date.now() }), s.runs);
  opened.close();

  // End to end, as users run it; a fresh process each time.
  const main = fileURLToPath(new URL('main.js', DIST));
  const cliRun = (args) => {
    const ms = [];
    let code = 0;
    for (let i = 0; i < s.cliRuns; i++) {
      const t = performance.now();
      try {
        execFileSync(process.execPath, [main, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 * MB });
      } catch (err) {
        code = err.status ?? 1;
      }
      ms.push(performance.now() - t);
    }
    const st = summary(ms);
    return { args: `healthmon ${args.map((a) => (a === configFile ? 'CONFIG' : a.startsWith(dir) ? 'FILE' : a)).join(' ')}`, median: round(st.median, 0), max: round(st.max, 0), n: st.n, code };
  };
  const cli = [
    cliRun(['report', '--since', `${s.days}d`, '--format', 'json', '--config', configFile, '--out', join(dir, 'report.json')]),
    cliRun(['report', '--since', `${s.days}d`, '--format', 'html', '--config', configFile, '--out', join(dir, 'report.html')]),
    cliRun(['report', 'daily', '--format', 'markdown', '--config', configFile, '--out', join(dir, 'report.md')]),
    cliRun(['dashboard', '--config', configFile, '--out', join(dir, 'dashboard.json')]),
  ];
  const cliBaseline = cliRun(['check', 'config', configFile]);

  const strip = (x) => ({ first: x.first, median: x.median, max: x.max, n: x.n });
  return {
    settings: s,
    build: DIST.href,
    fill: filled,
    size,
    report30: { ...strip(report30), runs: r30.totals.runs, incidents: r30.totals.incidents, sloChecks: r30.totals.slo_checks },
    daily: strip(daily),
    weekly: strip(weekly),
    render: Object.fromEntries(Object.entries(render).map(([k, v]) => [k, { ...strip(v), kb: v.kb }])),
    dashboard: { ...strip(dashboard), unknown: dashboard.value.unknown_services },
    cli,
    cliBaseline,
    peakRssMB: round((peakRssBytes() ?? 0) / MB, 0),
  };
}

function workerMain() {
  const warnings = new Set();
  process.on('warning', (w) => warnings.add(`${w.name}: ${w.message}`));
  process.once('message', async (msg) => {
    try {
      const result = await reportPart(msg);
      result.warnings = [...warnings];
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (err) {
      process.send({ type: 'error', message: err?.stack ?? String(err) }, () => process.exit(1));
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) workerMain();
