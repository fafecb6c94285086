// The healthmon side of the bench: one part per process (throughput, lag or render), so that
// CPU time, RSS and heap of one part never leak into another. Forked by run.js, which sends
// {part, ports, options, dir} and receives {type: 'result', result}.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { MB, peakRssBytes, round, sleep, summary, writeHttpConfig } from './lib.js';

// The build under test: dist/ of this tree (npm run bench builds it), or HEALTHMON_DIST to
// compare another build.
const DIST = process.env.HEALTHMON_DIST ? pathToFileURL(`${process.env.HEALTHMON_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
const load = (path) => import(new URL(path, DIST).href);
const { createApp } = await load('app.js');
const { loadConfig } = await load('config/load.js');
const { systemClock } = await load('core/clock.js');
const { createLogger } = await load('core/logger.js');
const { PROBE_KINDS } = await load('probes/index.js');

// The real logger at its real level, writing nowhere: log calls cost what they cost in production.
const logger = createLogger({ level: 'info', destination: { write() {} } });

function makeApp(file) {
  const load = () => loadConfig(file, { kinds: PROBE_KINDS, env: {} });
  const config = load();
  const app = createApp(config, {
    clock: systemClock,
    logger,
    kinds: PROBE_KINDS,
    build: { version: '0.0.0-bench', nodeVersion: process.versions.node },
    loadConfig: load,
  });
  return { app, config };
}

/** Runs (successes + failures) recorded so far, and the failures by reason seen in last results. */
function tally(app) {
  let runs = 0;
  let failures = 0;
  for (const e of app.store.entries()) {
    runs += e.successes + e.failures;
    failures += e.failures;
  }
  return { runs, failures };
}

function lastReasons(app) {
  const reasons = {};
  for (const e of app.store.entries()) {
    const last = e.state.last;
    if (last && !last.ok) reasons[last.reason] = (reasons[last.reason] ?? 0) + 1;
  }
  return reasons;
}

/** Copies every lag the scheduler reports into `into` (ms), besides the real histogram. */
function tapLag(app, into) {
  const histogram = app.registry.getSingleMetric('healthmon_scheduler_lag_seconds');
  const observe = histogram.observe.bind(histogram);
  histogram.observe = (...args) => {
    const value = typeof args[0] === 'number' ? args[0] : args[1];
    into.push(value * 1000);
    return observe(...args);
  };
}

/** p99 as Prometheus's histogram_quantile would estimate it from the real lag histogram. */
async function histogramQuantile(app, q) {
  const json = await app.registry.getSingleMetric('healthmon_scheduler_lag_seconds').get();
  const buckets = json.values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return { total, seconds: NaN };
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { total, seconds: prevLe };
      return { total, seconds: prevLe + ((b.le - prevLe) * (rank - prevCount)) / (b.count - prevCount) };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return { total, seconds: NaN };
}

/** Measures CPU, wall time and event-loop use of this process while `during` runs. */
async function measure(during) {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const extra = await during();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const { probes } = extra;
  return {
    ...extra,
    wallSeconds: round(wallS, 2),
    probesPerSecond: round(probes / wallS, 0),
    cpuSeconds: round(cpuS, 3),
    cpuUserSeconds: round(cpu.user / 1e6, 3),
    cpuSystemSeconds: round(cpu.system / 1e6, 3),
    cpuSecondsPer1000Probes: round((cpuS / probes) * 1000, 4),
    probesPerCpuSecond: round(probes / cpuS, 0),
    eventLoopUtilization: round(elu.utilization, 3),
  };
}

async function skippedRuns(app) {
  return (await app.registry.getSingleMetric('healthmon_scheduler_runs_skipped_total').get()).values[0]?.value ?? 0;
}

// 1. Probes per second at saturation: many http checks on a short interval through the real
// scheduler (start(), not runOnce), so the measured path is timer → scheduler → runCheck →
// http probe on a fresh connection → state store, exactly as in production. The offered load
// is set above what one event loop completes, so runs queue at max_concurrency; skipped runs
// show that demand exceeded capacity.
async function throughput({ ports, dir, options }) {
  const { checks, interval, concurrency, warmupMs, measureMs } = options;
  const file = writeHttpConfig(dir, 'throughput.yaml', { ports, count: checks, interval, timeout: interval, maxConcurrency: concurrency });
  const { app } = makeApp(file);
  await app.start({ listen: false });
  await sleep(warmupMs);
  const before = tally(app);
  const skipped0 = await skippedRuns(app);
  let inFlightSum = 0;
  let inFlightSamples = 0;
  const r = await measure(async () => {
    const sampler = setInterval(() => {
      inFlightSum += app.scheduler.inFlight();
      inFlightSamples++;
    }, 50);
    await sleep(measureMs);
    clearInterval(sampler);
    const after = tally(app);
    return { probes: after.runs - before.runs, failures: after.failures - before.failures };
  });
  const runsSkipped = (await skippedRuns(app)) - skipped0;
  await app.stop(2000);
  const meanInFlight = inFlightSum / Math.max(1, inFlightSamples);
  return {
    mode: 'scheduler',
    checks,
    interval,
    maxConcurrency: concurrency,
    offeredPerSecond: round(checks / (parseMs(interval) / 1000), 0),
    ...r,
    failureReasons: lastReasons(app),
    meanInFlight: round(meanInFlight, 1),
    runsSkipped,
    saturated: runsSkipped > 0 && meanInFlight > concurrency * 0.9,
  };
}

// 1b. The same checks through app.runOnce() back to back: no timers and no skipped runs, so
// the cost is runCheck → probe → state store alone, at max_concurrency by construction.
async function throughputRunOnce({ ports, dir, options }) {
  const { checks, concurrency, warmupMs, measureMs } = options;
  const file = writeHttpConfig(dir, 'runonce.yaml', { ports, count: checks, interval: '30s', timeout: '5s', maxConcurrency: concurrency });
  const { app } = makeApp(file);
  const until = performance.now() + warmupMs;
  while (performance.now() < until) await app.runOnce();
  const before = tally(app);
  let rounds = 0;
  const r = await measure(async () => {
    const end = performance.now() + measureMs;
    while (performance.now() < end) {
      await app.runOnce();
      rounds++;
    }
    const after = tally(app);
    return { probes: after.runs - before.runs, failures: after.failures - before.failures };
  });
  await app.stop(0);
  return { mode: 'runOnce', checks, maxConcurrency: concurrency, rounds, ...r, failureReasons: lastReasons(app) };
}

// 1c. The floor: a bare node:http client doing what the http kind does on the wire (connect,
// one GET on that socket, read the body, destroy), with none of healthmon around it.
async function throughputBare({ ports, options }) {
  const { concurrency, warmupMs, measureMs } = options;
  const http = await import('node:http');
  const net = await import('node:net');
  let i = 0;
  let failures = 0;
  const once = () =>
    new Promise((resolve) => {
      const port = ports[i++ % ports.length];
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      socket.once('connect', () => {
        const req = http.request({ path: '/', headers: { host: `127.0.0.1:${port}`, 'user-agent': 'bare' }, setHost: false, createConnection: () => socket });
        req.on('error', () => {
          failures++;
          socket.destroy();
          resolve();
        });
        req.on('response', (res) => {
          if (res.statusCode !== 200) failures++;
          res.on('data', () => {});
          res.on('end', () => {
            socket.destroy();
            resolve();
          });
        });
        req.end();
      });
      socket.once('error', () => {
        failures++;
        socket.destroy();
        resolve();
      });
    });
  let done = 0;
  const loop = async (endAt) => {
    const worker = async () => {
      while (performance.now() < endAt) {
        await once();
        done++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  await loop(performance.now() + warmupMs);
  done = 0;
  failures = 0;
  const r = await measure(async () => {
    await loop(performance.now() + measureMs);
    return { probes: done, failures };
  });
  return { mode: 'bare node:http', maxConcurrency: concurrency, ...r };
}

function parseMs(text) {
  const m = /^(\d+)(ms|s)$/.exec(text);
  return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
}

// 3. Schedule lag and memory with 10,000 http checks every 30 s, the real scheduler and the
// real http kind. Two phases of equal length: "quiet" (probing only), then "scraped", where
// run.js scrapes /metrics over HTTP every 15 s as a Prometheus server would, so that the cost
// of a scrape on the schedule shows apart from the cost of probing.
async function lag({ ports, dir, options }) {
  const { checks, interval, phaseMs } = options;
  const file = writeHttpConfig(dir, 'lag.yaml', { ports, count: checks, interval, maxConcurrency: 64 });
  const { app } = makeApp(file);
  const loadedRss = process.memoryUsage().rss;
  const phase = (name) => ({ name, lags: [], peakRss: 0, peakHeap: 0, loopDelay: monitorEventLoopDelay({ resolution: 10 }), cpu0: process.cpuUsage(), t0: performance.now() });
  const lags = [];
  tapLag(app, lags);
  let current = phase('quiet');
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > current.peakRss) current.peakRss = m.rss;
    if (m.heapUsed > current.peakHeap) current.peakHeap = m.heapUsed;
  }, 500);
  const finish = (p) => {
    p.loopDelay.disable();
    const cpu = process.cpuUsage(p.cpu0);
    const wallS = (performance.now() - p.t0) / 1000;
    // Lags are recorded in order; this phase's are those since it began.
    const s = summary(lags.splice(0));
    return {
      seconds: round(wallS, 1),
      starts: s.n,
      lagMs: { median: round(s.median, 2), p99: round(s.p99, 2), max: round(s.max, 2) },
      eventLoopDelayMs: { p99: round(p.loopDelay.percentile(99) / 1e6, 2), max: round(p.loopDelay.max / 1e6, 2) },
      peakRssMB: round(p.peakRss / MB, 1),
      peakHeapUsedMB: round(p.peakHeap / MB, 1),
      cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
      cpuShareOfCore: round((cpu.user + cpu.system) / 1e6 / wallS, 3),
    };
  };

  const port = await app.start();
  current.loopDelay.enable();
  await sleep(phaseMs);
  const quiet = finish(current);
  current = phase('scraped');
  current.loopDelay.enable();
  process.send({ type: 'scrape', port });
  await sleep(phaseMs);
  const scraped = finish(current);
  clearInterval(sampler);
  // What 10,000 checks keep alive, garbage aside (a full GC, after the measured phases).
  globalThis.gc?.();
  const retainedHeap = process.memoryUsage().heapUsed;
  const hist = await histogramQuantile(app, 0.99);
  const { runs, failures } = tally(app);
  await app.stop(2000);
  return {
    checks,
    interval,
    durationSeconds: (2 * phaseMs) / 1000,
    runs,
    failures,
    failureReasons: lastReasons(app),
    loadedRssMB: round(loadedRss / MB, 1),
    quiet,
    scraped,
    lagP99FromHistogramSeconds: round(hist.seconds, 4),
    vmHwmMB: round((peakRssBytes() ?? NaN) / MB, 1),
    retainedHeapMB: globalThis.gc ? round(retainedHeap / MB, 1) : undefined,
  };
}

// 4. /metrics render time with 10,000 checks that all have a result.
async function renderPart({ ports, dir, options }) {
  const { checks, renders } = options;
  const file = writeHttpConfig(dir, 'render.yaml', { ports, count: checks, interval: '30s', maxConcurrency: 64 });
  const { app } = makeApp(file);
  const t0 = performance.now();
  const results = await app.runOnce();
  const runOnceS = (performance.now() - t0) / 1000;
  const failed = results.filter((r) => !r.ok).length;
  const out = {};
  for (const format of ['text', 'openmetrics']) {
    // cold: every check has a new result since the last scrape (each check's lines are rebuilt);
    // warm: none has (the cached lines are joined). A 15 s scrape of 30 s checks sees half of each.
    const cold = [];
    const warm = [];
    const prepared = [];
    const background = [];
    let bytes = 0;
    let lines = 0;
    // One untimed round so that the first timed one does not pay for compilation.
    await app.metrics(format);
    // Bounded by count and by time: an unoptimised build must not stretch the bench to minutes.
    const deadline = performance.now() + 30_000;
    for (let i = 0; i < renders && (i < 3 || performance.now() < deadline); i++) {
      for (const e of app.store.entries()) e.version++;
      const a = performance.now();
      await app.metrics(format);
      const b = performance.now();
      const body = await app.metrics(format);
      const c = performance.now();
      cold.push(b - a);
      warm.push(c - b);
      // As in a running healthmon: every check records a result and its lines are rebuilt in
      // background batches during the interval; the scrape that follows copies them.
      const d = performance.now();
      for (const e of app.store.entries()) {
        e.version++;
        app.checkMetrics.changed(e);
      }
      for (let round = 0; round < 200; round++) await new Promise((r) => setImmediate(r));
      const f = performance.now();
      await app.metrics(format);
      prepared.push(performance.now() - f);
      background.push(f - d);
      bytes = body.reduce((n, part) => n + part.length, 0);
      lines = body.reduce((n, part) => n + countLines(part.toString('utf8')), 0);
    }
    const pick = (v) => {
      const s = summary(v);
      return { median: round(s.median, 1), max: round(s.max, 1) };
    };
    out[format] = { renders: cold.length, totalMs: pick(cold), warmMs: pick(warm), preparedMs: pick(prepared), backgroundMs: pick(background), bodyBytes: bytes, bodyMB: round(bytes / MB, 2), lines };
  }
  await app.stop(0);
  return { checks, runOnceSeconds: round(runOnceS, 2), runOnceFailures: failed, ...out };
}

function countLines(text) {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

const PARTS = { throughput, 'throughput-runonce': throughputRunOnce, 'throughput-bare': throughputBare, lag, render: renderPart };

const warnings = new Set();
process.on('warning', (w) => warnings.add(`${w.name}: ${w.message}`));

process.once('message', async (msg) => {
  try {
    const result = await PARTS[msg.part](msg);
    result.warnings = [...warnings];
    process.send({ type: 'result', result }, () => process.exit(0));
  } catch (err) {
    process.send({ type: 'error', message: err?.stack ?? String(err) }, () => process.exit(1));
  }
});
