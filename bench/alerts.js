// Alert delivery benchmarks (issue #4): 10,000 alerts firing at once across 100 groups go through
// createAlertingRuntime (router → aggregation groups → SQLite outbox → delivery worker) to a
// recording webhook server; measured: the cost of runtime.send() on the rule evaluator's path,
// latency from the send to each alert's arrival (goal: p99 ≤ group_wait + 1 s), requests per
// group, the outbox over time and memory (heap and RSS before, peak, after), then all resolved.
//
// As a module, run.js calls runAlerts and printAlerts. As a script it is forked by run.js's
// runWorker as the healthmon side, one scenario per process, and forks itself once more as the
// recording server (`record`), so parsing the payloads never runs on healthmon's event loop and
// healthmon's RSS can be sampled from outside even while its loop is blocked. Loopback only.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MB, peakRssBytes, quantile, round, sleep, withTimeout } from './lib.js';

const SELF = fileURLToPath(import.meta.url);
/** How often memory and the outbox are sampled while a round runs. */
const SAMPLE_MS = 50;

export function settings(quick) {
  const alerts = quick ? 1000 : 10_000;
  const groups = quick ? 10 : 100;
  return {
    alerts,
    groups,
    groupWait: '1s',
    groupWaitMs: 1000,
    groupInterval: '5m',
    /** The resolve cycle needs the groups' next flush within the round's bound (see cycle). */
    cycleGroupInterval: '10s',
    cycleGroupIntervalMs: 10_000,
    /** Hard bound per round; Slack's ~1 message/s makes `groups` seconds the floor there. */
    roundTimeoutMs: 120_000,
    slackRoundTimeoutMs: Math.max(120_000, groups * 1000 + 30_000),
  };
}

// ---------------------------------------------------------------------------------------------
// Orchestration, in run.js's process.

/** Every scenario in a fresh process: `runWorker(part, options, budgetMs)`. */
export async function runAlerts({ quick, runWorker }) {
  const s = settings(quick);
  const budget = (rounds, perRoundMs) => rounds * perRoundMs + 60_000;
  // A scenario that fails is reported as such; the others still run.
  const run = (part, options, budgetMs) => runWorker(part, options, budgetMs).catch((err) => ({ error: err.message }));
  const out = { settings: s };
  // The spec's config: group_wait 1s, group_interval 5m; all alerts in one runtime.send().
  out.once = await run('alerts-once', { ...s, receiver: 'webhook', mode: 'once', groupIntervalUsed: s.groupInterval }, budget(1, s.roundTimeoutMs));
  // The same alerts in `groups` calls of alerts/groups each: one call per alertname, as a rule
  // group's evaluation hands its transitions over, with the event loop free between calls.
  out.batched = await run('alerts-batched', { ...s, receiver: 'webhook', mode: 'batched', groupIntervalUsed: s.groupInterval }, budget(1, s.roundTimeoutMs));
  // Fire, let one no-op group_interval flush pass, then resolve all: a resolution is told at
  // the group's next flush, so group_interval is 10s here (5m would not fit the round's bound).
  out.cycle = await run('alerts-cycle', { ...s, receiver: 'webhook', mode: 'once', resolve: true, groupIntervalUsed: s.cycleGroupInterval }, budget(3, s.roundTimeoutMs));
  out.slack = await run('alerts-slack', { ...s, receiver: 'slack', mode: 'once', groupIntervalUsed: s.groupInterval, roundTimeoutMs: s.slackRoundTimeoutMs }, budget(1, s.slackRoundTimeoutMs));
  return out;
}

/** Prints the results with run.js's `out(line)` and `row(label, value, note)`. */
export function printAlerts(r, { out, row }) {
  const s = r.settings;
  out();
  out(`[alerts] ${s.alerts} alerts firing at once across ${s.groups} groups (group_by [alertname], group_wait ${s.groupWait}) through createAlertingRuntime → SQLite outbox → a recording server on 127.0.0.1`);
  const scenario = (title, x) => {
    out(`  ${title}`);
    if (x.error) return out(`    failed: ${x.error}`);
    for (const w of x.warnings ?? []) out(`    warning from healthmon: ${w}`);
    for (const rd of x.rounds) printRound(rd, x, { out, row });
    if (x.idle) {
      const i = x.idle;
      row('    no-op group_interval flush of all groups', `event loop blocked up to ${i.maxGapMs} ms`, `(event loop delay p99 ${i.eventLoopDelayMs.p99} ms, max ${i.eventLoopDelayMs.max} ms; CPU ${i.cpuMs} ms over ${i.seconds}s, ${i.requests} requests sent)`);
    }
    row('    VmHWM of the process (whole scenario)', `${x.vmHwmMB} MB`, `(config load + runtime created: RSS ${x.loaded.rssMB} MB, heap ${x.loaded.heapUsedMB} MB)`);
  };
  scenario(`webhook, group_interval ${s.groupInterval}, one runtime.send() of ${s.alerts} events:`, r.once);
  scenario(`webhook, group_interval ${s.groupInterval}, ${s.groups} runtime.send() calls of ${s.alerts / s.groups} (one alertname each, event loop free between calls):`, r.batched);
  scenario(`webhook, group_interval ${s.cycleGroupInterval}: fire all, one idle group_interval flush, resolve all (one call each):`, r.cycle);
  scenario(`slack (~1 message/s per integration), group_interval ${s.groupInterval}, one call; alerts counted from each message's "N firing" title:`, r.slack);
  for (const [what, x] of [['one call', r.once], [`${s.groups} calls`, r.batched]]) {
    const goal = x.rounds?.[0];
    if (!goal?.latencyMs) continue;
    const over = goal.latencyMs.p99 - s.groupWaitMs;
    row(`  goal: p99 latency ≤ group_wait + 1 s (webhook, ${what})`, `${goal.latencyMs.p99} ms = group_wait + ${round(over, 0)} ms`, over <= 1000 && !goal.timedOut && goal.arrived === goal.expected ? 'met' : 'MISSED');
  }
}

function printRound(rd, x, { out, row }) {
  out(`    round "${rd.name}" (${rd.status}, ${rd.calls} call${rd.calls === 1 ? '' : 's'}):${rd.timedOut ? `  TIMED OUT after ${rd.timeoutMs / 1000}s` : ''}`);
  if (rd.status === 'resolved') out(`      (a resolution is told at its group's next flush, group_interval ${x.groupInterval} after the group's last notification: that, not delivery, sets this latency)`);
  const c = rd.sendCostMs;
  row('      runtime.send() cost', rd.calls === 1 ? `${c.total} ms` : `${c.total} ms in all`, rd.calls === 1 ? `(${round((c.total * 1000) / rd.events, 1)} µs per event; CPU of the whole round ${rd.cpuMs} ms)` : `(per call median ${c.median} / max ${c.max} ms; CPU of the whole round ${rd.cpuMs} ms)`);
  row('      building the events (as toEvent, with fingerprints)', `${rd.buildMs} ms`, '(also on the rule evaluator\'s path, before runtime.send())');
  row('      alerts arrived', `${rd.arrived} of ${rd.expected}`, `(${rd.requests} requests, one per group expected: ${rd.requests === x.groups ? 'yes' : 'NO'}${rd.duplicates ? `, ${rd.duplicates} duplicate alerts` : ''}${rd.parseErrors ? `, ${rd.parseErrors} unparsable bodies` : ''}${rd.requests ? `; body median ${rd.bodyKB.median} KB, max ${rd.bodyKB.max} KB` : ''})`);
  if (rd.allArrivedMs !== undefined) row('      time until all arrived (from the first call)', `${rd.allArrivedMs} ms`, `(first request after ${rd.firstArrivalMs} ms)`);
  if (rd.latencyMs) {
    const l = rd.latencyMs;
    row('      latency per alert p50 / p90 / p99 / max', `${l.p50} / ${l.p90} / ${l.p99} / ${l.max} ms`, `(min ${l.min} ms; send call → end of the request body at the recorder)`);
    if (rd.overGroupWaitMs) {
      const o = rd.overGroupWaitMs;
      row('      latency − group_wait p50 / p90 / p99 / max', `${o.p50} / ${o.p90} / ${o.p99} / ${o.max} ms`);
    }
  }
  if (rd.outbox) {
    const d = rd.delivery;
    if (d.ok > 0) row('      in the outbox before delivered, p50 / p99 / max', `${d.queuedMs.p50} / ${d.queuedMs.p99} / ${d.queuedMs.max} ms`, `(${d.ok} ok, ${d.retry} retry, ${d.failed} failed; written to the outbox ${d.writtenAfterSendMs.min}–${d.writtenAfterSendMs.max} ms after the first call)`);
    const o = rd.outbox;
    row('      outbox size: peak, time at peak, empty again at', `${o.peak} at ${o.peakAtMs} ms, 0 at ${o.emptyAtMs ?? 'never'} ms`, `(sampled every ${SAMPLE_MS} ms)`);
    out(`        outbox over time (ms → rows): ${o.timeline.map(([t, n]) => `${t}→${n}`).join(', ')}`);
  }
  const m = rd.memory;
  row('      heap used: before → peak → after (GC)', `${m.before.heapUsedMB} → ${m.peak.heapUsedMB} → ${m.after.heapUsedMB} MB`, `(peak +${round(m.peak.heapUsedMB - m.before.heapUsedMB, 1)} MB at ${m.peak.heapAtMs} ms; right after send ${m.afterSend.heapUsedMB} MB; after, before GC ${m.afterNoGc.heapUsedMB} MB; the events themselves ${rd.eventsMB} MB, in "before", released once sent)`);
  row('      RSS: before → peak → after (GC)', `${m.before.rssMB} → ${m.peak.rssMB} → ${m.after.rssMB} MB`, `(peak sampled from outside the process: ${m.peakOutsideRssMB} MB; external+arrayBuffers ${m.before.externalMB} → ${m.after.externalMB} MB)`);
  row('      event loop: longest gap between samples', `${rd.maxSampleGapMs} ms`, `(event loop delay p99 ${rd.eventLoopDelayMs.p99} ms, max ${rd.eventLoopDelayMs.max} ms)`);
  if (rd.held) row('      held after the round', `${rd.held.routerAlerts} alerts, ${rd.held.routerGroups} groups, ${rd.held.outbox} outbox rows in SQLite`, `(db file ${rd.held.dbMB} MB + WAL ${rd.held.walMB} MB)`);
}

// ---------------------------------------------------------------------------------------------
// The recording server (script mode `record`): answers 200 at once, notes when each request's
// body ended and which alerts it carried, and samples its parent's RSS from /proc.

function recorderMain() {
  let round;
  const reset = (m) => {
    round = { name: m.round, status: m.status, expected: m.n, requests: [], seen: new Set(), arrived: 0, duplicates: 0, complete: false, peakRss: 0 };
  };
  reset({ round: 'none', status: 'firing', n: Infinity });
  const vmRss = () => {
    try {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${process.ppid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  let sampler;
  const note = (rec) => {
    const r = round;
    r.requests.push(rec);
    if (!r.complete && r.arrived >= r.expected) {
      r.complete = true;
      process.send({ type: 'complete', round: r.name });
    }
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
      const body = Buffer.concat(chunks);
      const r = round;
      const rec = { at, path: req.url, bytes: body.length };
      try {
        const json = JSON.parse(body.toString('utf8'));
        if (req.url === '/webhook') {
          // Alertmanager's webhook payload v4: one request per group, every alert with its labels.
          rec.group = json.groupLabels?.alertname;
          rec.checks = [];
          for (const a of json.alerts) {
            if (a.status !== r.status) continue;
            const check = a.labels.check;
            rec.checks.push(check);
            if (r.seen.has(check)) r.duplicates++;
            else {
              r.seen.add(check);
              r.arrived++;
            }
          }
        } else {
          // Slack: the alert list is packed into 3,000 characters; the title counts them all.
          rec.slack = [];
          for (const att of json.attachments ?? []) {
            const m = /^(\d+) (firing|resolved): (.*)$/.exec(att.title ?? '');
            if (!m) continue;
            rec.slack.push({ n: Number(m[1]), status: m[2], group: m[3] });
            if (m[2] !== r.status) continue;
            if (r.seen.has(m[3])) r.duplicates += Number(m[1]);
            else {
              r.seen.add(m[3]);
              r.arrived += Number(m[1]);
            }
          }
        }
      } catch (err) {
        rec.error = err.message;
      }
      note(rec);
    });
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => process.send({ type: 'ready', port: server.address().port }));
  process.on('message', (m) => {
    if (m.type === 'expect') {
      reset(m);
      clearInterval(sampler);
      sampler = setInterval(() => {
        round.peakRss = Math.max(round.peakRss, vmRss());
      }, SAMPLE_MS);
      process.send({ type: 'expecting' });
    } else if (m.type === 'collect') {
      clearInterval(sampler);
      const r = round;
      process.send({ type: 'collected', requests: r.requests, arrived: r.arrived, duplicates: r.duplicates, peakRss: r.peakRss });
    }
  });
  // The parent's exit (or a crash of it) closes the IPC channel: never outlive the bench.
  process.on('disconnect', () => {
    server.close();
    process.exit(0);
  });
}

/** Starts the recorder; `call(msg, replyType)` asks it something, `next(type)` waits for a message. */
async function startRecorder() {
  const child = fork(SELF, ['record'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--no-warnings'] });
  const waiters = [];
  child.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m.type && (w.round === undefined || w.round === m.round));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
  });
  const exited = new Promise((_, reject) => child.once('exit', (code, signal) => reject(new Error(`the recorder exited (${code ?? signal})`))));
  exited.catch(() => {});
  const next = (type, round) => Promise.race([new Promise((resolve) => waiters.push({ type, round, resolve })), exited]);
  const ready = next('ready');
  const call = (msg, replyType) => {
    const reply = next(replyType);
    child.send(msg);
    return reply;
  };
  const { port } = await withTimeout(ready, 10_000, 'the recorder did not start');
  return {
    port,
    call: (msg, replyType) => withTimeout(call(msg, replyType), 10_000, `the recorder did not answer ${msg.type}`),
    next,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}


// ---------------------------------------------------------------------------------------------
// The healthmon side (script mode, forked by run.js's runWorker): one scenario per process.

async function scenarioPart(msg) {
  const o = msg.options;
  // The build under test: dist/ of this tree (npm run bench builds it), or HEALTHMON_DIST.
  const DIST = process.env.HEALTHMON_DIST ? pathToFileURL(`${process.env.HEALTHMON_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
  const load = (path) => import(new URL(path, DIST).href);
  const { createAlertingRuntime } = await load('alerting/alerting-runtime.js');
  const { loadConfig } = await load('config/load.js');
  const { systemClock } = await load('core/clock.js');
  const { silentLogger } = await load('core/logger.js');
  const { PROBE_KINDS } = await load('probes/index.js');
  const { openDatabase } = await load('store/database.js');
  // The event's fingerprint is Alertmanager's, computed by the rule manager's toEvent
  // (core/alert-fingerprint.js); trees before that change had it in alerting/fingerprint.js.
  const { alertFingerprint } = await load('core/alert-fingerprint.js').catch(() => load('alerting/fingerprint.js'));
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc (run.js does)');

  const tmp = mkdtempSync(join(msg.dir, `${msg.part}-`));
  const recorder = await startRecorder();
  let runtime;
  let db;
  try {
    const file = join(tmp, 'healthmon.yaml');
    const receiverBlock = o.receiver === 'slack'
      ? `      slack_configs:\n        - url: http://127.0.0.1:${recorder.port}/slack\n          channel: "#bench"\n`
      : `      webhook_configs:\n        - url: http://127.0.0.1:${recorder.port}/webhook\n`;
    writeFileSync(file, [
      'server:',
      '  listen: 127.0.0.1:0',
      '  external_url: http://127.0.0.1:9469',
      'storage:',
      '  path: data',
      'alerting:',
      '  route:',
      '    receiver: hook',
      '    group_by: [alertname]',
      `    group_wait: ${o.groupWait}`,
      `    group_interval: ${o.groupIntervalUsed}`,
      '  receivers:',
      '    - name: hook',
      receiverBlock,
    ].join('\n'));
    const config = loadConfig(file, { kinds: PROBE_KINDS, env: {} });
    db = openDatabase(config.storagePath);
    const delivery = { ok: 0, retry: 0, failed: 0, done: [], pendingReports: 0 };
    runtime = createAlertingRuntime(config.alerting, {
      clock: systemClock,
      logger: silentLogger(),
      db,
      externalURL: config.rules.externalURL,
      evaluationIntervalMs: config.rules.evaluationIntervalMs,
      dependsOn: () => [],
      isDown: () => false,
      metrics: {
        sent(_receiver, _integration, outcome, latencyMs) {
          delivery[outcome] = (delivery[outcome] ?? 0) + 1;
          if (outcome === 'ok') delivery.done.push({ at: Date.now(), latencyMs });
        },
        pending() {
          delivery.pendingReports++;
        },
      },
      random: Math.random,
    });
    gc();
    const loaded = memory();

    // The events as the rule manager's toEvent builds them (rules/rule-manager.ts).
    const startsAt = Date.now();
    const events = (status) => {
      const list = [];
      for (let i = 0; i < o.alerts; i++) {
        const labels = { alertname: `A${i % o.groups}`, check: `c${i}`, severity: 'critical' };
        list.push({
          status,
          labels,
          annotations: { summary: `check c${i} is down`, description: `c${i} failed its last 2 runs (bench)` },
          startsAt,
          ...(status === 'resolved' ? { endsAt: Date.now() } : {}),
          generatorURL: `http://127.0.0.1:9469/graph?g0.expr=healthmon_check_up%7Bcheck%3D%22c${i}%22%7D+%3D%3D+0&g0.tab=1`,
          fingerprint: alertFingerprint(labels),
          value: 0,
          group: 'bench.yaml;bench',
        });
      }
      return list;
    };
    // One call per alertname in batched mode (alert i is in group i % groups).
    const batchesOf = (list) => {
      if (o.mode !== 'batched') return [list];
      const batches = Array.from({ length: o.groups }, () => []);
      list.forEach((e, i) => batches[i % o.groups].push(e));
      return batches;
    };
    const ctx = { runtime, db, recorder, delivery, o, dataDir: config.storagePath };
    const result = { groupInterval: o.groupIntervalUsed, groups: o.groups, loaded, rounds: [] };
    // The events are the rule evaluator's, alive when it sends them: built before `before` is
    // measured, weighed on their own, and let go once sent, so `after` is healthmon's own.
    const built = (status) => {
      gc();
      const h0 = process.memoryUsage().heapUsed;
      const t = performance.now();
      const batches = batchesOf(events(status));
      const buildMs = round(performance.now() - t, 1);
      gc();
      return { batches, buildMs, eventsMB: round((process.memoryUsage().heapUsed - h0) / MB, 1) };
    };
    const firing = await runRound(ctx, { name: 'fire', status: 'firing', ...built('firing') });
    result.rounds.push(firing);
    if (o.resolve && !firing.timedOut) {
      result.idle = await idleFlush(ctx, firing);
      result.rounds.push(await runRound(ctx, { name: 'resolve', status: 'resolved', ...built('resolved') }));
    }
    result.vmHwmMB = round((peakRssBytes() ?? NaN) / MB, 1);
    return result;
  } finally {
    runtime?.stop();
    db?.close();
    recorder.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function memory() {
  const m = process.memoryUsage();
  return { heapUsedMB: round(m.heapUsed / MB, 1), rssMB: round(m.rss / MB, 1), externalMB: round((m.external + m.arrayBuffers) / MB, 1) };
}

function gc() {
  globalThis.gc();
  globalThis.gc();
}

const stats = (values, digits = 0) => {
  const sorted = Float64Array.from(values).sort();
  const q = (p) => round(quantile(sorted, p), digits);
  return { n: sorted.length, min: round(sorted[0], digits), p50: q(0.5), p90: q(0.9), p99: q(0.99), max: round(sorted[sorted.length - 1], digits), median: q(0.5) };
};

/** Sends the batches, waits (bounded) until the recorder has every alert, and measures. */
async function runRound(ctx, { name, status, batches, buildMs, eventsMB }) {
  const { runtime, db, recorder, delivery, o } = ctx;
  const expected = batches.reduce((n, b) => n + b.length, 0);
  const calls = batches.length;
  const timeoutMs = o.roundTimeoutMs;
  await recorder.call({ type: 'expect', round: name, status, n: expected }, 'expecting');
  const complete = recorder.next('complete', name);
  const doneBefore = delivery.done.length;
  const counts0 = { ok: delivery.ok, retry: delivery.retry, failed: delivery.failed };
  gc();
  const before = memory();

  const samples = [];
  const t0 = performance.now();
  let last = t0;
  let maxGap = 0;
  const sample = () => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
    const m = process.memoryUsage();
    samples.push({ t: t - t0, heap: m.heapUsed, rss: m.rss, pending: runtime.router.outbox.pending() });
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const cpu0 = process.cpuUsage();

  // Which call carried alert i, and when that call was made.
  const callOf = new Int32Array(expected);
  const sentAt = [];
  const cost = [];
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b];
    const at = Date.now();
    const h = performance.now();
    runtime.send(batch);
    cost.push(performance.now() - h);
    sentAt.push(at);
    for (const e of batch) callOf[Number(e.labels.check.slice(1))] = b;
    if (b < batches.length - 1) await yieldToLoop();
    batches[b] = undefined;
  }
  const afterSend = memory();
  const firstSentAt = sentAt[0];

  let timer;
  const outcome = await Promise.race([
    complete.then(() => 'complete'),
    new Promise((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  // The recorder answers as the body ends: let delivery record the 2xx and empty the outbox.
  for (let i = 0; i < 250 && runtime.router.outbox.pending() > 0; i++) await sleep(20);
  sample();
  clearInterval(sampler);
  eld.disable();
  const cpu = process.cpuUsage(cpu0);
  const rec = await recorder.call({ type: 'collect' }, 'collected');
  await sleep(200);
  const afterNoGc = memory();
  gc();
  const after = memory();

  // Latency per alert: from the call that carried it to the end of the request that brought it.
  const latencies = [];
  let parseErrors = 0;
  for (const r of rec.requests) {
    if (r.error) parseErrors++;
    for (const check of r.checks ?? []) latencies.push(r.at - sentAt[callOf[Number(check.slice(1))]]);
    // Slack: every alert of the group arrives with its message; one call in this mode.
    for (const g of r.slack ?? []) if (g.status === status) for (let k = 0; k < g.n; k++) latencies.push(r.at - sentAt[0]);
  }
  const arrivals = rec.requests.map((r) => r.at);
  const lat = latencies.length ? stats(latencies) : undefined;
  const done = delivery.done.slice(doneBefore);

  const peakHeap = samples.reduce((a, s) => (s.heap > a.heap ? s : a), samples[0]);
  const peakRss = samples.reduce((a, s) => Math.max(a, s.rss), 0);
  const peakPending = samples.reduce((a, s) => (s.pending > a.pending ? s : a), samples[0]);
  const emptyAgain = samples.find((s) => s.t > peakPending.t && s.pending === 0);
  const held = {
    routerAlerts: db.prepare('SELECT COUNT(*) AS n FROM router_alerts').get().n,
    routerGroups: db.prepare('SELECT COUNT(*) AS n FROM router_groups').get().n,
    outbox: runtime.router.outbox.pending(),
    dbMB: round(fileSize(join(ctx.dataDir, 'healthmon.db')) / MB, 2),
    walMB: round(fileSize(join(ctx.dataDir, 'healthmon.db-wal')) / MB, 2),
  };
  return {
    name,
    status,
    firstSentAt,
    calls,
    eventsMB,
    buildMs,
    events: expected,
    expected,
    timeoutMs,
    timedOut: outcome === 'timeout',
    arrived: rec.arrived,
    duplicates: rec.duplicates,
    parseErrors,
    requests: rec.requests.length,
    bodyKB: rec.requests.length ? stats(rec.requests.map((r) => r.bytes / 1024), 1) : { median: NaN, max: NaN },
    sendCostMs: { total: round(cost.reduce((a, b) => a + b, 0), 1), ...stats(cost, 2) },
    cpuMs: round((cpu.user + cpu.system) / 1000, 0),
    firstArrivalMs: arrivals.length ? Math.min(...arrivals) - firstSentAt : undefined,
    allArrivedMs: outcome === 'complete' ? Math.max(...arrivals) - firstSentAt : undefined,
    latencyMs: lat,
    overGroupWaitMs: lat && status === 'firing' ? stats(latencies.map((l) => l - o.groupWaitMs)) : undefined,
    delivery: {
      ok: delivery.ok - counts0.ok,
      retry: delivery.retry - counts0.retry,
      failed: delivery.failed - counts0.failed,
      queuedMs: done.length ? stats(done.map((d) => d.latencyMs)) : {},
      writtenAfterSendMs: done.length ? stats(done.map((d) => d.at - d.latencyMs - firstSentAt)) : {},
    },
    outbox: {
      peak: peakPending.pending,
      peakAtMs: round(peakPending.t, 0),
      emptyAtMs: emptyAgain ? round(emptyAgain.t, 0) : undefined,
      timeline: timeline(samples),
    },
    memory: {
      before,
      afterSend,
      peak: { heapUsedMB: round(peakHeap.heap / MB, 1), heapAtMs: round(peakHeap.t, 0), rssMB: round(peakRss / MB, 1) },
      peakOutsideRssMB: round(rec.peakRss / MB, 1),
      afterNoGc,
      after,
    },
    maxSampleGapMs: round(maxGap, 0),
    eventLoopDelayMs: { p99: round(eld.percentile(99) / 1e6, 1), max: round(eld.max / 1e6, 1) },
    held,
  };
}

/** Outbox rows over time: every change, thinned to about 16 points (first, peak and last kept). */
function timeline(samples) {
  const changes = [];
  for (const s of samples) if (changes.length === 0 || changes.at(-1)[1] !== s.pending) changes.push([round(s.t, 0), s.pending]);
  if (changes.length <= 16) return changes;
  const peak = changes.reduce((a, c, i) => (c[1] > changes[a][1] ? i : a), 0);
  const step = (changes.length - 1) / 15;
  const picked = new Set([0, peak, changes.length - 1]);
  for (let i = 0; i < 16; i++) picked.add(Math.round(i * step));
  return [...picked].sort((a, b) => a - b).map((i) => changes[i]);
}

function fileSize(path) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Waits across the groups' next group_interval flush (nothing changed: no notification). */
async function idleFlush(ctx, firing) {
  const { o, recorder } = ctx;
  await recorder.call({ type: 'expect', round: 'idle', status: 'firing', n: Number.MAX_SAFE_INTEGER }, 'expecting');
  // Each group flushes again group_interval after it wrote its first notification to the outbox.
  const lastWritten = firing.delivery.writtenAfterSendMs.max ?? o.groupWaitMs;
  const untilMs = firing.firstSentAt + lastWritten + o.cycleGroupIntervalMs + 1500 - Date.now();
  const t0 = performance.now();
  let last = t0;
  let maxGap = 0;
  const sampler = setInterval(() => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
  }, SAMPLE_MS);
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const cpu0 = process.cpuUsage();
  await sleep(Math.max(0, untilMs));
  clearInterval(sampler);
  eld.disable();
  const cpu = process.cpuUsage(cpu0);
  const rec = await recorder.call({ type: 'collect' }, 'collected');
  return {
    seconds: round((performance.now() - t0) / 1000, 1),
    maxGapMs: round(maxGap, 0),
    eventLoopDelayMs: { p99: round(eld.percentile(99) / 1e6, 1), max: round(eld.max / 1e6, 1) },
    cpuMs: round((cpu.user + cpu.system) / 1000, 0),
    requests: rec.requests.length,
  };
}

function workerMain() {
  const warnings = new Set();
  process.on('warning', (w) => warnings.add(`${w.name}: ${w.message}`));
  process.once('message', async (msg) => {
    try {
      const result = await scenarioPart(msg);
      result.warnings = [...warnings];
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (err) {
      process.send({ type: 'error', message: err?.stack ?? String(err) }, () => process.exit(1));
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv[2] === 'record') recorderMain();
  else workerMain();
}
