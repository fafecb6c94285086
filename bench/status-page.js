// Status page benchmark (issue #5): GET / with 1,000 checks in 20 groups, 30 days of history in
// the app's own SQLite store, 1 in 20 checks down. Goal: < 300 ms server
// time per page. Server time is read from the page's own Server-Timing header (assessment,
// history, alerts, render, total), measured inside the healthmon process; the client's wall time
// and the page size are printed beside it.
//
// As a module, run.js calls runStatusPage and printStatusPage. As a script it is forked by
// run.js's runWorker as the healthmon side. Loopback only.
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { inWorker, MB, peakRssBytes, round } from './lib.js';

export function settings(quick) {
  return {
    checks: 1000,
    groups: 20,
    days: 30,
    /** Results per check: one an hour for 30 days, then one every 10 minutes for the last day. */
    oldStepMs: 3_600_000,
    recentStepMs: 600_000,
    cold: 1,
    warm: quick ? 10 : 30,
    goalMs: 300,
  };
}

// ---------------------------------------------------------------------------------------------
// Orchestration, in run.js's process.

export async function runStatusPage({ quick, runWorker }) {
  const s = settings(quick);
  return { settings: s, sqlite: await inWorker(runWorker, 'status-sqlite', s, 300_000) };
}

export function printStatusPage(r, { out, row }) {
  const s = r.settings;
  out();
  out(`[status] GET / with ${s.checks} checks in ${s.groups} groups, ${s.days} days of history (an hourly result, then every 10 min for the last day), 1 in 20 down`);
  const x = r.sqlite;
  if (x.error) {
    row('failed', x.error.split('\n')[0]);
    return;
  }
  out(`  sqlite history (${x.rows} results written in ${x.fillSeconds}s; build ${x.build})`);
  row('  server time, cold (first page)', `${x.cold.total} ms`, `(assess ${x.cold.assess}, history ${x.cold.history}, alerts ${x.cold.alerts}, render ${x.cold.render})`);
  row('  server time, warm: median / p90 / max', `${x.warm.total.median} / ${x.warm.total.p90} / ${x.warm.total.max} ms`, `(${x.warm.total.n} pages)`);
  row('    assess / history / alerts / render, median', `${x.warm.assess.median} / ${x.warm.history.median} / ${x.warm.alerts.median} / ${x.warm.render.median} ms`);
  row('  client wall time, gzip, median / max', `${x.warm.wall.median} / ${x.warm.wall.max} ms`, `(includes compression and transfer)`);
  row('  page size', `${x.bytes.html} bytes HTML, ${x.bytes.gzip} gzipped`);
  row('  RSS peak', `${x.peakRssMB} MB`);
  const warmVerdict = x.warm.total.max < s.goalMs ? 'met by every page' : x.warm.total.median < s.goalMs ? `median met, max MISSED` : 'MISSED';
  row(`  goal: < ${s.goalMs} ms server time, warm`, warmVerdict, `(the first page after a start reads everything cold: ${x.cold.total < s.goalMs ? 'met' : 'MISSED'} there)`);
}

// ---------------------------------------------------------------------------------------------
// The healthmon side (script mode).

function pick(values) {
  const sorted = Float64Array.from(values).sort();
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  return { n: sorted.length, median: round(q(0.5), 1), p90: round(q(0.9), 1), max: round(sorted[sorted.length - 1], 1) };
}

function serverTiming(header) {
  const out = {};
  for (const part of (header ?? '').split(',')) {
    const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

function get(port, gzip) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode, timing: serverTiming(res.headers['server-timing']), bytes, wall: performance.now() - t0 }));
    });
    req.on('error', reject);
  });
}

async function workerPart(msg) {
  const o = msg.options;
  const DIST = process.env.HEALTHMON_DIST ? pathToFileURL(`${process.env.HEALTHMON_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
  const load = (path) => import(new URL(path, DIST).href);
  const { createApp } = await load('app.js');
  const { loadConfig } = await load('config/load.js');
  const { systemClock } = await load('core/clock.js');
  const { silentLogger } = await load('core/logger.js');
  const { PROBE_KINDS } = await load('probes/index.js');

  const tmp = mkdtempSync(join(msg.dir, `${msg.part}-`));
  // Up checks probe this server; 1 in 20 probe a port nothing listens on.
  const target = http.createServer((_req, res) => res.end('ok'));
  await new Promise((r) => target.listen(0, '127.0.0.1', r));
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = closed.address().port;
  await new Promise((r) => closed.close(r));

  const names = Array.from({ length: o.checks }, (_, i) => `service-${String(i).padStart(4, '0')}`);
  const down = (i) => i % 20 === 0;
  const config = {
    server: { listen: '127.0.0.1:0' },
    storage: { path: join(tmp, 'data') },
    host: { enabled: false },
    // An hour between runs: the checks run once (runOnce below), not while pages are measured.
    global: { interval: '1h', timeout: '2s', failure_threshold: 1 },
    checks: names.map((name, i) => ({
      name,
      kind: 'http',
      group: `group-${String(i % o.groups).padStart(2, '0')}`,
      ...(i % 10 === 1 ? { slo: { availability: '99.9%', latency: { p95: '200ms' }, window: '30d' } } : {}),
      http: { url: `http://127.0.0.1:${down(i) ? closedPort : target.address().port}/` },
    })),
  };
  const file = join(tmp, 'healthmon.yaml');
  writeFileSync(file, JSON.stringify(config));
  const loadIt = () => loadConfig(file, { kinds: PROBE_KINDS, env: {} });
  const app = createApp(loadIt(), { clock: systemClock, logger: silentLogger(), kinds: PROBE_KINDS, build: { version: '0.0.0-bench', nodeVersion: process.versions.node }, loadConfig: loadIt });
  const port = await app.start();
  const history = app.history();
  await app.runOnce();

  // 30 days of results, written as the scheduler would: oldest first.
  const t0 = performance.now();
  const now = Date.now();
  let rows = 0;
  let seed = 1;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const recentSince = now - 86_400_000;
  for (let at = now - o.days * 86_400_000; at < now; at += at < recentSince ? o.oldStepMs : o.recentStepMs) {
    const day = Math.floor((now - at) / 86_400_000);
    for (let i = 0; i < names.length; i++) {
      const bad = (down(i) && at > now - 600_000) || (i % 7 === 0 && day === 3 && random() < 0.2) || random() < 0.001;
      history.append({ check: names[i], at: at + (i % 60) * 1000, durationMs: 5 + (i % 50) + random() * 20, ok: !bad, ...(bad ? { reason: 'connection_refused' } : {}) });
      rows++;
    }
    if (rows % 100_000 < names.length) await history.flush();
  }
  await history.flush();
  const fillSeconds = round((performance.now() - t0) / 1000, 1);

  const first = await get(port, true);
  if (first.status !== 200) throw new Error(`GET / answered ${first.status}`);
  const warm = [];
  for (let i = 0; i < o.warm; i++) warm.push(await get(port, true));
  const plain = await get(port, false);
  const part = (k) => pick(warm.map((w) => w.timing[k] ?? NaN));
  const result = {
    build: DIST.pathname,
    rows,
    fillSeconds,
    cold: Object.fromEntries(Object.entries(first.timing).map(([k, v]) => [k, round(v, 1)])),
    warm: { total: part('total'), assess: part('assess'), history: part('history'), alerts: part('alerts'), render: part('render'), wall: pick(warm.map((w) => w.wall)) },
    bytes: { html: plain.bytes, gzip: first.bytes },
    peakRssMB: round((peakRssBytes() ?? 0) / MB, 0),
  };
  await app.stop(0);
  await new Promise((r) => target.close(r));
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.once('message', async (msg) => {
    try {
      const result = await workerPart(msg);
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (err) {
      process.send({ type: 'error', message: err?.stack ?? String(err) }, () => process.exit(1));
    }
  });
}
