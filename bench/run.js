// `npm run bench`: healthmon's probe throughput and CPU cost on the whole path, the same
// measured for prometheus-blackbox-exporter, schedule lag and memory at 10,000 checks, and
// /metrics render time. Loopback only, every loop bounded, about 3 minutes in all.
//
//   node bench/run.js [--only throughput,peer,lag,render] [--out FILE] [--quick] [--profile]
//
// Each healthmon part runs in a process of its own (bench/worker.js) and the probed servers in
// another (bench/targets.js), so CPU and memory are those of healthmon alone. Results are
// printed and written as JSON to --out, or to a fresh temp dir.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { round, sleep } from './lib.js';
import { runPeer } from './peer.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PARTS = ['throughput', 'peer', 'lag', 'render'];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    out: { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    offered: { type: 'string' },
    targets: { type: 'string', default: '8' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write('usage: node bench/run.js [--only throughput|peer|lag|render[,…]] [--out FILE] [--quick] [--profile] [--concurrency N] [--offered PER_SECOND] [--targets N]\n');
  process.exit(0);
}
const only = (args.only ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
for (const o of only) if (!PARTS.includes(o)) fail(`unknown part "${o}"; expected one of ${PARTS.join(', ')}`);
const selected = only.length > 0 ? PARTS.filter((p) => only.includes(p)) : PARTS;
const quick = args.quick;

const SETTINGS = {
  throughput: {
    // 2,000 checks every 250 ms offer 8,000 runs/s, more than one event loop completes here,
    // so runs queue at max_concurrency: probes/s then is capacity, not the offered load.
    // The skipped-runs count shows it; raise --offered on a faster machine.
    checks: 2000,
    interval: `${Math.round(2000 / (Number(args.offered ?? 8000) / 1000))}ms`,
    concurrency: Number(args.concurrency ?? 64),
    warmupMs: quick ? 1000 : 3000,
    measureMs: quick ? 3000 : 10_000,
  },
  // The same checks through app.runOnce() back to back, and a bare node:http client: the floor.
  runOnce: { checks: 2000, concurrency: Number(args.concurrency ?? 64), warmupMs: quick ? 1000 : 2000, measureMs: quick ? 3000 : 8000 },
  bare: { concurrency: Number(args.concurrency ?? 64), warmupMs: 1000, measureMs: quick ? 3000 : 5000 },
  peer: { durationS: quick ? 3 : 10, connections: 8, threads: 2 },
  // Two phases: probing only, then probing while /metrics is scraped every 15 s (3 scrapes).
  lag: { checks: 10_000, interval: '30s', phaseMs: quick ? 12_000 : 45_000, scrapeEveryMs: 15_000, firstScrapeAfterMs: 2000 },
  render: { checks: 10_000, renders: quick ? 3 : 10 },
};

const dir = mkdtempSync(join(tmpdir(), 'healthmon-bench-'));
const children = new Set();
const track = (child) => {
  children.add(child);
  child.once('exit', () => children.delete(child));
};
// Only the processes this bench started, each by its PID.
const killAll = () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function out(line = '') {
  process.stdout.write(`${line}\n`);
}

function warnings(r) {
  for (const w of r?.warnings ?? []) out(`  warning from healthmon: ${w}`);
}

function row(label, value, note = '') {
  out(`  ${`${label} `.padEnd(44, '.')} ${value}${note ? `   ${note}` : ''}`);
}

async function startTargets(count) {
  const child = fork(join(HERE, 'targets.js'), [String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  track(child);
  const ready = await withTimeout(
    new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`targets exited (${code})`)));
    }),
    10_000,
    'targets did not start',
  );
  const requests = () =>
    withTimeout(
      new Promise((resolve) => {
        const on = (m) => {
          if (m?.type === 'count') {
            child.off('message', on);
            resolve(m.requests);
          }
        };
        child.on('message', on);
        child.send({ type: 'count' });
      }),
      5000,
      'targets did not answer',
    );
  return { child, ports: ready.ports, requests };
}

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/** Runs one healthmon part in a fresh process; `onMessage` sees its other messages. */
async function runWorker(part, ports, options, budgetMs, onMessage = () => {}) {
  // Warnings are collected by the worker and reported with its part, not mixed into the table.
  const execArgv = ['--no-warnings', '--expose-gc'];
  if (args.profile) {
    const profDir = join(dir, 'profiles');
    mkdirSync(profDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${part}.cpuprofile`);
  }
  // Kept in the JSON: other work on the machine skews probes/s (less so CPU per probe).
  const load = loadavg()[0];
  const child = fork(join(HERE, 'worker.js'), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  track(child);
  const done = new Promise((resolve, reject) => {
    child.on('message', (msg) => {
      if (msg.type === 'result') resolve(msg.result);
      else if (msg.type === 'error') reject(new Error(`${part} failed in the worker:\n${msg.message}`));
      else onMessage(msg);
    });
    child.once('exit', (code, signal) => reject(new Error(`${part} worker exited (${code ?? signal}) without a result`)));
  });
  child.send({ part, ports, options, dir });
  try {
    const result = await withTimeout(done, budgetMs, `${part} took longer than ${budgetMs / 1000}s`);
    result.loadAverageBefore = round(load, 2);
    return result;
  } finally {
    // Let the worker exit by itself so that a --cpu-prof profile is written.
    await Promise.race([new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r))), sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Scrapes /metrics like a Prometheus server, from when the lag part asks until it ends. */
function scraper(everyMs, firstAfterMs, maxScrapes) {
  const scrapes = [];
  const timers = [];
  const scrape = async (port) => {
    if (scrapes.length >= maxScrapes) return;
    const t0 = performance.now();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      scrapes.push({ ms: performance.now() - t0, status: res.status, bytes: body.length });
    } catch (err) {
      scrapes.push({ ms: performance.now() - t0, error: err.message });
    }
  };
  return {
    onMessage(msg) {
      if (msg.type !== 'scrape') return;
      for (let i = 0; i < maxScrapes; i++) timers.push(setTimeout(() => void scrape(msg.port), firstAfterMs + i * everyMs));
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      return scrapes;
    },
  };
}

const machine = {
  node: process.version,
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model,
};

const results = { startedAt: new Date().toISOString(), machine, quick, parts: selected };
const started = performance.now();
out(`healthmon bench: node ${process.version}, ${machine.cpus} CPU(s) (${machine.cpuModel}), parts: ${selected.join(', ')}${quick ? ' (quick)' : ''}`);
out(`work dir: ${dir}; 1-minute load average before starting: ${loadavg()[0].toFixed(2)} (other work on the machine lowers probes/s)`);

const targets = await startTargets(Number(args.targets));
out(`targets: ${targets.ports.length} node:http servers in process ${targets.child.pid} on 127.0.0.1:${targets.ports.join(',')}`);
results.targets = { count: targets.ports.length, pid: targets.child.pid };

try {
  if (selected.includes('throughput')) {
    const s = SETTINGS.throughput;
    const r = await runWorker('throughput', targets.ports, s, s.warmupMs + s.measureMs + 60_000);
    results.throughput = r;
    out();
    out('[throughput] healthmon whole path: timer → scheduler → runCheck → http probe (fresh connection) → state store');
    out(`  ${r.checks} http checks every ${r.interval} (offered ${r.offeredPerSecond}/s), max_concurrency ${r.maxConcurrency}, measured ${r.wallSeconds}s after ${s.warmupMs / 1000}s warm-up`);
    row('probes per second at saturation', `${r.probesPerSecond}/s`, `(${r.saturated ? 'saturated' : 'NOT saturated: raise --offered'}: ${r.runsSkipped} runs skipped, mean in flight ${r.meanInFlight}/${r.maxConcurrency}, event loop ${Math.round(r.eventLoopUtilization * 100)}% busy)`);
    row('CPU seconds per 1,000 probes', `${r.cpuSecondsPer1000Probes} s`, `(user ${r.cpuUserSeconds} s + system ${r.cpuSystemSeconds} s for ${r.probes} probes)`);
    row('probes per CPU-second', `${r.probesPerCpuSecond}`);
    row('failed probes', `${r.failures}`, Object.keys(r.failureReasons).length ? JSON.stringify(r.failureReasons) : '');
    warnings(r);

    const o = await runWorker('throughput-runonce', targets.ports, SETTINGS.runOnce, 60_000);
    const b = await runWorker('throughput-bare', targets.ports, SETTINGS.bare, 60_000);
    results.throughputRunOnce = o;
    results.throughputBare = b;
    out('  for comparison, same machine and targets:');
    row(`  app.runOnce() back to back (${o.rounds} rounds)`, `${o.probesPerSecond}/s`, `${o.probesPerCpuSecond} probes per CPU-second, ${o.cpuSecondsPer1000Probes} CPU s per 1,000, ${o.failures} failed`);
    row('  bare node:http client, fresh connections', `${b.probesPerSecond}/s`, `${b.probesPerCpuSecond} probes per CPU-second, ${b.cpuSecondsPer1000Probes} CPU s per 1,000, ${b.failures} failed`);
    row('  healthmon CPU per probe over bare node:http', `${round(r.cpuSecondsPer1000Probes / b.cpuSecondsPer1000Probes, 2)}×`, '(scheduler path)');
  }

  if (selected.includes('peer')) {
    const s = SETTINGS.peer;
    let r;
    try {
      r = await runPeer({ ports: targets.ports, dir, ...s, track });
    } catch (err) {
      r = { error: err.message };
    }
    results.peer = r;
    out();
    out('[peer] prometheus-blackbox-exporter, module http_2xx, driven by wrk at /probe (CPU from /proc/<pid>/stat)');
    if (r.skipped) out(`  skipped: ${r.skipped}`);
    else if (r.error) out(`  failed: ${r.error}`);
    else {
      out(`  wrk -t${r.wrkThreads} -c${r.connections} for ${r.wallSeconds}s, targets rotated; only bodies with probe_success 1 count`);
      row('probes per second', `${r.probesPerSecond}/s`, `(${r.probesOk} ok, ${r.probesFailed} failed${r.socketErrors ? `, socket errors: ${r.socketErrors}` : ''})`);
      row('CPU seconds per 1,000 probes', `${r.cpuSecondsPer1000Probes} s`);
      row('probes per CPU-second', `${r.probesPerCpuSecond}`);
    }
    if (results.throughput && r.probesPerCpuSecond) {
      const ratio = results.throughput.probesPerCpuSecond / r.probesPerCpuSecond;
      results.ratio = { healthmonOverBlackboxPerCoreSecond: round(ratio, 2), target: 2.5, met: ratio >= 2.5 };
      row('healthmon / blackbox, probes per core-second', `${round(ratio, 2)}×`, `(target ≥ 2.5×: ${ratio >= 2.5 ? 'met' : 'MISSED'})`);
    }
  }

  if (selected.includes('lag')) {
    const s = SETTINGS.lag;
    const scrapes = scraper(s.scrapeEveryMs, s.firstScrapeAfterMs, Math.ceil((s.phaseMs - s.firstScrapeAfterMs) / s.scrapeEveryMs));
    let r;
    try {
      r = await runWorker('lag', targets.ports, s, 2 * s.phaseMs + 90_000, scrapes.onMessage);
    } finally {
      const done = scrapes.stop();
      if (r) r.scrapes = done.map((x) => ({ ...x, ms: round(x.ms, 1) }));
    }
    results.lag = r;
    out();
    out(`[lag] ${r.checks} http checks every ${r.interval} against the targets (real http kind, max_concurrency 64), ${r.durationSeconds}s in two phases`);
    row('runs', `${r.runs}`, `(${r.failures} failed${Object.keys(r.failureReasons).length ? ` ${JSON.stringify(r.failureReasons)}` : ''}; RSS after config load ${r.loadedRssMB} MB)`);
    for (const [name, p, what] of [
      ['quiet', r.quiet, `probing only, ${r.quiet.seconds}s`],
      ['scraped', r.scraped, `probing + GET /metrics every ${s.scrapeEveryMs / 1000}s, ${r.scraped.seconds}s`],
    ]) {
      out(`  ${name} (${what}):`);
      row('  p99 schedule lag', `${p.lagMs.p99} ms`, `(median ${p.lagMs.median} ms, max ${p.lagMs.max} ms over ${p.starts} starts; target < 1000 ms: ${p.lagMs.p99 < 1000 ? 'met' : 'MISSED'})`);
      row('  peak RSS (sampled every 500 ms)', `${p.peakRssMB} MB`, `(peak heap used ${p.peakHeapUsedMB} MB; target < 300 MB: ${p.peakRssMB < 300 ? 'met' : 'MISSED'})`);
      row('  event loop delay p99 / max', `${p.eventLoopDelayMs.p99} / ${p.eventLoopDelayMs.max} ms`);
      row('  CPU', `${p.cpuSeconds} s`, `(${round(p.cpuShareOfCore * 100, 1)}% of a core)`);
    }
    row('scrapes (wall ms, as seen by the scraper)', r.scrapes.length ? r.scrapes.map((x) => x.error ?? x.ms).join(', ') : 'none');
    row('p99 lag, histogram_quantile of the metric', `${round(r.lagP99FromHistogramSeconds * 1000, 1)} ms`, '(whole run, from healthmon_scheduler_lag_seconds)');
    row('VmHWM (whole run)', `${r.vmHwmMB} MB`, r.retainedHeapMB === undefined ? '' : `(heap retained after a full GC at the end: ${r.retainedHeapMB} MB)`);
    warnings(r);
  }

  if (selected.includes('render')) {
    const s = SETTINGS.render;
    const r = await runWorker('render', targets.ports, s, 180_000);
    results.render = r;
    out();
    out(`[render] /metrics with ${r.checks} checks that have a result (runOnce took ${r.runOnceSeconds}s, ${r.runOnceFailures} failed), ${r.text.renders} + ${r.openmetrics.renders} renders`);
    for (const format of ['text', 'openmetrics']) {
      const f = r[format];
      row(`${format}: scrape after every check changed, lines rebuilt in the background, median / max`, `${f.preparedMs.median} / ${f.preparedMs.max} ms`, `(target < 250 ms: ${f.preparedMs.max < 250 ? 'met' : f.preparedMs.median < 250 ? 'median met, max MISSED' : 'MISSED'})`);
      row(`${format}: background rebuild of 10,000 checks (spread over the interval), median`, `${f.backgroundMs.median} ms`);
      row(`${format}: scrape right after every check changed (nothing prepared), median / max`, `${f.totalMs.median} / ${f.totalMs.max} ms`);
      row(`${format}: scrape with no check changed, median / max`, `${f.warmMs.median} / ${f.warmMs.max} ms`);
      row(`${format}: body`, `${f.bodyMB} MB`, `(${f.bodyBytes} bytes, ${f.lines} lines)`);
    }
    warnings(r);
  }
  results.targets.requestsServed = await targets.requests().catch(() => undefined);
} catch (err) {
  results.error = err.message;
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
} finally {
  targets.child.disconnect();
  killAll();
}

results.elapsedSeconds = round((performance.now() - started) / 1000, 1);
if (args.profile) results.profiles = join(dir, 'profiles');
const file = resolve(args.out ?? join(dir, 'latest.json'));
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
out();
out(`done in ${results.elapsedSeconds}s; results: ${file}${args.profile ? `; CPU profiles: ${results.profiles} (read with: node bench/profile-top.js FILE)` : ''}`);
