// `healthmon report`: per check uptime, latency percentiles, incidents and SLO compliance over a
// span, built from the history store as plain data. The Report is the JSON contract itself
// (snake_case, ISO times, `_ms` durations, `_pct` percentages); report-render.ts draws it.
import type { CheckSpec } from '../config/config.js';
import { parseDuration } from '../core/duration.js';
import type { Aggregate, HistoryEvent, HistoryStore, Span } from '../store/history.js';
import { latencyOf, mergeAggregates, pct, quantileMs, reportSlo, type ReportLatency, type ReportSlo } from './report-math.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const REPORT_FORMATS = ['json', 'markdown', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The named forms: a day by the hour, a week by the day. `--since` changes the span, not the step. */
export const REPORT_PERIODS = {
  daily: { spanMs: DAY, stepMs: HOUR },
  weekly: { spanMs: 7 * DAY, stepMs: DAY },
} as const;
export type ReportPeriod = keyof typeof REPORT_PERIODS;

/** Rollups are kept 400 days by default; a longer span could only show what is not there. */
export const MAX_SINCE_MS = 400 * DAY;
export const DEFAULT_SINCE = '24h';
/** Checks listed under "worst offenders". */
export const WORST_OFFENDERS = 5;

export interface ReportRequest {
  period: ReportPeriod | 'custom';
  /** From the start of the step holding `now − since` to `now`. */
  span: Span;
  /** The breakdown's step: 5 minutes, an hour, a day or (beyond 90 days) an ISO week. */
  stepMs: number;
}

/** Steps start on UTC boundaries; weeks on Mondays (the epoch was a Thursday). */
function stepOffsetMs(stepMs: number): number {
  return stepMs === 7 * DAY ? 4 * DAY : 0;
}

export function alignDown(at: number, stepMs: number): number {
  const offset = stepOffsetMs(stepMs);
  return Math.floor((at - offset) / stepMs) * stepMs + offset;
}

export function alignUp(at: number, stepMs: number): number {
  const offset = stepOffsetMs(stepMs);
  return Math.ceil((at - offset) / stepMs) * stepMs + offset;
}

function stepFor(spanMs: number): number {
  return spanMs <= 2 * HOUR ? 5 * 60_000 : spanMs <= 2 * DAY ? HOUR : spanMs <= 90 * DAY ? DAY : 7 * DAY;
}

/**
 * Turns `[daily|weekly] [--since D]` into a span ending `now`; a message on bad input. The span
 * starts on a step boundary at or before `now − since`, so it covers at least what was asked,
 * every step but the last is whole, and the store reads whole hourly and daily rollups.
 */
export function reportRequest(options: { period?: string; since?: string; now: number }): ReportRequest | { error: string } {
  let period: ReportPeriod | 'custom' = 'custom';
  if (options.period !== undefined) {
    if (!Object.hasOwn(REPORT_PERIODS, options.period)) return { error: `report: unknown period "${options.period}"; expected daily or weekly` };
    period = options.period as ReportPeriod;
  }
  let spanMs: number;
  if (options.since !== undefined) {
    const ms = parseDuration(options.since);
    if (ms === undefined || ms <= 0) return { error: `--since: expected a duration such as 24h, 7d or 30d, got "${options.since}"` };
    if (ms > MAX_SINCE_MS) return { error: `--since: at most 400d (how long rollups are kept by default), got "${options.since}"` };
    spanMs = ms;
  } else {
    spanMs = period === 'custom' ? parseDuration(DEFAULT_SINCE)! : REPORT_PERIODS[period].spanMs;
  }
  const stepMs = period === 'custom' ? stepFor(spanMs) : REPORT_PERIODS[period].stepMs;
  return { period, span: { since: alignDown(options.now - spanMs, stepMs), until: options.now }, stepMs };
}

export interface ReportIncident {
  /** `outage`: the check was down (status events); `alert`: an alert fired (alert events). */
  type: 'outage' | 'alert';
  /** null for alerts not tied to one check. */
  check: string | null;
  start: string;
  /** null while it goes on at the end of the span. */
  end: string | null;
  /** Within the span: from max(start, since) to min(end, until). */
  duration_ms: number;
  ongoing: boolean;
  /** It began before the span; `start` is then the span's start. */
  began_before: boolean;
  /** Outages: the failure reason (timeout, connection_refused, …), when history has it. */
  reason: string | null;
  /** Outages: what the probe saw; alerts: the summary annotation. */
  message: string | null;
  /** Outages: unhealthy or critical; alerts: null. */
  status: string | null;
  /** Alerts: alertname and severity labels. */
  alertname: string | null;
  severity: string | null;
}

export interface ReportBreakdownEntry {
  start: string;
  runs: number;
  failures: number;
  /** null when there were no runs in the step. */
  uptime_pct: number | null;
  p95_ms: number | null;
}

export interface ReportCheck {
  check: string;
  kind: string;
  group: string;
  critical: boolean;
  runs: number;
  failures: number;
  /** Share of successful runs; null with no runs in the span. */
  uptime_pct: number | null;
  error_rate_pct: number | null;
  latency: ReportLatency | null;
  /** Time spent in outages within the span. */
  downtime_ms: number;
  incidents: ReportIncident[];
  slo: ReportSlo | null;
  breakdown: ReportBreakdownEntry[];
}

export interface ReportTotals {
  checks: number;
  /** Checks with at least one run in the span. */
  checks_with_data: number;
  runs: number;
  failures: number;
  /** Over all runs of all checks. */
  uptime_pct: number | null;
  latency: ReportLatency | null;
  incidents: number;
  outages: number;
  alerts: number;
  downtime_ms: number;
  slo_checks: number;
  slo_compliant: number;
  slo_violated: number;
}

export interface ReportOffender {
  check: string;
  uptime_pct: number | null;
  downtime_ms: number;
  incidents: number;
  failures: number;
  slo_compliant: boolean | null;
}

export interface Report {
  /** Bumped only on incompatible changes to this shape. */
  schema_version: 1;
  generated_at: string;
  period: ReportPeriod | 'custom';
  since: string;
  until: string;
  duration_ms: number;
  step_ms: number;
  totals: ReportTotals;
  /** Up to five checks with the lowest uptime (then most downtime, most incidents); only ones with a problem. */
  worst_offenders: ReportOffender[];
  /** The whole fleet per step. */
  breakdown: ReportBreakdownEntry[];
  checks: ReportCheck[];
  /** Every incident, checks' and others', oldest first. */
  incidents: ReportIncident[];
}

export interface ReportInput {
  history: HistoryStore;
  checks: readonly CheckSpec[];
  request: ReportRequest;
  /** When the report is made (epoch ms); usually the span's end. */
  now: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isDown = (status: string) => status === 'unhealthy' || status === 'critical';
const isUp = (status: string) => status === 'healthy' || status === 'degraded';

export function buildReport(input: ReportInput): Report {
  const { history, checks, request } = input;
  const { span, stepMs } = request;
  const names = checks.map((c) => c.name);
  // One read: the steps cover the span, so their merge is the span's aggregate. The last step
  // is read whole (nothing lies beyond now), so it comes from one rollup too.
  const series = history.series({ since: span.since, until: alignUp(span.until, stepMs) }, stepMs, names);
  const aggregates = new Map<string, Aggregate>();
  for (const [check, steps] of series) aggregates.set(check, mergeAggregates(steps));
  const outages = outagesOf(history, checks, span, aggregates);
  const alerts = alertsOf(history, span);

  const incidentsByCheck = new Map<string, ReportIncident[]>();
  for (const i of [...outages, ...alerts]) {
    if (i.check === null) continue;
    let list = incidentsByCheck.get(i.check);
    if (!list) incidentsByCheck.set(i.check, (list = []));
    list.push(i);
  }
  const slos = reportSlo(history, checks, span.until, aggregates);
  const steps = Math.ceil((span.until - span.since) / stepMs);
  const starts = Array.from({ length: steps }, (_, i) => iso(span.since + i * stepMs));

  const reportChecks: ReportCheck[] = checks.map((spec) => {
    const agg = aggregates.get(spec.name);
    const runs = agg?.count ?? 0;
    const failures = agg?.failures ?? 0;
    const incidents = (incidentsByCheck.get(spec.name) ?? []).sort(byStart);
    return {
      check: spec.name,
      kind: spec.kind,
      group: spec.group ?? spec.kind,
      critical: spec.critical,
      runs,
      failures,
      uptime_pct: runs > 0 ? pct((runs - failures) / runs) : null,
      error_rate_pct: runs > 0 ? pct(failures / runs) : null,
      latency: agg ? latencyOf(agg) : null,
      downtime_ms: incidents.reduce((n, i) => n + (i.type === 'outage' ? i.duration_ms : 0), 0),
      incidents,
      slo: slos.get(spec.name) ?? null,
      breakdown: breakdownOf(series.get(spec.name) ?? [], starts),
    };
  });

  const all = mergeAggregates(aggregates.values());
  const fleetSteps: Aggregate[] = [];
  const rows = [...series.values()];
  for (let i = 0; i < steps; i++) fleetSteps.push(mergeAggregates(rows.flatMap((s) => s[i] ?? [])));
  const incidents = [...outages, ...alerts].sort(byStart);
  const sloChecks = reportChecks.filter((c) => c.slo !== null);
  return {
    schema_version: 1,
    generated_at: iso(input.now),
    period: request.period,
    since: iso(span.since),
    until: iso(span.until),
    duration_ms: span.until - span.since,
    step_ms: stepMs,
    totals: {
      checks: checks.length,
      checks_with_data: reportChecks.filter((c) => c.runs > 0).length,
      runs: all.count,
      failures: all.failures,
      uptime_pct: all.count > 0 ? pct((all.count - all.failures) / all.count) : null,
      latency: latencyOf(all),
      incidents: incidents.length,
      outages: outages.length,
      alerts: alerts.length,
      downtime_ms: reportChecks.reduce((n, c) => n + c.downtime_ms, 0),
      slo_checks: sloChecks.length,
      slo_compliant: sloChecks.filter((c) => c.slo!.compliant).length,
      slo_violated: sloChecks.filter((c) => !c.slo!.compliant).length,
    },
    worst_offenders: worstOffenders(reportChecks),
    breakdown: breakdownOf(fleetSteps, starts),
    checks: reportChecks,
    incidents,
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Oldest first; ties by check, type and alert name, so the order is stable run to run. */
function byStart(a: ReportIncident, b: ReportIncident): number {
  return compare(a.start, b.start) || compare(a.check ?? '', b.check ?? '') || compare(a.type, b.type) || compare(a.alertname ?? '', b.alertname ?? '');
}

/** `starts`: each step's start, formatted once for every check. */
function breakdownOf(aggs: readonly Aggregate[], starts: readonly string[]): ReportBreakdownEntry[] {
  return starts.map((start, i) => {
    const a = aggs[i];
    const runs = a?.count ?? 0;
    const failures = a?.failures ?? 0;
    return {
      start,
      runs,
      failures,
      uptime_pct: runs > 0 ? pct((runs - failures) / runs) : null,
      p95_ms: a && a.count > 0 ? quantileMs(a, 0.95) : null,
    };
  });
}

function worstOffenders(checks: readonly ReportCheck[]): ReportOffender[] {
  const troubled = checks.filter((c) => (c.uptime_pct !== null && c.uptime_pct < 100) || c.incidents.length > 0 || c.slo?.compliant === false);
  troubled.sort(
    (a, b) =>
      (a.uptime_pct ?? 100) - (b.uptime_pct ?? 100) ||
      b.downtime_ms - a.downtime_ms ||
      b.incidents.length - a.incidents.length ||
      compare(a.check, b.check),
  );
  return troubled.slice(0, WORST_OFFENDERS).map((c) => ({
    check: c.check,
    uptime_pct: c.uptime_pct,
    downtime_ms: c.downtime_ms,
    incidents: c.incidents.length,
    failures: c.failures,
    slo_compliant: c.slo ? c.slo.compliant : null,
  }));
}

/** The events of each check, oldest first. */
function byCheckAscending(events: readonly HistoryEvent[]): Map<string, HistoryEvent[]> {
  const out = new Map<string, HistoryEvent[]>();
  // events() answers newest first.
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    let list = out.get(e.check);
    if (!list) out.set(e.check, (list = []));
    list.push(e);
  }
  for (const list of out.values()) list.sort((a, b) => a.at - b.at);
  return out;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Outages from status events: down (unhealthy, critical) from one event to the next up one
 * (healthy, degraded). Whether a check was down when the span starts comes from its first
 * event's previous status, else from its last event before the span; that look is skipped for
 * a check with no event and no failure in the span, which cannot have been down.
 */
function outagesOf(history: HistoryStore, checks: readonly CheckSpec[], span: Span, aggregates: Map<string, Aggregate>): ReportIncident[] {
  const events = byCheckAscending(history.events(span, { kind: 'status' }));
  const out: ReportIncident[] = [];
  for (const spec of checks) {
    const timeline = events.get(spec.name) ?? [];
    const first = timeline[0];
    let open: { at: number; before: boolean; event?: HistoryEvent } | undefined;
    const previous = str(first?.data?.previous);
    if (previous !== null) {
      if (isDown(previous)) open = { at: span.since, before: true };
    } else if (first || (aggregates.get(spec.name)?.failures ?? 0) > 0) {
      const prior = history.events({ since: 0, until: span.since }, { check: spec.name, kind: 'status', limit: 1 })[0];
      if (prior && isDown(prior.state)) open = { at: span.since, before: true, event: prior };
    }
    const close = (end: number | undefined) => {
      const o = open!;
      open = undefined;
      out.push(outage(history, spec, span, o.at, end, o.before, o.event));
    };
    for (const e of timeline) {
      if (isDown(e.state) && !open) open = { at: e.at, before: false, event: e };
      else if (isUp(e.state) && open) close(e.at);
    }
    if (open) close(undefined);
  }
  return out;
}

function outage(history: HistoryStore, spec: CheckSpec, span: Span, start: number, end: number | undefined, before: boolean, event: HistoryEvent | undefined): ReportIncident {
  let reason = str(event?.data?.reason);
  let message = str(event?.message);
  if (reason === null && !before) {
    // The run that turned the check down ends at the event: find it for the reason.
    const look = Math.max(spec.intervalMs, spec.timeoutMs * (spec.retries + 1)) * 2;
    const run = history.results(spec.name, { since: start - look, until: start + 1 }, 1)[0];
    if (run && !run.ok) {
      reason = run.reason ?? null;
      message ??= run.message ?? null;
    }
  }
  return {
    type: 'outage',
    check: spec.name,
    start: iso(start),
    end: end === undefined ? null : iso(end),
    duration_ms: (end ?? span.until) - start,
    ongoing: end === undefined,
    began_before: before,
    reason,
    message,
    status: event ? event.state : spec.critical ? 'critical' : 'unhealthy',
    alertname: null,
    severity: null,
  };
}

/** How far back an alert still firing when the span starts is looked for. */
const ALERT_LOOKBACK_MS = 30 * DAY;

/** Alerts from alert events: firing until resolved, one per alert (its fingerprint or labels). */
function alertsOf(history: HistoryStore, span: Span): ReportIncident[] {
  const keyOf = (e: HistoryEvent) => {
    const fp = str(e.data?.fingerprint);
    if (fp) return `${e.check}\u0000${fp}`;
    const labels = e.data?.labels;
    if (labels && typeof labels === 'object') {
      const sorted = Object.entries(labels as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `${e.check}\u0000${JSON.stringify(sorted)}`;
    }
    return `${e.check}\u0000${e.message ?? ''}`;
  };
  const open = new Map<string, { at: number; event: HistoryEvent; before: boolean }>();
  // Alerts firing when the span starts: replay what came before.
  const earlier = history.events({ since: span.since - ALERT_LOOKBACK_MS, until: span.since }, { kind: 'alert' });
  for (let i = earlier.length - 1; i >= 0; i--) {
    const e = earlier[i]!;
    if (e.state === 'firing') open.set(keyOf(e), { at: span.since, event: e, before: true });
    else if (e.state === 'resolved') open.delete(keyOf(e));
  }
  const out: ReportIncident[] = [];
  const close = (key: string, end: number | undefined) => {
    const o = open.get(key)!;
    open.delete(key);
    const labels = (o.event.data?.labels ?? {}) as Record<string, unknown>;
    const annotations = (o.event.data?.annotations ?? {}) as Record<string, unknown>;
    out.push({
      type: 'alert',
      // An alert recorded for no check may still name one in its labels.
      check: o.event.check === '' ? str(labels.check) : o.event.check,
      start: iso(o.at),
      end: end === undefined ? null : iso(end),
      duration_ms: (end ?? span.until) - o.at,
      ongoing: end === undefined,
      began_before: o.before,
      reason: null,
      message: str(annotations.summary) ?? str(o.event.message),
      status: null,
      alertname: str(labels.alertname) ?? str(o.event.message),
      severity: str(labels.severity),
    });
  };
  const events = history.events(span, { kind: 'alert' });
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    const key = keyOf(e);
    if (e.state === 'firing' && !open.has(key)) open.set(key, { at: e.at, event: e, before: false });
    else if (e.state === 'resolved') {
      // A resolution with no firing seen: it fired before the lookback; count it from the span's start.
      if (!open.has(key)) open.set(key, { at: span.since, event: e, before: true });
      close(key, e.at);
    }
  }
  for (const key of [...open.keys()]) close(key, undefined);
  return out;
}
