// GET /: the status page. Gathers the assessment, 30 days of daily history, 24 hours of hourly
// latency, the firing alerts and the silences, and hands them as plain data to the renderer.
// Closed days and hours are kept between pages (only this hour is read every time), so a page of
// a thousand checks stays cheap. Server-Timing says where the time went; large pages are gzipped
// off the event loop.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import express, { type Request, type Response, type Router as ExpressRouter } from 'express';
import type { Logger } from 'pino';
import type { Router } from '../alerting/router.js';
import { silenceState } from '../alerting/silences.js';
import type { Assessment, Assessor } from '../state/assessment.js';
import type { Aggregate, HistoryStore, Span } from '../store/history.js';
import { emptyAggregate, quantileOf } from '../store/latency-buckets.js';
import { renderStatusPage, STATUS_PAGE_CSP, type AlertView, type CheckHistoryView, type DayBar, type SilenceView, type StatusPageModel } from './status-page-html.js';

const gzipAsync = promisify(gzip);

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
export const STATUS_PAGE_DAYS = 30;
export const STATUS_PAGE_HOURS = 24;
/** The default refresh follows the quickest check, within these bounds (seconds). */
export const REFRESH_MIN_S = 10;
export const REFRESH_MAX_S = 60;

export interface StatusPageDeps {
  logger: Logger;
  now(): number;
  /** Undefined until healthmon runs. */
  assessor(): Assessor | undefined;
  history(): HistoryStore | undefined;
  /** The alert router, for firing alerts and silences; undefined when alerting is not running. */
  router(): Router | undefined;
  /** The shortest interval of the checks shown, for the default refresh. */
  minIntervalMs(): number | undefined;
  title?: string;
  /** The latency a sparkline point shows for one hour; the p95 when not given. */
  latency?: LatencyPoint;
}

/** The shortest interval of these checks; undefined when there are none. */
export function minIntervalMs(entries: Iterable<{ spec: { intervalMs: number } }>): number | undefined {
  let min: number | undefined;
  for (const e of entries) if (min === undefined || e.spec.intervalMs < min) min = e.spec.intervalMs;
  return min;
}

/** Seconds between refreshes: `?refresh=N` (0 turns it off), else the quickest check's interval, clamped. */
export function refreshSeconds(query: unknown, minIntervalMs: number | undefined): number {
  if (typeof query === 'string' && /^\d{1,5}$/.test(query)) return Math.min(Number(query), 3600);
  if (minIntervalMs === undefined || !Number.isFinite(minIntervalMs)) return REFRESH_MAX_S;
  return Math.min(REFRESH_MAX_S, Math.max(REFRESH_MIN_S, Math.ceil(minIntervalMs / 1000)));
}

export interface LatencyPoint {
  /** In words, for the sparkline's label: 'hourly p95'. */
  label: string;
  of(a: Aggregate): number | undefined;
}

export const P95_LATENCY: LatencyPoint = { label: 'hourly p95', of: (a) => (a.count > 0 ? quantileOf(a, 0.95) : undefined) };
export const MEAN_LATENCY: LatencyPoint = { label: 'hourly mean', of: (a) => (a.count > 0 ? a.latencySumMs / a.count : undefined) };

export interface HistorySpans {
  /** The closed days of the bar: the 29 UTC days before today. */
  days: Span;
  /** The closed hours of the sparkline: the 23 hours before this one. */
  hours: Span;
  /** This hour so far: the sparkline's last point and part of today's bar. */
  live: Span;
  /** Start of today (UTC): today's bar adds up the hours since. */
  today: number;
}

/**
 * What the page reads: closed days and hours, which change only by a late write (cached), and
 * this hour, read every time. Today lies within the last 24 hours, so its bar is their sum.
 */
export function historySpans(now: number): HistorySpans {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
  return {
    days: { since: today - (STATUS_PAGE_DAYS - 1) * DAY_MS, until: today },
    hours: { since: hour - (STATUS_PAGE_HOURS - 1) * HOUR_MS, until: hour },
    live: { since: hour, until: hour + HOUR_MS },
    today,
  };
}

export interface HistoryReads {
  /** One Aggregate per closed day, per check. */
  days: ReadonlyMap<string, readonly Aggregate[]>;
  /** One Aggregate per closed hour, per check. */
  hours: ReadonlyMap<string, readonly Aggregate[]>;
  /** This hour, one Aggregate per check. */
  live: ReadonlyMap<string, readonly Aggregate[]>;
}

/** Per check, the history store's aggregates as the renderer's bars and latency points. */
export function historyViews(reads: HistoryReads, spans: HistorySpans, latencyOf: (a: Aggregate) => number | undefined = P95_LATENCY.of): Map<string, CheckHistoryView> {
  const out = new Map<string, CheckHistoryView>();
  const names = new Set([...reads.days.keys(), ...reads.hours.keys(), ...reads.live.keys()]);
  const closedHours = STATUS_PAGE_HOURS - 1;
  const closedDays = STATUS_PAGE_DAYS - 1;
  // The closed hours that belong to today.
  const firstOfToday = Math.max(0, Math.ceil((spans.today - spans.hours.since) / HOUR_MS));
  for (const name of names) {
    const d = reads.days.get(name);
    const h = reads.hours.get(name);
    const now = reads.live.get(name)?.[0];
    const bars = new Array<DayBar>(STATUS_PAGE_DAYS);
    for (let i = 0; i < closedDays; i++) {
      const a = d?.[i];
      bars[i] = { start: spans.days.since + i * DAY_MS, count: a?.count ?? 0, failures: a?.failures ?? 0 };
    }
    const today: DayBar = { start: spans.today, count: now?.count ?? 0, failures: now?.failures ?? 0 };
    const latencyMs = new Array<number | undefined>(STATUS_PAGE_HOURS);
    for (let i = 0; i < STATUS_PAGE_HOURS; i++) {
      const a = i < closedHours ? h?.[i] : now;
      if (i < closedHours && i >= firstOfToday && a) {
        today.count += a.count;
        today.failures += a.failures;
      }
      const ms = a && a.count > 0 ? latencyOf(a) : undefined;
      latencyMs[i] = ms !== undefined && Number.isFinite(ms) ? ms : undefined;
    }
    bars[closedDays] = today;
    out.set(name, { days: bars, latencyMs });
  }
  return out;
}

/**
 * Closed periods are read once; when another closes only it is read, and every few minutes all are
 * read again in the background, for results written late.
 */
export const CLOSED_PERIODS_REREAD_MS = 5 * 60_000;

interface CachedSeries {
  store: HistoryStore;
  since: number;
  until: number;
  at: number;
  value: Map<string, Aggregate[]>;
}

function cachedSeries(stepMs: number, logger: Logger) {
  let entry: CachedSeries | undefined;
  let rereading = false;
  return (store: HistoryStore, span: Span, now: number): Map<string, Aggregate[]> => {
    const same = entry && entry.store === store;
    if (same && entry!.since === span.since && entry!.until === span.until) {
      if (!rereading && (now - entry!.at >= CLOSED_PERIODS_REREAD_MS || now < entry!.at)) {
        rereading = true;
        // After this response: the page does not wait for it.
        setImmediate(() => {
          try {
            const value = store.series(span, stepMs);
            if (entry?.store === store && entry.since === span.since && entry.until === span.until) entry = { store, ...span, at: now, value };
          } catch (err) {
            logger.error({ err }, 'status page: history could not be read');
          } finally {
            rereading = false;
          }
        });
      }
      return entry!.value;
    }
    // A period closed since: keep what overlaps and read only the periods that closed.
    const steps = (span.until - span.since) / stepMs;
    const shift = same ? (span.since - entry!.since) / stepMs : 0;
    if (same && Number.isInteger(shift) && shift > 0 && shift < steps && entry!.until - entry!.since === span.until - span.since) {
      const tail = store.series({ since: entry!.until, until: span.until }, stepMs);
      const value = new Map<string, Aggregate[]>();
      for (const name of new Set([...entry!.value.keys(), ...tail.keys()])) {
        const kept = entry!.value.get(name)?.slice(shift) ?? Array.from({ length: steps - shift }, emptyAggregate);
        value.set(name, kept.concat(tail.get(name) ?? Array.from({ length: shift }, emptyAggregate)));
      }
      // The kept part is as old as it was: the background re-read for late writes stays due.
      entry = { store, ...span, at: entry!.at, value };
      return value;
    }
    const value = store.series(span, stepMs);
    entry = { store, ...span, at: now, value };
    return value;
  };
}

export function alertViews(router: Router): AlertView[] {
  return router
    .alerts()
    .filter((a) => a.status === 'firing')
    .map((a) => ({
      name: a.labels.alertname ?? '(no alertname)',
      severity: a.labels.severity,
      check: a.labels.check,
      summary: a.annotations.summary ?? a.annotations.description,
      startsAt: a.startsAt,
      mutedBy: a.mutedBy,
    }))
    .sort((a, b) => (a.mutedBy === undefined ? 0 : 1) - (b.mutedBy === undefined ? 0 : 1) || a.startsAt - b.startsAt);
}

export function silenceViews(router: Router, now: number): SilenceView[] {
  const out: SilenceView[] = [];
  for (const s of router.silences.list()) {
    const state = silenceState(s, now);
    if (state === 'expired') continue;
    out.push({ id: s.id, matchers: s.matchers, startsAt: s.startsAt, endsAt: s.endsAt, createdBy: s.createdBy, comment: s.comment, state });
  }
  return out.sort((a, b) => a.endsAt - b.endsAt);
}

const EMPTY: Omit<Assessment, 'at'> = {
  checks: [],
  overall: { score: 0, total: 0, healthy: 0, degraded: 0, unhealthy: 0, critical: 0, unknown: 0, healthPercentage: 0 },
};

export interface Timings {
  assessMs: number;
  historyMs: number;
  alertsMs: number;
  renderMs: number;
}

/** Everything the page needs, gathered at `now`, and the rendered page with where the time went. */
export function buildStatusPage(deps: StatusPageDeps, cache: HistoryCache, now: number, refresh: number): { html: string; timings: Timings } {
  const notices: string[] = [];
  let t = performance.now();
  const assessor = deps.assessor();
  const assessment = assessor ? assessor.assess(now) : { at: now, ...EMPTY };
  if (!assessor) notices.push('healthmon is starting; checks appear here once it runs.');
  const assessMs = performance.now() - t;

  t = performance.now();
  let history = new Map<string, CheckHistoryView>();
  const store = deps.history();
  if (store && assessment.checks.length > 0) {
    const spans = historySpans(now);
    try {
      const reads = { days: cache.days(store, spans.days, now), hours: cache.hours(store, spans.hours, now), live: store.series(spans.live, HOUR_MS) };
      history = historyViews(reads, spans, (deps.latency ?? P95_LATENCY).of);
    } catch (err) {
      deps.logger.error({ err }, 'status page: history could not be read');
      notices.push('History could not be read; uptime bars and latency are missing. See the server log.');
    }
  }
  const historyMs = performance.now() - t;

  t = performance.now();
  const router = deps.router();
  const alerts = router ? alertViews(router) : undefined;
  const silences = router ? silenceViews(router, now) : undefined;
  const alertsMs = performance.now() - t;

  t = performance.now();
  const model: StatusPageModel = {
    title: deps.title ?? 'healthmon status',
    now,
    refreshSeconds: refresh,
    overall: assessment.overall,
    checks: assessment.checks,
    history,
    latencyLabel: (deps.latency ?? P95_LATENCY).label,
    alerts,
    silences,
    notices,
  };
  const html = renderStatusPage(model);
  const renderMs = performance.now() - t;
  return { html, timings: { assessMs, historyMs, alertsMs, renderMs } };
}

export interface HistoryCache {
  days(store: HistoryStore, span: Span, now: number): Map<string, Aggregate[]>;
  hours(store: HistoryStore, span: Span, now: number): Map<string, Aggregate[]>;
}

export function createHistoryCache(logger: Logger): HistoryCache {
  return { days: cachedSeries(DAY_MS, logger), hours: cachedSeries(HOUR_MS, logger) };
}

export function statusPage(deps: StatusPageDeps): ExpressRouter {
  const router = express.Router();
  const cache = createHistoryCache(deps.logger);
  // The closed days and hours read once now, so the first visitor after a start does not wait.
  setImmediate(() => {
    const store = deps.history();
    if (!store) return;
    try {
      const now = deps.now();
      const spans = historySpans(now);
      cache.days(store, spans.days, now);
      cache.hours(store, spans.hours, now);
    } catch (err) {
      deps.logger.warn({ err }, 'status page: history could not be read ahead of the first page');
    }
  });
  router.get('/', async (req: Request, res: Response) => {
    const started = performance.now();
    const refresh = refreshSeconds(req.query.refresh, deps.minIntervalMs());
    const { html, timings } = buildStatusPage(deps, cache, deps.now(), refresh);
    let body = Buffer.from(html, 'utf8');
    const ms = (n: number) => n.toFixed(1);
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': STATUS_PAGE_CSP,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      Vary: 'Accept-Encoding',
      'Server-Timing': `assess;dur=${ms(timings.assessMs)}, history;dur=${ms(timings.historyMs)}, alerts;dur=${ms(timings.alertsMs)}, render;dur=${ms(timings.renderMs)}, total;dur=${ms(performance.now() - started)}`,
    });
    // Compressed on the thread pool: a thousand checks make a page of a few megabytes.
    if (body.length > 16_384 && /\bgzip\b/.test(req.get('accept-encoding') ?? '')) {
      body = await gzipAsync(body, { level: 4 });
      res.set('Content-Encoding', 'gzip');
    }
    res.set('Content-Length', String(body.length));
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return router;
}
