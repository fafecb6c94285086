// Rule-evaluation benchmarks: healthmon's RuleGroup over a series window of 100,000 synthetic
// series with 500 rules, the bundled rules/alert_rules.yaml over 1,000 checks shaped like
// healthmon's /metrics, and a real Prometheus 2.42 evaluating the same rule files over the same
// samples (backfilled with promtool, then scraped live), with the results compared.
//
// As a module, run.js calls runRules / runRulesPeer. As a script it is forked twice over: as the
// healthmon side (run.js's runWorker, so memory and CPU are its own) and as the exposition
// server that writes the backfill and that Prometheus scrapes (so rendering never runs in the
// process that polls Prometheus). Every sample is a pure function of (series, time), so the
// window, the backfill and the live scrapes hold the same numbers.
import { execFile, fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MB, clockTicks, freePort, procCpuSeconds, quantile, round, sleep, withTimeout } from './lib.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';
export const BUNDLED_RULES = resolve(HERE, '../rules/alert_rules.yaml');

const STEP_MS = 15_000;
const LOOKBACK_MS = 5 * 60_000;
/** History before the first measured evaluation: covers rate(x[5m] offset 5m), increase(x[10m]), predict_linear(x[10m]). */
const HISTORY_MS = 11 * 60_000;
/** Counters start this long before the history, so they are not at zero when it begins. */
const LEAD_MS = 60 * 60_000;

export function settings(quick) {
  return {
    // 100 series per instance; 25 rules per job.
    fleet: quick ? { jobs: 4, instancesPerJob: 25 } : { jobs: 20, instancesPerJob: 50 },
    checks: { checks: quick ? 200 : 1000 },
    historyMs: HISTORY_MS,
    /** Measured evaluations after the first (cold) one. */
    evaluations: quick ? 10 : 20,
    /** Prometheus evaluations of the big group to wait for. */
    peerEvaluations: quick ? 4 : 10,
    /** The bundled rules' steady state: the window filled to its retention, at most this much. */
    steadyCapMs: quick ? 30 * 60_000 : 7 * 3_600_000,
  };
}

// ---------------------------------------------------------------------------------------------
// Synthetic series. Each one is a label record (reused across snapshots, as check-metrics keeps
// its label objects, so the window finds the series by identity) and a value function of
// s = seconds since the dataset's base and abs = epoch seconds.

const TAU = 2 * Math.PI;
const WOBBLE = TAU / 600;

/** A deterministic number in [0, 1) per (index, salt). */
function rnd(i, salt) {
  let h = Math.imul(i + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** A counter whose rate wobbles by ±a around `rate` over 10 minutes; never decreases. */
const counter = (rate, a = 0.3, phi = 0) => {
  const c = (a / WOBBLE) * Math.cos(phi);
  return (s) => rate * (s + c - (a / WOBBLE) * Math.cos(WOBBLE * s + phi));
};
const gauge = (base, amp, phi = 0, periodS = 600) => (s) => base + amp * Math.sin((TAU / periodS) * s + phi);
const constant = (v) => () => v;

class Dataset {
  labels = [];
  fns = [];
  #prefixes;

  add(labels, fn) {
    this.labels.push(labels);
    this.fns.push(fn);
  }

  get size() {
    return this.labels.length;
  }

  /** What one scrape at tMs holds: fresh sample objects around the same label objects. */
  samples(tMs, baseMs) {
    const s = (tMs - baseMs) / 1000;
    const abs = tMs / 1000;
    const n = this.labels.length;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { labels: this.labels[i], value: this.fns[i](s, abs) };
    return out;
  }

  /** `name{a="b",…}` per series, for the text exposition and the OpenMetrics backfill. */
  prefixes() {
    if (!this.#prefixes) {
      this.#prefixes = this.labels.map((l) => {
        let body = '';
        for (const k in l) if (k !== '__name__') body += `${body ? ',' : ''}${k}="${l[k].replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`;
        return `${l.__name__}{${body}}`;
      });
    }
    return this.#prefixes;
  }

  /** Text exposition (or OpenMetrics lines with a timestamp) of the samples at tMs, in ~1 MB chunks. */
  *lines(tMs, baseMs, withTimestamp) {
    const s = (tMs - baseMs) / 1000;
    const abs = tMs / 1000;
    const suffix = withTimestamp ? ` ${tMs / 1000}\n` : '\n';
    const prefixes = this.prefixes();
    let chunk = '';
    for (let i = 0; i < prefixes.length; i++) {
      chunk += `${prefixes[i]} ${formatValue(this.fns[i](s, abs))}${suffix}`;
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
}

function formatValue(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** 100 series per instance of a fleet of services: the kind of series alerting rules read. */
export function fleetDataset({ jobs, instancesPerJob }) {
  const d = new Dataset();
  const HANDLERS = ['/api/a', '/api/b', '/api/c', '/health'];
  const HANDLER_SHARE = [0.4, 0.3, 0.2, 0.1];
  const METHODS = [['GET', 0.8], ['POST', 0.2]];
  const LE = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const MOUNTS = [['/', '/dev/vda1', 'ext4'], ['/data', '/dev/vdb1', 'xfs'], ['/var/log', '/dev/vda2', 'ext4']];
  let i = 0;
  for (let j = 0; j < jobs; j++) {
    for (let k = 0; k < instancesPerJob; k++, i++) {
      const job = `svc-${j}`;
      const instance = `svc-${j}-${k}:8080`;
      const L = (name, extra) => ({ __name__: name, job, instance, ...extra });
      const r = (salt) => rnd(i, salt);
      const phi = TAU * r(1);
      const flaky = r(2) < 0.03;
      d.add(L('up'), flaky ? (s) => ((Math.floor(s / 240) + k) % 2 === 0 ? 0 : 1) : constant(1));
      const reqRate = 1 + 20 * r(3);
      const erroring = r(4) < 0.05;
      HANDLERS.forEach((handler, h) => {
        for (const [method, mShare] of METHODS) {
          for (const [code, share] of [['200', erroring ? 0.63 : 0.9], ['404', 0.07], ['500', erroring ? 0.3 : 0.03]]) {
            d.add(L('http_requests_total', { method, code, handler }), counter(reqRate * HANDLER_SHARE[h] * mShare * share, 0.3, phi));
          }
        }
      });
      const meanLatency = 0.02 + 0.4 * r(5) ** 4;
      HANDLERS.forEach((handler, h) => {
        const rate = reqRate * HANDLER_SHARE[h];
        for (const le of LE) d.add(L('http_request_duration_seconds_bucket', { handler, le: String(le) }), counter(rate * (1 - Math.exp(-le / meanLatency)), 0.3, phi));
        d.add(L('http_request_duration_seconds_bucket', { handler, le: '+Inf' }), counter(rate, 0.3, phi));
        d.add(L('http_request_duration_seconds_sum', { handler }), counter(rate * meanLatency, 0.3, phi));
        d.add(L('http_request_duration_seconds_count', { handler }), counter(rate, 0.3, phi));
      });
      d.add(L('process_cpu_seconds_total'), counter(0.05 + 0.95 * r(6) ** 3, 0.2, phi));
      d.add(L('process_resident_memory_bytes'), gauge(2e8 + 1.4e9 * r(7) ** 2, 5e7, phi));
      d.add(L('process_open_fds'), gauge(100 + 850 * r(8) ** 3, 30, phi));
      d.add(L('process_max_fds'), constant(1024));
      MOUNTS.forEach(([mountpoint, device, fstype], m) => {
        const size = 1e11;
        const free = size * (0.05 + 0.9 * r(9 + m));
        const filling = r(12 + m) < 0.1;
        const slope = free / (3 * 3600);
        const labels = { device, fstype, mountpoint };
        d.add(L('node_filesystem_avail_bytes', labels), filling ? (s) => Math.max(0, free - slope * (s - 3600)) : gauge(free, 1e8, phi));
        d.add(L('node_filesystem_size_bytes', labels), constant(size));
        d.add(L('node_filesystem_readonly', labels), constant(0));
      });
      ['timeout', 'db', 'validation'].forEach((type, t) => d.add(L('app_errors_total', { type }), counter(0.01 + 3 * r(15 + t) ** 3, 0.3, phi)));
      ['ingest', 'email'].forEach((queue, q) => {
        const g = gauge(500 * r(18 + q), 450 * r(20 + q), phi, 300);
        d.add(L('queue_depth', { queue }), (s) => Math.max(0, Math.round(g(s))));
      });
      const stuck = r(22) < 0.05;
      d.add(L('last_success_timestamp_seconds'), (s, abs) => (stuck ? Math.floor(abs / 60) * 60 - 900 : Math.floor(abs / 60) * 60));
    }
  }
  return d;
}

export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The series healthmon's /metrics shows for `checks` checks (labels check, kind, env, in the
 * order check-metrics writes them), a host's node_* series and the self metrics the bundled
 * rules read.
 */
export function checksDataset({ checks, ruleGroups = [] }) {
  const d = new Dataset();
  const KINDS = ['http', 'tcp', 'dns', 'tls'];
  const STATUSES = ['healthy', 'degraded', 'unhealthy', 'critical'];
  for (let c = 0; c < checks; c++) {
    const check = `check-${c}`;
    const kind = KINDS[c % KINDS.length];
    const env = c % 3 === 0 ? 'staging' : 'prod';
    const L = (name, extra) => ({ __name__: name, check, kind, env, ...extra });
    const r = (salt) => rnd(c + 1_000_000, salt);
    const critical = r(1) < 0.1;
    const x = r(2);
    const mode = x < 0.03 ? 'down' : x < 0.06 ? 'flap' : x < 0.1 ? 'slow' : 'ok';
    const failing = mode === 'down' ? () => true : mode === 'flap' ? (s) => Math.floor(s / 180) % 2 === 0 : () => false;
    const status = (s) => (failing(s) ? (critical ? 'critical' : 'unhealthy') : mode === 'slow' ? 'degraded' : 'healthy');
    const duration = mode === 'slow' ? 1.2 : 0.02 + 0.1 * r(3);
    const phi = TAU * r(4);
    d.add(L('probe_success'), (s) => (failing(s) ? 0 : 1));
    d.add(L('probe_duration_seconds'), (s) => (failing(s) ? 5 : duration * (1 + 0.1 * Math.sin(WOBBLE * s + phi))));
    if (kind === 'tls') {
      const days = 1 + 89 * r(5);
      d.add(L('probe_ssl_earliest_cert_expiry'), (s, abs) => Math.round(abs - s) + Math.round(days * 86400));
    }
    d.add(L('healthmon_check_up'), (s) => (failing(s) ? 0 : 1));
    for (const st of STATUSES) d.add(L('healthmon_check_status', { status: st }), (s) => (status(s) === st ? 1 : 0));
    d.add(
      L('healthmon_check_consecutive_failures'),
      mode === 'down' ? (s) => Math.floor(s / 15) : mode === 'flap' ? (s) => (failing(s) ? Math.floor((s % 180) / 15) + 1 : 0) : constant(0),
    );
    const target = kind === 'http' ? `https://svc-${c}.example.com/health` : kind === 'dns' ? `svc-${c}.example.com` : `svc-${c}.example.com:443`;
    d.add(L('healthmon_check_info', { critical: String(critical), target }), constant(1));
    d.add(L('healthmon_check_expected_response_time_seconds'), constant(0.5));
    const failShare = mode === 'down' ? 1 : mode === 'flap' ? 0.5 : 0.002;
    d.add(L('healthmon_checks_total', { result: 'success' }), counter((1 - failShare) / 15, 0));
    d.add(L('healthmon_checks_total', { result: 'failure' }), counter(failShare / 15, 0));
    const runs = 1 / 15;
    for (const le of DURATION_BUCKETS) d.add(L('healthmon_check_duration_seconds_bucket', { le: String(le) }), counter(runs * (1 - Math.exp(-le / duration)), 0));
    d.add(L('healthmon_check_duration_seconds_bucket', { le: '+Inf' }), counter(runs, 0));
    d.add(L('healthmon_check_duration_seconds_sum'), counter(runs * duration, 0));
    d.add(L('healthmon_check_duration_seconds_count'), counter(runs, 0));
  }
  const MODES = [['idle', 0.7], ['iowait', 0.03], ['irq', 0.01], ['nice', 0.005], ['softirq', 0.02], ['steal', 0.005], ['system', 0.08], ['user', 0.15]];
  for (let cpu = 0; cpu < 4; cpu++) for (const [mode, share] of MODES) d.add({ __name__: 'node_cpu_seconds_total', cpu: String(cpu), mode }, counter(share, 0.2, cpu));
  d.add({ __name__: 'node_memory_MemTotal_bytes' }, constant(16e9));
  d.add({ __name__: 'node_memory_MemAvailable_bytes' }, gauge(4e9, 1e9));
  for (const [mountpoint, device, fstype, free] of [['/', '/dev/vda1', 'ext4', 0.3], ['/boot', '/dev/vda2', 'ext4', 0.6], ['/run', 'tmpfs', 'tmpfs', 0.9]]) {
    const labels = { device, fstype, mountpoint };
    d.add({ __name__: 'node_filesystem_size_bytes', ...labels }, constant(5e10));
    d.add({ __name__: 'node_filesystem_avail_bytes', ...labels }, gauge(5e10 * free, 1e8));
    d.add({ __name__: 'node_filesystem_readonly', ...labels }, constant(0));
  }
  d.add({ __name__: 'node_load1' }, gauge(1, 0.5));
  d.add({ __name__: 'healthmon_config_last_reload_successful' }, constant(1));
  for (const rule_group of ruleGroups) d.add({ __name__: 'healthmon_rule_evaluation_failures_total', rule_group }, constant(0));
  return d;
}

/** The sources of one run: each a dataset appended (or scraped) under its own name. */
function buildSources(data) {
  const sources = {};
  if (data.fleet) sources.synthetic = fleetDataset(data.fleet);
  if (data.checks) sources.checks = checksDataset(data.checks);
  return sources;
}

// ---------------------------------------------------------------------------------------------
// The 500-rule file: 25 rules per job, shaped like real alerting rules (recording rules read by
// alerts, rate/increase under sum by, ratios, histogram_quantile over classic buckets, `and on()`,
// absent, predict_linear, topk, count by, regex matchers, offset), each scoped to its job as
// rule files per team or service are.

function fleetRules({ jobs, instancesPerJob }) {
  const rules = [];
  for (let j = 0; j < jobs; j++) {
    const J = `svc-${j}`;
    const J2 = `svc-${(j + 1) % jobs}`;
    const alert = (name, expr, forS, severity, summary) => ({
      alert: name,
      expr,
      for: forS,
      labels: { severity, team: `team-${j % 5}` },
      annotations: { summary, description: `{{ $labels.job }} {{ $labels.instance }}: ${name} ({{ $value | humanize }})` },
    });
    rules.push(
      { record: 'job_code:http_requests:rate5m', expr: `sum by (job, code) (rate(http_requests_total{job="${J}"}[5m]))` },
      { record: 'job:http_errors:ratio_rate5m', expr: `sum by (job) (rate(http_requests_total{job="${J}",code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{job="${J}"}[5m]))` },
      { record: 'instance:process_cpu:rate5m', expr: `rate(process_cpu_seconds_total{job="${J}"}[5m])` },
      { record: 'job_handler:http_request_duration_seconds:p99', expr: `histogram_quantile(0.99, sum by (job, handler, le) (rate(http_request_duration_seconds_bucket{job="${J}"}[5m])))` },
      alert('HighErrorRate', `job:http_errors:ratio_rate5m{job="${J}"} > 0.05`, '5m', 'critical', '{{ $labels.job }} answers {{ $value | humanizePercentage }} of requests with 5xx'),
      alert('InstanceDown', `up{job="${J}"} == 0`, '1m', 'critical', '{{ $labels.instance }} is down'),
      alert('HighLatencyP99', `job_handler:http_request_duration_seconds:p99{job="${J}"} > 0.5`, '5m', 'warning', '{{ $labels.handler }} p99 is {{ $value | humanizeDuration }}'),
      alert('ApiLatencyP50', `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{job="${J}",handler=~"/api/(a|b)"}[5m]))) > 0.1`, '5m', 'warning', 'median API latency {{ $value | humanizeDuration }}'),
      alert('HighMeanLatency', `sum by (instance) (rate(http_request_duration_seconds_sum{job="${J}"}[5m])) / sum by (instance) (rate(http_request_duration_seconds_count{job="${J}"}[5m])) > 0.25`, '5m', 'warning', 'mean latency {{ $value | humanizeDuration }}'),
      alert('ErrorBurst', `sum by (job, instance) (increase(app_errors_total{job="${J}",type!="timeout"}[10m])) > 500`, '0s', 'warning', '{{ $value | humanize }} errors in 10m'),
      alert('HighMemory', `avg_over_time(process_resident_memory_bytes{job="${J}"}[5m]) > 1.2e9`, '5m', 'warning', 'RSS {{ $value | humanize1024 }}B'),
      alert('FdsNearLimit', `process_open_fds{job="${J}"} / process_max_fds{job="${J}"} > 0.8`, '5m', 'warning', '{{ $value | humanizePercentage }} of file descriptors used'),
      alert('DiskFillingUp', `predict_linear(node_filesystem_avail_bytes{job="${J}",mountpoint=~"/|/data"}[10m], 4 * 3600) < 0 and node_filesystem_avail_bytes{job="${J}",mountpoint=~"/|/data"} / node_filesystem_size_bytes{job="${J}",mountpoint=~"/|/data"} < 0.5`, '10m', 'warning', '{{ $labels.mountpoint }} fills within 4h'),
      alert('DiskAlmostFull', `node_filesystem_avail_bytes{job="${J}"} / node_filesystem_size_bytes{job="${J}"} < 0.1 and node_filesystem_readonly{job="${J}"} == 0`, '5m', 'critical', '{{ $labels.mountpoint }} has {{ $value | humanizePercentage }} left'),
      alert('JobAbsent', `absent(up{job="${J}"})`, '5m', 'critical', 'no target of {{ $labels.job }}'),
      alert('HandlerAbsent', `absent(http_requests_total{job="${J}",handler="/api/v2"})`, '15m', 'info', '/api/v2 has no series'),
      alert('TooFewInstancesUp', `count by (job) (up{job="${J}"} == 1) < ${instancesPerJob - 1}`, '5m', 'warning', 'only {{ $value }} instances up'),
      alert('TopCpuConsumers', `topk(3, instance:process_cpu:rate5m{job="${J}"}) > 0.9`, '5m', 'info', '{{ $labels.instance }} uses {{ $value | humanize }} CPUs'),
      alert('QueueBacklog', `max_over_time(queue_depth{job="${J}"}[5m]) > 900`, '5m', 'warning', '{{ $labels.queue }} backlog {{ $value }}'),
      alert('JobStale', `time() - last_success_timestamp_seconds{job="${J}"} > 600`, '0s', 'warning', 'last success {{ $value | humanizeDuration }} ago'),
      alert('ErrorsWithTraffic', `sum(rate(http_requests_total{job="${J}",code="500"}[5m])) > 1 and on() sum(rate(http_requests_total{job="${J}"}[5m])) > 10`, '5m', 'critical', '{{ $value | humanize }} 500/s'),
      alert('TrafficDrop', `sum(rate(http_requests_total{job="${J}"}[5m])) < 0.8 * sum(rate(http_requests_total{job="${J}"}[5m] offset 5m))`, '10m', 'warning', 'traffic fell to {{ $value | humanize }} req/s'),
      alert('ClientErrorRatio', `sum by (handler) (rate(http_requests_total{job=~"${J}|${J2}",code=~"4.."}[5m])) / sum by (handler) (rate(http_requests_total{job=~"${J}|${J2}"}[5m])) > 0.1`, '5m', 'info', '{{ $labels.handler }} 4xx {{ $value | humanizePercentage }}'),
      alert('EvenInstancesDown', `count by (job) (up{job="${J}",instance=~"svc-[0-9]+-[0-9]*[02468]:8080"} == 0) > 1`, '5m', 'warning', '{{ $value }} even-numbered instances down'),
      alert('CpuHighSustained', `avg_over_time(instance:process_cpu:rate5m{job="${J}"}[5m]) > 0.8`, '10m', 'warning', '{{ $labels.instance }} CPU {{ $value | humanize }}'),
    );
  }
  return rules;
}

const yamlString = (s) => `'${String(s).replace(/'/g, "''")}'`;

/** The rule file, as YAML a person would write: one group of 25 rules per job. */
export function fleetRulesYaml(fleet) {
  const lines = ['# Written by bench/rules.js: 25 rules per job of the synthetic fleet, one group.', 'groups:', '  - name: fleet', '    rules:'];
  for (const r of fleetRules(fleet)) {
    lines.push(r.record ? `      - record: ${r.record}` : `      - alert: ${r.alert}`);
    lines.push(`        expr: ${yamlString(r.expr)}`);
    if (r.for) lines.push(`        for: ${r.for}`);
    for (const field of ['labels', 'annotations']) {
      if (!r[field]) continue;
      lines.push(`        ${field}:`);
      for (const [k, v] of Object.entries(r[field])) lines.push(`          ${k}: ${yamlString(v)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Statistics and result comparison.

function stats(values) {
  const sorted = Float64Array.from(values).sort();
  const r = (q) => round(quantile(sorted, q), 2);
  return { n: sorted.length, median: r(0.5), p90: r(0.9), max: sorted.length ? round(sorted[sorted.length - 1], 2) : NaN, min: sorted.length ? round(sorted[0], 2) : NaN };
}

/** CPU seconds the whole machine has spent busy so far (all cores, /proc/stat). */
function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / clockTicks();
}

/**
 * The machine is shared: measures how many cores processes other than `own()` (CPU seconds of
 * ours) kept busy meanwhile, so wall times taken at different moments can be judged.
 */
function contention(own) {
  const busy0 = machineBusySeconds();
  const own0 = own();
  const t0 = performance.now();
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    return round(Math.max(0, machineBusySeconds() - busy0 - (own() - own0)) / wallS, 2);
  };
}

const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function labelKey(labels) {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

function sameValue(a, b) {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Compares per query: same number of series, same label sets, same values. */
function compareResults(items, prom, hm) {
  const rows = [];
  for (const item of items) {
    const p = prom[item.id];
    const h = hm[item.id];
    const row = { id: item.id, name: item.name, expr: item.expr };
    if (!p || p.error || !h || h.error) {
      Object.assign(row, { agree: false, promError: p?.error, healthmonError: h?.error, promCount: p?.count, healthmonCount: h?.count });
      rows.push(row);
      continue;
    }
    row.promCount = p.count;
    row.healthmonCount = h.count;
    row.countAgree = p.count === h.count;
    const onlyProm = Object.keys(p.values).filter((k) => !(k in h.values));
    const onlyHm = Object.keys(h.values).filter((k) => !(k in p.values));
    const diff = Object.keys(p.values).filter((k) => k in h.values && !sameValue(p.values[k], h.values[k]));
    row.labelsAgree = onlyProm.length === 0 && onlyHm.length === 0;
    row.valueMismatches = diff.length;
    row.agree = row.countAgree && row.labelsAgree && diff.length === 0;
    if (!row.agree) {
      row.examples = [
        ...onlyProm.slice(0, 2).map((k) => `only in Prometheus: {${k}} ${p.values[k]}`),
        ...onlyHm.slice(0, 2).map((k) => `only in healthmon: {${k}} ${h.values[k]}`),
        ...diff.slice(0, 2).map((k) => `{${k}}: Prometheus ${p.values[k]}, healthmon ${h.values[k]}`),
      ];
    }
    rows.push(row);
  }
  return {
    queries: rows.length,
    countsAgree: rows.filter((r) => r.countAgree).length,
    fullyAgree: rows.filter((r) => r.agree).length,
    nonEmpty: rows.filter((r) => r.promCount > 0).length,
    disagreements: rows.filter((r) => !r.agree),
    rows: rows.map(({ id, name, promCount, healthmonCount, agree }) => ({ id, name, promCount, healthmonCount, agree })),
  };
}

// ---------------------------------------------------------------------------------------------
// Orchestration, in run.js's process.

/**
 * Parts 1 and 2: the 500-rule file over 100,000 synthetic series, then the bundled rules over
 * 1,000 checks, each in a fresh healthmon process. `runWorker(part, options, budgetMs)`.
 */
export async function runRules({ quick, dir, runWorker }) {
  const s = settings(quick);
  const fleetFile = join(dir, 'fleet-rules.yaml');
  writeFileSync(fleetFile, fleetRulesYaml(s.fleet));
  const common = { historyMs: s.historyMs, evaluations: s.evaluations, startMs: Math.floor(1_700_000_000_000 / STEP_MS) * STEP_MS };
  const fleet = await runWorker('rules-fleet', { ...common, ruleFiles: [fleetFile], data: { fleet: s.fleet } }, 15 * 60_000);
  fleet.ruleFile = fleetFile;
  let bundled;
  if (!existsSync(BUNDLED_RULES)) bundled = { missing: BUNDLED_RULES };
  else {
    // The longest range in the bundled file sets the window's retention for every series (6 h
    // today): measured again once the window is that full, as in a healthmon that ran that long.
    const steady = { capMs: s.steadyCapMs };
    bundled = await runWorker('rules-bundled', { ...common, steady, ruleFiles: [BUNDLED_RULES], data: { checks: { checks: s.checks.checks, selfMetricsForGroups: true } } }, 15 * 60_000);
    bundled.ruleFile = BUNDLED_RULES;
  }
  return { settings: s, fleet, bundled };
}


function run(file, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * MB }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args[0]} ${args[1] ?? ''} failed: ${err.message}\n${stderr}${stdout}`.slice(0, 4000)));
      else resolve({ stdout, stderr });
    });
  });
}

/** Forks this file as the exposition server; returns a request/response channel to it. */
async function startServer(track) {
  const child = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--no-warnings'] });
  track(child);
  let seq = 0;
  const pending = new Map();
  child.on('message', (m) => {
    const p = pending.get(m.seq);
    if (!p) return;
    pending.delete(m.seq);
    if (m.error) p.reject(new Error(`exposition server: ${m.error}`));
    else p.resolve(m.result);
  });
  const exited = new Promise((_, reject) => child.once('exit', (code, signal) => reject(new Error(`exposition server exited (${code ?? signal})`))));
  exited.catch(() => {});
  const ask = (type, body, timeoutMs) => {
    const id = ++seq;
    const answer = new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ seq: id, type, ...body });
    });
    return withTimeout(Promise.race([answer, exited]), timeoutMs, `exposition server did not answer "${type}" within ${timeoutMs / 1000}s`);
  };
  const stop = async () => {
    if (child.connected) child.disconnect();
    await Promise.race([new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r))), sleep(3000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return { child, ask, stop };
}

function parseExposition(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

async function getJson(url, timeoutMs = 30_000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

async function promQuery(base, expr, tMs) {
  try {
    const data = await getJson(`${base}/api/v1/query?query=${encodeURIComponent(expr)}&time=${tMs / 1000}`);
    if (data.resultType === 'scalar') return { type: 'scalar', count: 1, values: { '': Number(data.result[1]) } };
    if (data.resultType !== 'vector') return { error: `result type ${data.resultType}` };
    const values = {};
    for (const r of data.result) values[labelKey(r.metric)] = Number(r.value[1]);
    return { type: 'vector', count: data.result.length, values };
  } catch (err) {
    return { error: err.message };
  }
}

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** The rules of a file as Prometheus and healthmon both read it, with the names they record. */
function ruleItems(file, groups) {
  const items = [];
  for (const g of groups) {
    g.rules.forEach((r, i) => items.push({ id: `${file};${g.name}#${i}`, group: `${file};${g.name}`, name: r.alert ?? r.record, kind: r.alert ? 'alert' : 'record', expr: r.expr }));
  }
  return items;
}

/** Reads a rule file the simple way (this process does not load healthmon): names and expressions. */
async function readRuleGroups(file) {
  const { parse } = await import('yaml');
  const doc = parse(readFileSync(file, 'utf8'));
  return (doc?.groups ?? []).map((g) => ({ name: g.name, interval: g.interval, rules: (g.rules ?? []).map((r) => ({ alert: r.alert, record: r.record, expr: String(r.expr) })) }));
}

/**
 * Part 3: Prometheus 2.42 evaluating the same rule files over the same samples. The history is
 * backfilled with promtool, then Prometheus scrapes the exposition server live while its rule
 * groups run; afterwards healthmon replays exactly what Prometheus ingested (the backfill, then
 * each scrape at Prometheus's own timestamp with the values that scrape was served) and its
 * rule groups at Prometheus's evaluation instants, timing every evaluation; both are then asked
 * the rules' expressions at the same instants.
 */
export async function runRulesPeer({ quick, dir, track, runWorker }) {
  const missing = [PROMETHEUS, PROMTOOL].filter((p) => !existsSync(p));
  if (missing.length > 0) return { skipped: `not installed: ${missing.join(', ')}` };
  const s = settings(quick);
  const work = join(dir, 'rules-peer');
  mkdirSync(work, { recursive: true });
  // The backfill and the TSDB take ~1 GB: removed even when the bench is interrupted (run.js
  // exits on SIGINT/SIGTERM after killing Prometheus).
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  process.once('exit', cleanup);
  const dataDir = join(work, 'data');
  const omFile = join(work, 'history.om');
  const fleetFile = join(work, 'fleet-rules.yaml');
  writeFileSync(fleetFile, fleetRulesYaml(s.fleet));
  const ruleFiles = [fleetFile];
  const bundledMissing = !existsSync(BUNDLED_RULES);
  if (!bundledMissing) ruleFiles.push(BUNDLED_RULES);
  const result = { settings: s, ruleFiles, bundled: bundledMissing ? 'missing' : BUNDLED_RULES };

  const check = await run(PROMTOOL, ['check', 'rules', ...ruleFiles], 60_000).catch((err) => ({ error: err.message }));
  if (check.error) return { ...result, error: `promtool check rules rejected the rule files:\n${check.error}` };

  const fileGroups = {};
  for (const f of ruleFiles) fileGroups[f] = await readRuleGroups(f);
  const ruleGroupIds = Object.entries(fileGroups).flatMap(([f, gs]) => gs.map((g) => `${f};${g.name}`));
  const data = { fleet: s.fleet, checks: { checks: s.checks.checks, ruleGroups: ruleGroupIds } };
  // The last history instant is in the past, before anything is scraped: Prometheus rejects
  // samples older than its newest block.
  const endMs = Math.floor((Date.now() - 1000) / STEP_MS) * STEP_MS;
  const startMs = endMs - s.historyMs;
  const baseMs = startMs - LEAD_MS;
  Object.assign(result, { historyFromMs: startMs, historyToMs: endMs });

  const server = await startServer(track);
  let prom;
  try {
    await server.ask('init', { data, baseMs }, 120_000);
    const t0 = performance.now();
    const written = await server.ask('backfill', { file: omFile, fromMs: startMs, toMs: endMs, stepMs: STEP_MS }, 10 * 60_000);
    const t1 = performance.now();
    await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', omFile, dataDir], 20 * 60_000);
    const t2 = performance.now();
    rmSync(omFile, { force: true });
    result.backfill = { ...written, mb: round(written.bytes / MB, 1), writeSeconds: round((t1 - t0) / 1000, 1), promtoolSeconds: round((t2 - t1) / 1000, 1) };

    const { port } = await server.ask('listen', {}, 10_000);
    const promPort = await freePort();
    const base = `http://127.0.0.1:${promPort}`;
    const configFile = join(work, 'prometheus.yml');
    writeFileSync(configFile, prometheusConfig(ruleFiles, port));
    prom = await startPrometheus({ configFile, dataDir, promPort, work, track });
    result.prometheus = { version: '2.42.0 (Debian)', pid: prom.child.pid, gapSeconds: round((Date.now() - endMs) / 1000, 1) };
    await waitReady(base, prom, 120_000);
    result.prometheus.readyAfterSeconds = round((performance.now() - t2) / 1000, 1);

    // Poll Prometheus's own /metrics; each new last-evaluation time is one evaluation.
    const fleetGroup = `${fleetFile};fleet`;
    const evals = new Map();
    const cpu0 = procCpuSeconds(prom.child.pid);
    const promPid = prom.child.pid;
    const serverPid = server.child.pid;
    const others = contention(() => procCpuSeconds(promPid) + procCpuSeconds(serverPid) + selfCpuSeconds());
    const pollStart = performance.now();
    const deadline = pollStart + (s.peerEvaluations + 6) * STEP_MS + 90_000;
    let last = [];
    while (performance.now() < deadline) {
      if (prom.child.exitCode !== null) throw new Error(`prometheus exited (${prom.child.exitCode}): ${prom.stderr().slice(-2000)}`);
      const text = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text(), () => '');
      last = parseExposition(text);
      for (const m of last) {
        if (m.name !== 'prometheus_rule_group_last_evaluation_timestamp_seconds' || m.value <= 0) continue;
        const g = m.labels.rule_group;
        const dur = last.find((x) => x.name === 'prometheus_rule_group_last_duration_seconds' && x.labels.rule_group === g)?.value;
        const list = evals.get(g) ?? [];
        if (list.at(-1)?.wallS !== m.value) list.push({ wallS: m.value, durationS: dur });
        evals.set(g, list);
      }
      const done = ruleGroupIds.every((g) => (evals.get(g)?.length ?? 0) >= (g === fleetGroup ? s.peerEvaluations : s.peerEvaluations - 1));
      if (done) break;
      await sleep(2000);
    }
    const measuredS = (performance.now() - pollStart) / 1000;
    const cpuS = procCpuSeconds(prom.child.pid) - cpu0;
    result.prometheus.otherProcessesCores = others();
    const metric = (name, labels = {}) => last.find((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v))?.value;
    result.prometheus.cpuShareOfCore = round(cpuS / measuredS, 3);
    result.prometheus.rssMB = round((rssBytes(prom.child.pid) ?? NaN) / MB, 1);
    result.prometheus.headSeries = metric('prometheus_tsdb_head_series');
    result.prometheus.ruleEvaluationSeconds = Object.fromEntries(['0.5', '0.9', '0.99'].map((q) => [q, metric('prometheus_rule_evaluation_duration_seconds', { quantile: q })]));
    const evalSum = metric('prometheus_rule_evaluation_duration_seconds_sum');
    const evalCount = metric('prometheus_rule_evaluation_duration_seconds_count');
    result.prometheus.ruleEvaluationMeanMs = evalCount ? round((evalSum / evalCount) * 1000, 3) : undefined;
    result.prometheus.groupDurationSeconds = Object.fromEntries(['0.5', '0.9', '0.99'].map((q) => [q, metric('prometheus_rule_group_duration_seconds', { quantile: q })]));
    result.prometheus.groups = {};
    for (const g of ruleGroupIds) {
      const list = evals.get(g) ?? [];
      // The first evaluation after startup is cold (and may find no live sample yet).
      const warm = list.length > 2 ? list.slice(1) : list;
      result.prometheus.groups[g] = {
        evaluations: list.length,
        lastDurationMs: stats(warm.map((e) => e.durationS * 1000)),
        firstDurationMs: list[0] ? round(list[0].durationS * 1000, 2) : undefined,
        iterations: metric('prometheus_rule_group_iterations_total', { rule_group: g }),
        missed: metric('prometheus_rule_group_iterations_missed_total', { rule_group: g }),
        failures: metric('prometheus_rule_evaluation_failures_total', { rule_group: g }),
      };
    }

    // Rule health and per-rule times of the last evaluation.
    const api = await getJson(`${base}/api/v1/rules`);
    const promRules = api.groups.flatMap((g) => g.rules.map((r) => ({ group: `${g.file};${g.name}`, name: r.name, health: r.health, lastError: r.lastError, ms: r.evaluationTime * 1000, query: r.query })));
    result.prometheus.rulesHealth = {
      ok: promRules.filter((r) => r.health === 'ok').length,
      err: promRules.filter((r) => r.health === 'err').length,
      errors: [...new Set(promRules.filter((r) => r.lastError).map((r) => `${r.name}: ${r.lastError}`))].slice(0, 5),
    };
    result.prometheus.slowestRules = promRules
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map((r) => ({ ms: round(r.ms, 2), name: r.name, expr: r.query.slice(0, 140) }));

    // What Prometheus ingested: the scrape timestamps of each job (from its `up` series)...
    const scrapes = {};
    for (const job of ['synthetic', 'checks']) {
      const d = await getJson(`${base}/api/v1/query?query=${encodeURIComponent(`up{job="${job}"}[1h]`)}&time=${Date.now() / 1000}`);
      scrapes[job] = (d.result[0]?.values ?? []).map(([t, v]) => ({ t: Math.round(t * 1000), up: v === '1' }));
    }
    // ...and the evaluation instants of each group: exact from the timestamps of its outputs
    // when it has any, otherwise the wall clock at the start of the evaluation (a few ms later).
    const evalTimes = {};
    for (const g of ruleGroupIds) {
      const [file, name] = [g.slice(0, g.lastIndexOf(';')), g.slice(g.lastIndexOf(';') + 1)];
      const def = fileGroups[file].find((x) => x.name === name);
      const walls = (evals.get(g) ?? []).map((e) => Math.floor(e.wallS * 1000));
      const intervalMs = def.interval ? parseDurationMs(def.interval) : STEP_MS;
      const outputs = [...new Set(def.rules.map((r) => r.record).filter(Boolean))];
      const alerts = [...new Set(def.rules.map((r) => r.alert).filter(Boolean))];
      let exact;
      const selectors = [...outputs.map((n) => `{__name__="${n}"}`), ...(alerts.length ? [`ALERTS_FOR_STATE{alertname=~"${alerts.join('|')}"}`] : [])];
      for (const sel of selectors) {
        const d = await getJson(`${base}/api/v1/query?query=${encodeURIComponent(`${sel}[1h]`)}&time=${Date.now() / 1000}`);
        const ts = d.result.flatMap((r) => r.values.map(([t]) => Math.round(t * 1000)));
        if (ts.length > 0) {
          exact = ts[0];
          break;
        }
      }
      const phase = exact === undefined ? undefined : ((exact % intervalMs) + intervalMs) % intervalMs;
      evalTimes[g] = {
        exact: exact !== undefined,
        times: walls.map((w) => (phase === undefined ? w : w - ((((w - phase) % intervalMs) + intervalMs) % intervalMs))),
      };
    }
    result.prometheus.evalTimesExact = Object.fromEntries(Object.entries(evalTimes).map(([g, e]) => [g, e.exact]));

    // The rules' expressions at the last history instant (backfilled data only, so only those
    // that read no rule output) and at each group's last evaluation (everything).
    const recorded = new Set(Object.values(fileGroups).flatMap((gs) => gs.flatMap((g) => g.rules.map((r) => r.record).filter(Boolean))));
    const readsOutputs = (expr) => /\bALERTS(_FOR_STATE)?\b/.test(expr) || [...recorded].some((n) => new RegExp(`(^|[^a-zA-Z0-9_:])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-zA-Z0-9_:])`).test(expr));
    const items = ruleFiles.flatMap((f) => ruleItems(f, fileGroups[f]));
    const lastAt = Math.max(...Object.values(evalTimes).map((e) => e.times.at(-1) ?? -Infinity));
    const compare = [
      // On the 15 s grid a sample lies exactly at t − range: Prometheus 2.42 counts it, healthmon's
      // left-open windows (Prometheus 3) do not, so values may differ there and agree between samples.
      { label: 'history end, on a sample (range start closed in 2.42, open in 3.x)', atMs: endMs, items: items.filter((i) => !readsOutputs(i.expr)) },
      { label: 'history end − 7.5 s, between samples', atMs: endMs - STEP_MS / 2, items: items.filter((i) => !readsOutputs(i.expr)) },
      ...ruleGroupIds.map((g) => ({ label: `last evaluation of ${g}`, atMs: evalTimes[g].times.at(-1), items: items.filter((i) => i.group === g) })),
      { label: 'alerts at the last evaluation', atMs: lastAt, items: [{ id: 'ALERTS', name: 'ALERTS', expr: 'ALERTS' }, { id: 'ALERTS_FOR_STATE', name: 'ALERTS_FOR_STATE', expr: 'ALERTS_FOR_STATE' }] },
    ].filter((c) => Number.isFinite(c.atMs));
    const promAnswers = [];
    for (const c of compare) {
      const answers = await mapLimit(c.items, 4, (i) => promQuery(base, i.expr, c.atMs));
      promAnswers.push(Object.fromEntries(c.items.map((i, k) => [i.id, answers[k]])));
    }
    result.prometheus.dataCheck = {
      alertsNow: (await promQuery(base, 'count(ALERTS)', Date.now())).values?.[''] ?? 0,
      recordedSeriesNow: (await promQuery(base, `count({__name__=~"${[...recorded].join('|') || 'none'}"})`, Date.now())).values?.[''] ?? 0,
    };

    // Stop Prometheus before healthmon runs, so they never share the 2 cores.
    await prom.stop();
    prom = undefined;
    const served = await server.ask('served', {}, 10_000);
    result.exposition = served.renderMs;
    await server.stop();

    // Each scrape Prometheus stored, with the instant its values were computed for.
    const events = [];
    for (const job of ['synthetic', 'checks']) {
      const times = served.times[job];
      let k = 0;
      for (const { t, up } of scrapes[job]) {
        if (t <= endMs || !up) continue;
        while (k < times.length && times[k] < t - 50) k++;
        if (k < times.length && times[k] - t < 10_000) events.push({ t, type: 'scrape', source: job, valueAtMs: times[k++] });
      }
    }
    for (const g of ruleGroupIds) for (const t of evalTimes[g].times) if (t <= lastAt) events.push({ t, type: 'eval', group: g });
    events.sort((a, b) => a.t - b.t || (a.type === 'scrape' ? -1 : 1));
    result.replay = { scrapes: events.filter((e) => e.type === 'scrape').length, evaluations: events.filter((e) => e.type === 'eval').length };

    const hm = await runWorker(
      'rules-replay',
      { ruleFiles, data, baseMs, historyFromMs: startMs, historyToMs: endMs, events: events.filter((e) => e.t <= lastAt), compare: compare.map((c) => ({ atMs: c.atMs, items: c.items })) },
      15 * 60_000,
    );
    result.healthmon = hm;
    result.compare = compare.map((c, k) => ({ label: c.label, atMs: c.atMs, ...compareResults(c.items, promAnswers[k], hm.compare[k]) }));

    // healthmon / Prometheus, per group and for the bundled file as a whole.
    result.ratio = {};
    for (const g of ruleGroupIds) {
      const h = hm.groups[g]?.durationMs.median;
      const p = result.prometheus.groups[g]?.lastDurationMs.median;
      result.ratio[g] = { healthmonMs: h, prometheusMs: p, ratio: p > 0 ? round(h / p, 2) : undefined };
    }
    const fleetRatio = result.ratio[fleetGroup];
    result.goal = { target: 2, fleetRatio: fleetRatio?.ratio, met: fleetRatio?.ratio !== undefined && fleetRatio.ratio <= 2 };
    if (!bundledMissing) {
      const bundledIds = ruleGroupIds.filter((g) => g.startsWith(`${BUNDLED_RULES};`));
      const h = bundledIds.reduce((n, g) => n + (hm.groups[g]?.durationMs.median ?? 0), 0);
      const p = bundledIds.reduce((n, g) => n + (result.prometheus.groups[g]?.lastDurationMs.median ?? 0), 0);
      result.ratio.bundledFile = { healthmonMs: round(h, 2), prometheusMs: round(p, 2), ratio: p > 0 ? round(h / p, 2) : undefined };
    }
    return result;
  } finally {
    if (prom) await prom.stop();
    await server.stop();
    cleanup();
    process.off('exit', cleanup);
  }
}

function parseDurationMs(text) {
  const m = /^(\d+)(ms|s|m|h)$/.exec(String(text));
  return m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]] : STEP_MS;
}

function rssBytes(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Two jobs on the exposition server: the fleet keeps its own job/instance labels (honor_labels),
 * the checks lose the ones Prometheus adds, so both hold exactly the series healthmon's window holds.
 */
function prometheusConfig(ruleFiles, port) {
  return `global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files:
${ruleFiles.map((f) => `  - ${JSON.stringify(f)}`).join('\n')}
scrape_configs:
  - job_name: synthetic
    honor_labels: true
    metrics_path: /synthetic
    scrape_timeout: 10s
    static_configs:
      - targets: ['127.0.0.1:${port}']
  - job_name: checks
    metrics_path: /checks
    scrape_timeout: 10s
    static_configs:
      - targets: ['127.0.0.1:${port}']
    metric_relabel_configs:
      - action: labeldrop
        regex: job|instance
`;
}

async function startPrometheus({ configFile, dataDir, promPort, work, track }) {
  const child = spawn(
    PROMETHEUS,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn', '--storage.tsdb.retention.time=1d'],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: work },
  );
  track(child);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(15_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return { child, stop, stderr: () => stderr };
}

async function waitReady(base, prom, timeoutMs) {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (prom.child.exitCode !== null) throw new Error(`prometheus exited (${prom.child.exitCode}): ${prom.stderr().slice(-2000)}`);
    const ok = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`prometheus was not ready within ${timeoutMs / 1000}s: ${prom.stderr().slice(-2000)}`);
}

// ---------------------------------------------------------------------------------------------
// Script mode: the healthmon side (forked by run.js's runWorker) or the exposition server.

async function loadHealthmon() {
  // The build under test: dist/ of this tree, or HEALTHMON_DIST to compare another build.
  const DIST = process.env.HEALTHMON_DIST ? pathToFileURL(`${process.env.HEALTHMON_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
  const load = (path) => import(new URL(path, DIST).href);
  // Others may rebuild dist/ while the bench runs: say which build was measured.
  const hash = createHash('sha256');
  let newest = 0;
  for (const dir of ['promql', 'rules', 'rules/template']) {
    const path = fileURLToPath(new URL(`${dir}/`, DIST));
    for (const f of readdirSync(path).filter((f) => f.endsWith('.js')).sort()) {
      hash.update(readFileSync(join(path, f)));
      newest = Math.max(newest, statSync(join(path, f)).mtimeMs);
    }
  }
  const [promql, ruleFile, ruleGroup, span] = await Promise.all([load('promql/index.js'), load('rules/rule-file.js'), load('rules/rule-group.js'), load('rules/window-span.js')]);
  return { ...promql, ...ruleFile, ...ruleGroup, ...span, build: { dist: fileURLToPath(DIST), sha256: hash.digest('hex').slice(0, 12), builtAt: new Date(newest).toISOString() } };
}

/** The window, engine and rule groups as rule-manager.ts builds them. */
function setUp(hm, ruleFiles) {
  const defs = [];
  for (const file of ruleFiles) {
    const parsed = hm.parseRuleFile(readFileSync(file, 'utf8'), file);
    if (parsed.errors.length > 0) throw new Error(`healthmon rejected ${file}:\n${parsed.errors.join('\n')}`);
    defs.push(...parsed.groups);
  }
  const window = hm.createSeriesWindow({ retentionMs: LOOKBACK_MS });
  const engine = hm.createEngine({ window });
  // Counts what each rule appended, for the report; RuleGroup only appends through it.
  const outputs = new Map();
  const counting = {
    append(t, samples, source) {
      outputs.set(source, samples.length);
      window.append(t, samples, source);
    },
  };
  const template = { externalLabels: {}, externalURL: '' };
  const groups = defs.map((def) => new hm.RuleGroup(def, def.intervalMs ?? STEP_MS, def.queryOffsetMs ?? 0, { window: counting, engine, template }));
  // Kept as the rule manager keeps it: the lookback for all, longer only for metrics read further back.
  const { retentionMs, byName } = hm.windowRetention(groups, LOOKBACK_MS);
  window.retain(retentionMs, byName);
  // The window is full once the longest-kept metric is.
  return { window, engine, groups, outputs, retentionMs: Math.max(retentionMs, ...byName.values()) };
}

function memory() {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { heapUsedMB: round(m.heapUsed / MB, 1), arrayBuffersMB: round(m.arrayBuffers / MB, 1), rssMB: round(m.rss / MB, 1) };
}

/** The self metrics carry the rule_group of each group evaluated, when asked to. */
function dataFor(data, groups) {
  if (!data.checks?.selfMetricsForGroups) return data;
  return { ...data, checks: { checks: data.checks.checks, ruleGroups: groups.map((g) => g.id) } };
}

/** What the rules produced at the last evaluation, and how healthy they are. */
function ruleReport(groups, outputs, durations) {
  const rules = groups.flatMap((g) => g.rules.map((r) => ({ g, r })));
  const errors = new Map();
  let firing = 0;
  let pending = 0;
  let withOutput = 0;
  let outputSamples = 0;
  for (const { g, r } of rules) {
    if (r.health === 'err') errors.set(r.lastError, (errors.get(r.lastError) ?? 0) + 1);
    for (const a of r.alerts.values()) {
      if (a.state === 'firing') firing++;
      else if (a.state === 'pending') pending++;
    }
    const n = outputs.get(g.sourceOf(r)) ?? 0;
    if (n > 0) withOutput++;
    outputSamples += n;
  }
  const slowest = rules
    .map(({ g, r }) => ({ ms: stats(durations.get(g.sourceOf(r)) ?? []).median, name: r.rule.name, expr: r.rule.exprText.replace(/\s+/g, ' ').slice(0, 140) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5);
  return {
    rules: rules.length,
    ok: rules.filter(({ r }) => r.health === 'ok').length,
    failed: rules.filter(({ r }) => r.health === 'err').length,
    errors: [...errors].map(([message, count]) => ({ count, message })).slice(0, 5),
    rulesWithOutput: withOutput,
    outputSamples,
    alertsFiring: firing,
    alertsPending: pending,
    slowest,
  };
}

function recordRuleTimes(groups, durations) {
  for (const g of groups) {
    for (const r of g.rules) {
      const key = g.sourceOf(r);
      const list = durations.get(key) ?? [];
      list.push(r.lastDurationMs);
      durations.set(key, list);
    }
  }
}

/**
 * Parts 1 and 2: fill a window with `historyMs` of snapshots every 15 s, then append one and
 * evaluate every group, 1 + `evaluations` times.
 */
async function evalPart({ options }) {
  const hm = await loadHealthmon();
  const { ruleFiles, historyMs, evaluations, startMs } = options;
  const baseMs = startMs - LEAD_MS;
  const loaded = memory();
  const { window, groups, outputs, retentionMs } = setUp(hm, ruleFiles);
  const sources = buildSources(dataFor(options.data, groups));
  const seriesPerSnapshot = Object.values(sources).reduce((n, d) => n + d.size, 0);
  const before = memory();

  const build = [];
  let append = [];
  let first;
  const snapshot = (t) => {
    for (const [name, d] of Object.entries(sources)) {
      const a = performance.now();
      const samples = d.samples(t, baseMs);
      const b = performance.now();
      window.append(t, samples, name);
      const c = performance.now();
      if (first === undefined) first = c - b;
      else {
        build.push(b - a);
        append.push(c - b);
      }
    }
  };
  const fillStart = performance.now();
  let t = startMs;
  for (; t <= startMs + historyMs; t += STEP_MS) snapshot(t);
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const filled = memory();
  const filledCounts = { seriesCount: window.seriesCount, sampleCount: window.sampleCount };

  // One cold evaluation, then at least 10 measured ones (more while the budget allows).
  const measure = () => {
    const total = [];
    const cpu = [];
    const perGroup = new Map(groups.map((g) => [g.id, []]));
    const durations = new Map();
    let cold;
    let failedEvaluations = 0;
    const deadline = performance.now() + 5 * 60_000;
    const others = contention(selfCpuSeconds);
    for (let k = 0; k <= evaluations && (k <= 10 || performance.now() < deadline); k++, t += STEP_MS) {
      snapshot(t);
      let sum = 0;
      const cpu0 = selfCpuSeconds();
      for (const g of groups) {
        const outcome = g.evaluate(t);
        sum += outcome.durationMs;
        if (outcome.failed > 0) failedEvaluations++;
        if (k > 0) perGroup.get(g.id).push(outcome.durationMs);
      }
      if (k === 0) cold = sum;
      else {
        total.push(sum);
        cpu.push((selfCpuSeconds() - cpu0) * 1000);
        recordRuleTimes(groups, durations);
      }
    }
    return {
      groups: groups.map((g) => ({ id: g.id, rules: g.rules.length, durationMs: stats(perGroup.get(g.id)) })),
      coldEvaluationMs: round(cold, 2),
      evaluationMs: stats(total),
      evaluationCpuMs: stats(cpu),
      otherProcessesCores: others(),
      failedEvaluations,
      report: ruleReport(groups, outputs, durations),
    };
  };
  const measured = measure();
  const after = memory();
  const afterCounts = { seriesCount: window.seriesCount, sampleCount: window.sampleCount };

  // Steady state: keep appending and evaluating every 15 s until the window holds its whole
  // retention, then measure again.
  let steady;
  let earlyAppends;
  if (options.steady) {
    const until = startMs + Math.min(retentionMs, options.steady.capMs);
    const fillStarted = performance.now();
    earlyAppends = append;
    append = [];
    let steps = 0;
    for (; t < until; t += STEP_MS, steps++) {
      snapshot(t);
      for (const g of groups) g.evaluate(t);
    }
    const fillS = (performance.now() - fillStarted) / 1000;
    const full = memory();
    const counts = { seriesCount: window.seriesCount, sampleCount: window.sampleCount };
    steady = { windowMinutes: round((t - startMs) / 60_000, 1), fillSeconds: round(fillS, 1), fillSteps: steps, window: counts, memory: full, ...measure(), appendMs: stats(append) };
  }

  // The same snapshot with new label objects: what an append costs when the window cannot find
  // the series by identity (a producer that rebuilds its label records each time).
  const fresh = [];
  for (let k = 0; k < 3; k++, t += STEP_MS) {
    for (const [name, d] of Object.entries(sources)) {
      const samples = d.samples(t, baseMs).map((x) => ({ labels: { ...x.labels }, value: x.value }));
      const a = performance.now();
      window.append(t, samples, name);
      fresh.push(performance.now() - a);
    }
  }

  return {
    build: hm.build,
    ruleFiles,
    ...measured,
    rules: groups.reduce((n, g) => n + g.rules.length, 0),
    retentionMinutes: round(retentionMs / 60_000, 2),
    seriesPerSnapshot,
    snapshots: Object.keys(sources),
    historyMinutes: historyMs / 60_000,
    fillSeconds: round(fillSeconds, 2),
    window: { afterFill: filledCounts, afterEvaluations: afterCounts },
    memory: { loaded, beforeFill: before, afterFill: filled, afterEvaluations: after },
    appendMs: { first: round(first, 1), ...stats(earlyAppends ?? append) },
    buildSnapshotMs: stats(build),
    appendFreshLabelsMs: stats(fresh),
    steady,
  };
}

/** Part 3, healthmon's side: replays what Prometheus ingested and evaluated, then answers the comparison queries. */
async function replayPart({ options }) {
  const hm = await loadHealthmon();
  const { ruleFiles, data, baseMs, historyFromMs, historyToMs, events, compare } = options;
  const sources = buildSources(data);
  const { window, engine, groups, outputs } = setUp(hm, ruleFiles);
  const byId = new Map(groups.map((g) => [g.id, g]));
  const before = memory();
  const appendMs = [];
  for (let t = historyFromMs; t <= historyToMs; t += STEP_MS) {
    for (const [name, d] of Object.entries(sources)) {
      const samples = d.samples(t, baseMs);
      const a = performance.now();
      window.append(t, samples, name);
      appendMs.push(performance.now() - a);
    }
  }
  const filled = memory();
  const answer = (c) => {
    const out = {};
    for (const item of c.items) {
      try {
        const res = engine.instant(item.expr, c.atMs);
        if (res.type === 'scalar') out[item.id] = { type: 'scalar', count: 1, values: { '': res.value } };
        else if (res.type === 'vector') {
          const values = {};
          for (const s of res.samples) values[labelKey(s.labels)] = s.value;
          out[item.id] = { type: 'vector', count: res.samples.length, values };
        } else out[item.id] = { error: `result type ${res.type}` };
      } catch (err) {
        out[item.id] = { error: err.message };
      }
    }
    return out;
  };
  const answers = new Array(compare.length);
  // Queries at the end of the history see the backfill only; ask them before the replay.
  compare.forEach((c, k) => {
    if (c.atMs <= historyToMs) answers[k] = answer(c);
  });
  const perGroup = new Map(groups.map((g) => [g.id, []]));
  const cpuPerGroup = new Map(groups.map((g) => [g.id, []]));
  const durations = new Map();
  const others = contention(selfCpuSeconds);
  for (const e of events) {
    if (e.type === 'scrape') {
      const samples = sources[e.source].samples(e.valueAtMs, baseMs);
      const a = performance.now();
      window.append(e.t, samples, e.source);
      appendMs.push(performance.now() - a);
    } else {
      const g = byId.get(e.group);
      if (!g) continue;
      const cpu0 = selfCpuSeconds();
      perGroup.get(g.id).push(g.evaluate(e.t).durationMs);
      cpuPerGroup.get(g.id).push((selfCpuSeconds() - cpu0) * 1000);
      recordRuleTimes([g], durations);
    }
  }
  const otherProcessesCores = others();
  compare.forEach((c, k) => {
    if (!answers[k]) answers[k] = answer(c);
  });
  const warm = (list) => (list.length > 2 ? list.slice(1) : list);
  return {
    build: hm.build,
    groups: Object.fromEntries(
      groups.map((g) => [g.id, { rules: g.rules.length, evaluations: perGroup.get(g.id).length, firstMs: round(perGroup.get(g.id)[0], 2), durationMs: stats(warm(perGroup.get(g.id))), cpuMs: stats(warm(cpuPerGroup.get(g.id))) }]),
    ),
    otherProcessesCores,
    window: { seriesCount: window.seriesCount, sampleCount: window.sampleCount },
    memory: { beforeFill: before, afterFill: filled, end: memory() },
    appendMs: stats(appendMs),
    report: ruleReport(groups, outputs, durations),
    compare: answers,
  };
}

/** The exposition server: writes the backfill, then serves /synthetic and /checks live. */
function serve() {
  let sources;
  let baseMs;
  const times = { synthetic: [], checks: [] };
  const renderMs = { synthetic: [], checks: [] };
  let server;
  const handlers = {
    init(m) {
      sources = buildSources(m.data);
      baseMs = m.baseMs;
      return { series: Object.fromEntries(Object.entries(sources).map(([k, d]) => [k, d.size])) };
    },
    async backfill(m) {
      const out = createWriteStream(m.file);
      let bytes = 0;
      let lines = 0;
      const write = (chunk) => {
        bytes += chunk.length;
        return out.write(chunk) ? undefined : new Promise((r) => out.once('drain', r));
      };
      for (let t = m.fromMs; t <= m.toMs; t += m.stepMs) {
        for (const d of Object.values(sources)) {
          for (const chunk of d.lines(t, baseMs, true)) await write(chunk);
          lines += d.size;
        }
      }
      await write('# EOF\n');
      await new Promise((r, j) => out.end((err) => (err ? j(err) : r())));
      return { lines, bytes, snapshots: Math.floor((m.toMs - m.fromMs) / m.stepMs) + 1 };
    },
    async listen() {
      server = http.createServer((req, res) => {
        const name = req.url.slice(1);
        const d = sources[name];
        if (!d) {
          res.writeHead(404).end();
          return;
        }
        const t = Date.now();
        const a = performance.now();
        const chunks = [...d.lines(t, baseMs, false)];
        renderMs[name].push(performance.now() - a);
        times[name].push(t);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        for (const c of chunks) res.write(c);
        res.end();
      });
      await new Promise((r, j) => {
        server.once('error', j);
        server.listen(0, '127.0.0.1', r);
      });
      return { port: server.address().port };
    },
    served() {
      return { times, renderMs: Object.fromEntries(Object.entries(renderMs).map(([k, v]) => [k, stats(v)])) };
    },
  };
  process.on('message', async (m) => {
    try {
      process.send({ seq: m.seq, result: await handlers[m.type](m) });
    } catch (err) {
      process.send({ seq: m.seq, error: err?.stack ?? String(err) });
    }
  });
  // The parent's exit (or a crash of it) closes the IPC channel: never outlive the bench.
  process.on('disconnect', () => {
    server?.close();
    process.exit(0);
  });
}

function workerMain() {
  const parts = { 'rules-fleet': evalPart, 'rules-bundled': evalPart, 'rules-replay': replayPart };
  const warnings = new Set();
  process.on('warning', (w) => warnings.add(`${w.name}: ${w.message}`));
  process.once('message', async (msg) => {
    try {
      const result = await parts[msg.part](msg);
      result.warnings = [...warnings];
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (err) {
      process.send({ type: 'error', message: err?.stack ?? String(err) }, () => process.exit(1));
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv[2] === 'serve') serve();
  else workerMain();
}
