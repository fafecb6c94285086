// Per-check series, computed at scrape time from the state store: blackbox_exporter's probe_*
// names for what a probe measured, healthmon_check_* for status after hysteresis.
import type { Registry } from 'prom-client';
import type { CheckSpec } from '../config/config.js';
import type { MetricSpec } from '../probes/types.js';
import { CHECK_STATUSES } from '../state/check-state.js';
import { DURATION_BUCKETS, type CheckEntry, type StateStore } from '../state/state-store.js';
import { registerFamily, type Sample } from './family.js';

type Labels = Record<string, string>;

// The check's identity labels are built once per spec, not on every scrape.
const baseLabelCache = new WeakMap<CheckSpec, Labels>();
function base(spec: CheckSpec): Labels {
  let labels = baseLabelCache.get(spec);
  if (!labels) {
    labels = { check: spec.name, kind: spec.kind, ...spec.labels };
    baseLabelCache.set(spec, labels);
  }
  return labels;
}

function perCheck(store: StateStore, fn: (e: CheckEntry, labels: Labels, out: Sample[]) => void): () => Sample[] {
  return () => {
    const out: Sample[] = [];
    for (const e of store.entries()) fn(e, base(e.spec), out);
    return out;
  };
}

export function registerCheckMetrics(registry: Registry, store: StateStore, probeMetrics: readonly MetricSpec[]): void {
  const gauge = (name: string, help: string, fn: (e: CheckEntry, labels: Labels, out: Sample[]) => void) =>
    registerFamily(registry, { name, help, type: 'gauge', collect: perCheck(store, fn) });

  gauge('probe_success', 'Whether the last probe of the check succeeded (before hysteresis).', (e, labels, out) => {
    if (e.state.last) out.push({ labels, value: e.state.last.ok ? 1 : 0 });
  });
  gauge('probe_duration_seconds', 'How long the last probe took to complete in seconds.', (e, labels, out) => {
    if (e.state.last) out.push({ labels, value: e.state.last.durationMs / 1000 });
  });

  // Every gauge a kind declares, filled from the last result's observations.
  const declared = new Map<string, MetricSpec>();
  for (const m of probeMetrics) if (!declared.has(m.name) && m.name !== 'probe_success' && m.name !== 'probe_duration_seconds') declared.set(m.name, m);
  for (const m of declared.values()) {
    gauge(m.name, m.help, (e, labels, out) => {
      for (const o of e.state.last?.observations ?? []) {
        if (o.metric === m.name) out.push({ labels: o.labels ? { ...labels, ...o.labels } : labels, value: o.value });
      }
    });
  }

  gauge('healthmon_check_up', 'Whether the check is up after failure_threshold/success_threshold hysteresis.', (e, labels, out) => {
    if (e.state.up !== undefined) out.push({ labels, value: e.state.up ? 1 : 0 });
  });
  gauge('healthmon_check_status', 'The check status: exactly one of healthy, degraded, unhealthy, critical is 1.', (e, labels, out) => {
    const status = e.state.status;
    if (status === undefined) return;
    for (const s of CHECK_STATUSES) out.push({ labels: { ...labels, status: s }, value: s === status ? 1 : 0 });
  });
  gauge('healthmon_check_consecutive_failures', 'Failed runs of the check in a row.', (e, labels, out) => {
    out.push({ labels, value: e.state.consecutiveFailures });
  });
  gauge('healthmon_check_failure_reason', 'Why the last run of a failing check failed: 1 for the current reason.', (e, labels, out) => {
    const last = e.state.last;
    if (last && !last.ok && last.reason) out.push({ labels: { ...labels, reason: last.reason }, value: 1 });
  });
  gauge('healthmon_check_last_run_timestamp_seconds', 'When the last run of the check started, in unix seconds.', (e, labels, out) => {
    if (e.state.last) out.push({ labels, value: e.state.last.startedAt / 1000 });
  });
  gauge('healthmon_check_info', 'Static facts about a configured check; always 1.', (e, labels, out) => {
    out.push({ labels: { ...labels, critical: String(e.spec.critical), target: e.spec.target }, value: 1 });
  });
  gauge('healthmon_check_expected_response_time_seconds', 'The expected_response_time of the check; slower successful runs are degraded.', (e, labels, out) => {
    if (e.spec.expectedResponseTimeMs !== undefined) out.push({ labels, value: e.spec.expectedResponseTimeMs / 1000 });
  });

  registerFamily(registry, {
    name: 'healthmon_checks_total',
    help: 'Runs of the check by result (success or failure), counted after retries.',
    type: 'counter',
    collect: perCheck(store, (e, labels, out) => {
      out.push({ labels: { ...labels, result: 'success' }, value: e.successes });
      out.push({ labels: { ...labels, result: 'failure' }, value: e.failures });
    }),
  });
  registerFamily(registry, {
    name: 'healthmon_check_duration_seconds',
    help: 'How long runs of the check took, in seconds (the last attempt of each run).',
    type: 'histogram',
    collect: perCheck(store, (e, labels, out) => {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += e.durationBuckets[i]!;
        out.push({ metricName: 'healthmon_check_duration_seconds_bucket', labels: { ...labels, le }, value: cumulative });
      });
      cumulative += e.durationBuckets[DURATION_BUCKETS.length]!;
      out.push({ metricName: 'healthmon_check_duration_seconds_bucket', labels: { ...labels, le: '+Inf' }, value: cumulative });
      out.push({ metricName: 'healthmon_check_duration_seconds_sum', labels, value: e.durationSumSeconds });
      out.push({ metricName: 'healthmon_check_duration_seconds_count', labels, value: cumulative });
    }),
  });
}
