// `npm run bench`: healthmon's probe throughput and CPU cost on the whole path, the same
// measured for prometheus-blackbox-exporter, schedule lag and memory at 10,000 checks, and
// /metrics render time. Loopback only, every loop bounded, about 3 minutes in all.
// Rule evaluation (bench/rules.js) runs only when asked for: `rules` (500 rules over 100,000
// series, and the bundled rules over 1,000 checks up to a full 6 h window, ~3 min) and `rules-peer` (the same rule files
// in Prometheus 2.42 over the same samples, compared, ~5 min and ~1 GB of temp files).
// Alert delivery (bench/alerts.js) runs only when asked for: `alerts` (10,000 alerts firing at
// once across 100 groups to a recording webhook, then resolved; Slack's rate limit; ~3 min).
// The status page (bench/status-page.js) runs only when asked for: `status` (GET / with 1,000
// checks and 30 days of history, SQLite and in-memory stores; goal < 300 ms server time; ~1 min).
// The history store (bench/history.js) runs only when asked for: `history` (30 days × 1,000 checks
// in SQLite; aggregate() over them, goal < 1 s; series() of 30 daily bars; append throughput; ~5 min),
// and `history-io` (bytes written per simulated day at 1,000 checks once a minute; ~1 min).
// The report and dashboard commands (bench/report.js) run only when asked for: `report` (30 days ×
// 1,000 checks in SQLite; the 30-day report, goal < 1 s; daily, weekly, renders, the dashboard and
// both commands end to end; ~1–2 min).
//
//   node bench/run.js [--only throughput,peer,lag,render,rules,rules-peer,alerts,status,history,history-io,report] [--out FILE] [--quick] [--profile]
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
import { round, sleep, withTimeout } from './lib.js';
import { runPeer } from './peer.js';
import { runRules, runRulesPeer } from './rules.js';
import { printAlerts, runAlerts } from './alerts.js';
import { printStatusPage, runStatusPage } from './status-page.js';
import { printHistory, printHistoryIo, runHistory, runHistoryIo } from './history.js';
import { printReportBench, runReportBench } from './report.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PARTS = ['throughput', 'peer', 'lag', 'render', 'rules', 'rules-peer', 'alerts', 'status', 'history', 'history-io', 'report'];
const DEFAULT_PARTS = ['throughput', 'peer', 'lag', 'render'];
/** Parts that probe the http targets; the others do not need them started. */
const TARGET_PARTS = ['throughput', 'peer', 'lag', 'render'];

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
  process.stdout.write('usage: node bench/run.js [--only throughput|peer|lag|render|rules|rules-peer|alerts|status|history|history-io|report[,…]] [--out FILE] [--quick] [--profile] [--concurrency N] [--offered PER_SECOND] [--targets N]\n');
  process.exit(0);
}
const only = (args.only ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
for (const o of only) if (!PARTS.includes(o)) fail(`unknown part "${o}"; expected one of ${PARTS.join(', ')}`);
const selected = only.length > 0 ? PARTS.filter((p) => only.includes(p)) : DEFAULT_PARTS;
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


/** Runs one healthmon part in a fresh process (bench/`script`); `onMessage` sees its other messages. */
async function runWorker(part, ports, options, budgetMs, onMessage = () => {}, script = 'worker.js') {
  // Warnings are collected by the worker and reported with its part, not mixed into the table.
  const execArgv = ['--no-warnings', '--expose-gc'];
  if (args.profile) {
    const profDir = join(dir, 'profiles');
    mkdirSync(profDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${part}.cpuprofile`);
  }
  // Kept in the JSON: other work on the machine skews probes/s (less so CPU per probe).
  const load = loadavg()[0];
  const child = fork(join(HERE, script), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

const needTargets = selected.some((p) => TARGET_PARTS.includes(p));
const targets = needTargets ? await startTargets(Number(args.targets)) : undefined;
if (targets) {
  out(`targets: ${targets.ports.length} node:http servers in process ${targets.child.pid} on 127.0.0.1:${targets.ports.join(',')}`);
  results.targets = { count: targets.ports.length, pid: targets.child.pid };
}
// The rule parts run their healthmon side in bench/rules.js, forked like worker.js.
const runRulesWorker = (part, options, budgetMs) => runWorker(part, [], options, budgetMs, undefined, 'rules.js');

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

  if (selected.includes('rules')) {
    const r = await runRules({ quick, dir, runWorker: runRulesWorker });
    results.rules = r;
    printRulesEval(`[rules] ${r.fleet.rules} rules (${r.fleet.ruleFile}) over ${r.fleet.seriesPerSnapshot} synthetic series`, r.fleet);
    out();
    if (r.bundled.missing) out(`[rules] bundled rules: missing (${r.bundled.missing} does not exist)`);
    else {
      printRulesEval(`[rules] bundled rules (${r.bundled.ruleFile}, ${r.bundled.rules} rules in ${r.bundled.groups.length} groups) over ${r.bundled.seriesPerSnapshot} series of ${r.settings.checks.checks} checks + host + self`, r.bundled);
      const verdict = (e) => (e.max < 50 ? 'met' : e.p90 < 50 ? 'median and p90 met, max MISSED' : e.median < 50 ? 'median met, p90 MISSED' : 'MISSED');
      for (const [label, e] of [['first minutes', r.bundled.evaluationMs], ['window full', r.bundled.steady?.evaluationMs]]) {
        if (e) row(`goal: bundled rules < 50 ms per evaluation, ${label}`, `${e.median} ms`, `(median; p90 ${e.p90} ms, max ${e.max} ms: ${verdict(e)})`);
      }
    }
  }

  if (selected.includes('rules-peer')) {
    let r;
    try {
      r = await runRulesPeer({ quick, dir, track, runWorker: runRulesWorker });
    } catch (err) {
      r = { error: err.stack ?? err.message };
    }
    results.rulesPeer = r;
    printRulesPeer(r);
  }
  if (selected.includes('alerts')) {
    const r = await runAlerts({ quick, runWorker: (part, options, budgetMs) => runWorker(part, [], options, budgetMs, undefined, 'alerts.js') });
    results.alerts = r;
    printAlerts(r, { out, row });
  }
  if (selected.includes('status')) {
    const r = await runStatusPage({ quick, runWorker: (part, options, budgetMs) => runWorker(part, [], options, budgetMs, undefined, 'status-page.js') });
    results.status = r;
    printStatusPage(r, { out, row });
  }
  if (selected.includes('report')) {
    const r = await runReportBench({ quick, runWorker: (part, options, budgetMs) => runWorker(part, [], options, budgetMs, undefined, 'report.js') });
    results.report = r;
    printReportBench(r, { out, row });
    warnings(r);
  }
  if (selected.includes('history')) {
    const r = await runHistory({ quick, runWorker: (part, options, budgetMs) => runWorker(part, [], options, budgetMs, undefined, 'history.js') });
    results.history = r;
    printHistory(r, { out, row });
  }
  if (selected.includes('history-io')) {
    const r = await runHistoryIo({ quick, runWorker: (part, options, budgetMs) => runWorker(part, [], options, budgetMs, undefined, 'history.js') });
    results.historyIo = r;
    printHistoryIo(r, { out, row });
  }
  if (targets) results.targets.requestsServed = await targets.requests().catch(() => undefined);
} catch (err) {
  results.error = err.message;
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
} finally {
  targets?.child.disconnect();
  killAll();
}

function printRulesEval(title, r) {
  out();
  out(title);
  out(`  build measured: ${r.build.dist} promql+rules sha256 ${r.build.sha256}, built ${r.build.builtAt}`);
  out(`  window filled with ${r.historyMinutes} min of snapshots every 15 s (${r.fillSeconds}s), then 1 cold + ${r.evaluationMs.n} measured evaluations, each after one more snapshot`);
  row('evaluation time, median / p90 / max', `${r.evaluationMs.median} / ${r.evaluationMs.p90} / ${r.evaluationMs.max} ms`, `(${r.evaluationMs.n} evaluations; cold first one ${r.coldEvaluationMs} ms)`);
  row('  CPU time per evaluation, median / max', `${r.evaluationCpuMs.median} / ${r.evaluationCpuMs.max} ms`, `(other processes kept ${r.otherProcessesCores} of ${machine.cpus} cores busy meanwhile)`);
  if (r.groups.length > 1) for (const g of r.groups) row(`  group ${g.id.slice(g.id.lastIndexOf(';') + 1)} (${g.rules} rules), median / max`, `${g.durationMs.median} / ${g.durationMs.max} ms`);
  row('append one snapshot, median / max', `${r.appendMs.median} / ${r.appendMs.max} ms`, `(${r.seriesPerSnapshot} series, label objects reused; first one, creating the series: ${r.appendMs.first} ms; building the samples: ${r.buildSnapshotMs.median} ms)`);
  row('append one snapshot, new label objects', `${r.appendFreshLabelsMs.median} ms`, '(median of 3: series found by key, not by identity)');
  row('window after fill: series / samples', `${r.window.afterFill.seriesCount} / ${r.window.afterFill.sampleCount}`, `(after the evaluations: ${r.window.afterEvaluations.seriesCount} / ${r.window.afterEvaluations.sampleCount}, rule outputs included)`);
  const m = r.memory;
  row('heap used before → after fill (after GC)', `${m.beforeFill.heapUsedMB} → ${m.afterFill.heapUsedMB} MB`, `(+${round(m.afterFill.heapUsedMB - m.beforeFill.heapUsedMB, 1)} MB; array buffers ${m.beforeFill.arrayBuffersMB} → ${m.afterFill.arrayBuffersMB} MB; after evaluations ${m.afterEvaluations.heapUsedMB} MB)`);
  row('RSS before → after fill', `${m.beforeFill.rssMB} → ${m.afterFill.rssMB} MB`, `(after evaluations ${m.afterEvaluations.rssMB} MB; before building the series ${m.loaded.rssMB} MB)`);
  out(`  window retention (longest range read by a rule + interval): ${r.retentionMinutes} min`);
  printRuleReport(r.report);
  if (r.steady) {
    const st = r.steady;
    out(`  steady state: appended and evaluated every 15 s until the window held ${st.windowMinutes} min (${st.fillSteps} steps in ${st.fillSeconds}s), then:`);
    row('  evaluation time, median / p90 / max', `${st.evaluationMs.median} / ${st.evaluationMs.p90} / ${st.evaluationMs.max} ms`, `(${st.evaluationMs.n} evaluations; CPU median ${st.evaluationCpuMs.median} ms; other processes kept ${st.otherProcessesCores} cores busy)`);
    for (const g of st.groups) row(`    group ${g.id.slice(g.id.lastIndexOf(';') + 1)} (${g.rules} rules), median / max`, `${g.durationMs.median} / ${g.durationMs.max} ms`);
    row('  append one snapshot, median / max', `${st.appendMs.median} / ${st.appendMs.max} ms`);
    row('  window: series / samples', `${st.window.seriesCount} / ${st.window.sampleCount}`);
    row('  heap used / array buffers / RSS (after GC)', `${st.memory.heapUsedMB} / ${st.memory.arrayBuffersMB} / ${st.memory.rssMB} MB`);
    printRuleReport(st.report, '  ');
  }
  warnings(r);
}

function printRuleReport(rep, indent = '') {
  row(`${indent}rules ok / failed`, `${rep.ok} / ${rep.failed}`, `(${rep.rulesWithOutput} returned samples, ${rep.outputSamples} samples in all; alerts firing ${rep.alertsFiring}, pending ${rep.alertsPending})`);
  for (const e of rep.errors) out(`${indent}    failing (${e.count}×): ${e.message}`);
  out(`${indent}  slowest rules (median ms per evaluation):`);
  for (const s of rep.slowest) out(`${indent}    ${String(s.ms).padStart(8)} ms  ${s.name}: ${s.expr}`);
}

function printRulesPeer(r) {
  out();
  out('[rules-peer] Prometheus 2.42 evaluating the same rule files over the same samples (backfill + live scrapes), healthmon replaying them');
  if (r.skipped) return out(`  skipped: ${r.skipped}`);
  if (r.error) return out(`  failed: ${r.error}`);
  const p = r.prometheus;
  out(`  rule files: ${r.ruleFiles.join(', ')}${r.bundled === 'missing' ? ' (bundled rules/alert_rules.yaml: missing)' : ''}`);
  row('backfill (promtool tsdb create-blocks-from openmetrics)', `${r.backfill.snapshots} snapshots × ${round(r.backfill.lines / r.backfill.snapshots, 0)} series`, `(${r.backfill.mb} MB written in ${r.backfill.writeSeconds}s, promtool ${r.backfill.promtoolSeconds}s; gap to the first live scrape ≈ ${p.gapSeconds}s)`);
  row('Prometheus', `pid ${p.pid}, ready ${p.readyAfterSeconds}s after promtool`, `(${p.headSeries} head series, RSS ${p.rssMB} MB, ${round(p.cpuShareOfCore * 100, 1)}% of a core while measured)`);
  row('other processes while each side was measured', `Prometheus ${p.otherProcessesCores}, healthmon ${r.healthmon.otherProcessesCores} of ${machine.cpus} cores`, '(the machine is shared: wall times stretch when this is high)');
  row('rules healthy in Prometheus', `${p.rulesHealth.ok} ok / ${p.rulesHealth.err} err`, p.rulesHealth.errors.join('; '));
  row('rules return data in Prometheus', `${p.dataCheck.alertsNow} ALERTS series, ${p.dataCheck.recordedSeriesNow} recorded series`);
  row('exposition server render, median', Object.entries(r.exposition).map(([k, v]) => `${k} ${v.median} ms`).join(', '), '(its own process)');
  out(`  healthmon build measured: ${r.healthmon.build.dist} promql+rules sha256 ${r.healthmon.build.sha256}, built ${r.healthmon.build.builtAt}`);
  row('replayed into healthmon', `${r.replay.scrapes} scrapes, ${r.replay.evaluations} group evaluations`, `(eval instants exact from outputs: ${Object.values(p.evalTimesExact).every(Boolean) ? 'all groups' : 'some groups use the wall clock'})`);
  out('  per group, median (p90, max) over warm evaluations — healthmon RuleGroup.evaluate vs prometheus_rule_group_last_duration_seconds:');
  for (const [g, x] of Object.entries(r.ratio)) {
    if (g === 'bundledFile') continue;
    const hm = r.healthmon.groups[g];
    const pg = p.groups[g];
    row(`  ${g.slice(g.lastIndexOf('/') + 1)}`, `${x.healthmonMs} ms vs ${x.prometheusMs} ms = ${x.ratio}×`, `(healthmon p90 ${hm?.durationMs.p90} max ${hm?.durationMs.max}, CPU median ${hm?.cpuMs.median}, n ${hm?.durationMs.n}; Prometheus p90 ${pg.lastDurationMs.p90} max ${pg.lastDurationMs.max}, n ${pg.lastDurationMs.n}, missed ${pg.missed}, failures ${pg.failures})`);
  }
  if (r.ratio.bundledFile) row('  bundled file, all groups', `${r.ratio.bundledFile.healthmonMs} ms vs ${r.ratio.bundledFile.prometheusMs} ms = ${r.ratio.bundledFile.ratio}×`);
  row('goal: healthmon ≤ 2× Prometheus (500-rule group)', `${r.goal.fleetRatio}×`, r.goal.met ? 'met' : 'MISSED');
  row('Prometheus per-rule evaluation, p50 / p90 / p99', `${['0.5', '0.9', '0.99'].map((q) => round((p.ruleEvaluationSeconds[q] ?? NaN) * 1000, 3)).join(' / ')} ms`, `(mean ${p.ruleEvaluationMeanMs} ms; prometheus_rule_evaluation_duration_seconds, all groups)`);
  out('  slowest rules, last evaluation — Prometheus:');
  for (const s of p.slowestRules) out(`    ${String(s.ms).padStart(8)} ms  ${s.name}: ${s.expr}`);
  out('  — healthmon (median):');
  for (const s of r.healthmon.report.slowest) out(`    ${String(s.ms).padStart(8)} ms  ${s.name}: ${s.expr}`);
  row('healthmon rules ok / failed', `${r.healthmon.report.ok} / ${r.healthmon.report.failed}`, `(alerts firing ${r.healthmon.report.alertsFiring}, pending ${r.healthmon.report.alertsPending}; window ${r.healthmon.window.seriesCount} series, RSS ${r.healthmon.memory.end.rssMB} MB)`);
  out('  results compared (the rules\' expressions, /api/v1/query vs engine.instant at the same instant):');
  for (const c of r.compare) {
    row(`  ${c.label} (${new Date(c.atMs).toISOString()})`, `${c.countsAgree}/${c.queries} series counts agree`, `(${c.fullyAgree}/${c.queries} labels and values too; ${c.nonEmpty} non-empty in Prometheus)`);
    for (const d of c.disagreements.slice(0, 5)) {
      out(`      ${d.name}: Prometheus ${d.promError ?? d.promCount} vs healthmon ${d.healthmonError ?? d.healthmonCount}${d.valueMismatches ? `, ${d.valueMismatches} values differ` : ''} — ${d.expr.replace(/\s+/g, ' ').slice(0, 120)}`);
      for (const e of d.examples ?? []) out(`        ${e}`);
    }
    if (c.disagreements.length > 5) out(`      … ${c.disagreements.length - 5} more in the JSON`);
  }
  warnings(r.healthmon);
}

results.elapsedSeconds = round((performance.now() - started) / 1000, 1);
if (args.profile) results.profiles = join(dir, 'profiles');
const file = resolve(args.out ?? join(dir, 'latest.json'));
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
out();
out(`done in ${results.elapsedSeconds}s; results: ${file}${args.profile ? `; CPU profiles: ${results.profiles} (read with: node bench/profile-top.js FILE)` : ''}`);
