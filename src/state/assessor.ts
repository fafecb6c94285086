// Puts together what healthmon concludes about every check: live state for status and the last
// run, history aggregates for uptime, latency and SLOs, the learnt latency baseline, the score.
// History is read once per window for all checks and kept a minute, so assessing on every scrape
// stays cheap; the runs recorded since (the live tail) are added on top, so a figure is never a
// minute behind. Without history (`once`, tests) the live counters are all there is.
import type { CheckSpec } from '../config/config.js';
import type { CheckResult } from '../core/check-result.js';
import type { Aggregate, HistoryStore } from '../store/history.js';
import { addTo, emptyAggregate, quantileOf } from '../store/latency-buckets.js';
import { UPTIME_WINDOWS, type Assessment, type Assessor, type CheckAssessment, type LatencySummary, type OverallAssessment, type UptimeWindow } from './assessment.js';
import { healthScore, overallScore } from './health-score.js';
import type { LatencyBaselines } from './latency-baseline.js';
import { BURN_RATE_WINDOWS, evaluateSlo } from './slo.js';
import type { CheckEntry, StateStore } from './state-store.js';

/** How long history aggregates are reused. */
export const ASSESSMENT_CACHE_MS = 60_000;
/**
 * Runs that started this recently may not be on disk yet (history writes in batches about once a
 * second): aggregates read from history end this long before now, and the live tail covers the rest.
 */
const SETTLE_MS = 5_000;
const HOUR_MS = UPTIME_WINDOWS['1h'];
const DAY_MS = UPTIME_WINDOWS['24h'];

export interface AssessorDeps {
  store: StateStore;
  /** The history store, when there is one (after start; never for `once`). */
  history: () => HistoryStore | undefined;
  baselines: LatencyBaselines;
  cacheMs?: number;
}

interface Cached {
  at: number;
  /** The aggregates cover runs that started before this; the tail has the later ones. */
  cut: number;
  history: HistoryStore;
  checks: string;
  byCheck: Map<string, Aggregate>;
}

const ratioOk = (a: Aggregate | undefined) => (a && a.count > 0 ? (a.count - a.failures) / a.count : undefined);
const round1 = (x: number) => Math.round(x * 10) / 10;

function latencyOf(a: Aggregate | undefined): LatencySummary | undefined {
  if (!a || a.count === 0) return undefined;
  return { p50Ms: quantileOf(a, 0.5), p95Ms: quantileOf(a, 0.95), p99Ms: quantileOf(a, 0.99), meanMs: a.latencySumMs / a.count };
}

interface TailRun {
  at: number;
  durationMs: number;
  ok: boolean;
}

export interface LiveAssessor extends Assessor {
  /** Takes a run as it is recorded: it counts before history has it on disk, and teaches the latency baseline. */
  observe(result: CheckResult): void;
}

export function createAssessor(deps: AssessorDeps): LiveAssessor {
  const cacheMs = deps.cacheMs ?? ASSESSMENT_CACHE_MS;
  const cache = new Map<number, Cached>();
  let knownChecks = '';
  // Per check, the runs of the last cacheMs + SETTLE_MS, oldest first: every cut is in there.
  const tail = new Map<string, TailRun[]>();
  // A check's assessment changes only when it records a run (its entry's version) or history is
  // read again (the generation): unchanged ones are reused, as most are between two scrapes.
  let generation = 0;
  const memo = new Map<string, { entry: CheckEntry; version: number; generation: number; value: CheckAssessment }>();

  // One aggregate() call per window for every check, reused for cacheMs (and redone at once when
  // the checks or the store change, or the clock steps back).
  const windowOf = (history: HistoryStore, windowMs: number, names: string[], checksKey: string, now: number) => {
    const hit = cache.get(windowMs);
    if (hit && hit.history === history && hit.checks === checksKey && now >= hit.at && now - hit.at < cacheMs) return hit;
    const cut = now - SETTLE_MS;
    const fresh: Cached = { at: now, cut, history, checks: checksKey, byCheck: history.aggregate({ since: cut - windowMs, until: cut }, names) };
    cache.set(windowMs, fresh);
    generation++;
    return fresh;
  };

  /** A check's runs since `cut` as one aggregate; undefined when there are none. */
  const tailSince = (check: string, cut: number): Aggregate | undefined => {
    const runs = tail.get(check);
    if (!runs || runs.length === 0 || runs[runs.length - 1]!.at < cut) return undefined;
    const sum = emptyAggregate();
    for (const r of runs) if (r.at >= cut) addTo(sum, r.durationMs, r.ok);
    return sum;
  };

  /**
   * The cached aggregate of a check plus its runs since the cut. The buckets are added up only
   * when read: most windows need the counts alone.
   */
  const withTail = (base: Aggregate | undefined, recent: Aggregate | undefined): Aggregate | undefined => {
    if (!recent || !base) return base ?? recent;
    let buckets: number[] | undefined;
    return {
      count: base.count + recent.count,
      failures: base.failures + recent.failures,
      latencySumMs: base.latencySumMs + recent.latencySumMs,
      latencyMinMs: Math.min(base.latencyMinMs, recent.latencyMinMs),
      latencyMaxMs: Math.max(base.latencyMaxMs, recent.latencyMaxMs),
      get buckets() {
        return (buckets ??= base.buckets.map((n, i) => n + recent.buckets[i]!));
      },
    };
  };

  const assessCheck = (e: CheckEntry, now: number, agg: (windowMs: number) => Aggregate | undefined, withHistory: boolean): CheckAssessment => {
    const spec: CheckSpec = e.spec;
    const st = e.state;
    const uptime = {} as Record<UptimeWindow, number | undefined>;
    for (const [w, ms] of Object.entries(UPTIME_WINDOWS) as [UptimeWindow, number][]) uptime[w] = ratioOk(agg(ms));
    const day = agg(DAY_MS);
    const liveRuns = e.successes + e.failures;
    const liveOk = liveRuns > 0 ? e.successes / liveRuns : undefined;
    const anomaly = deps.baselines.get(spec.name, now);
    const hour = agg(HOUR_MS);
    const lastOkMs = st.last?.ok ? st.last.durationMs : undefined;
    const score = healthScore({
      availability: withHistory ? uptime['24h'] : liveOk,
      latencyMs: hour && hour.count > 0 ? quantileOf(hour, 0.5) : lastOkMs,
      referenceMs: spec.expectedResponseTimeMs ?? deps.baselines.thresholdMs(spec.name, now),
      consecutiveFailures: st.consecutiveFailures,
      failureThreshold: spec.failureThreshold,
      down: st.up === false,
    });
    const last = st.last;
    return {
      check: spec.name,
      kind: spec.kind,
      group: spec.group ?? spec.kind,
      critical: spec.critical,
      target: spec.target,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      status: st.status,
      statusSince: st.statusSince,
      ...(last && {
        last: {
          at: last.startedAt,
          ok: last.ok,
          durationMs: last.durationMs,
          ...(last.reason === undefined ? {} : { reason: last.reason }),
          ...(last.message === undefined ? {} : { message: last.message }),
        },
      }),
      uptime,
      latency: latencyOf(day),
      errorRate: withHistory ? (day && day.count > 0 ? day.failures / day.count : undefined) : liveOk === undefined ? undefined : 1 - liveOk,
      healthScore: score.score,
      ...(spec.slo && {
        slo: evaluateSlo(spec.slo, { window: agg(spec.slo.windowMs), '1h': agg(BURN_RATE_WINDOWS['1h']), '6h': agg(BURN_RATE_WINDOWS['6h']) }),
      }),
      anomaly,
    };
  };

  return {
    observe(result) {
      deps.baselines.observe(result.check, result.startedAt, result.durationMs, result.ok);
      let runs = tail.get(result.check);
      if (!runs) tail.set(result.check, (runs = []));
      runs.push({ at: result.startedAt, durationMs: result.durationMs, ok: result.ok });
      const keepFrom = result.startedAt - cacheMs - 2 * SETTLE_MS;
      let drop = 0;
      while (drop < runs.length && runs[drop]!.at < keepFrom) drop++;
      if (drop > 0) runs.splice(0, drop);
    },
    assess(now) {
      const entries = [...deps.store.entries()];
      const names = entries.map((e) => e.spec.name);
      const checksKey = names.join('\0');
      if (checksKey !== knownChecks) {
        knownChecks = checksKey;
        deps.baselines.prune((c) => deps.store.get(c) !== undefined);
        for (const c of tail.keys()) if (!deps.store.get(c)) tail.delete(c);
        for (const c of memo.keys()) if (!deps.store.get(c)) memo.delete(c);
      }
      const history = deps.history();
      // Each window's aggregates looked up once per assessment, and each check's recent runs added
      // up once per cut (windows read together share one), not once per check and window.
      const windows = new Map<number, Cached>();
      const tails = new Map<number, Map<string, Aggregate | undefined>>();
      const aggregateOf = (check: string, windowMs: number) => {
        if (!history) return undefined;
        let w = windows.get(windowMs);
        if (!w) windows.set(windowMs, (w = windowOf(history, windowMs, names, checksKey, now)));
        let byCheck = tails.get(w.cut);
        if (!byCheck) tails.set(w.cut, (byCheck = new Map()));
        if (!byCheck.has(check)) byCheck.set(check, tailSince(check, w.cut));
        return withTail(w.byCheck.get(check), byCheck.get(check));
      };
      if (history) {
        // Every window read (or found fresh) first, so the generation is settled before reuse.
        const spans = new Set<number>([...Object.values(UPTIME_WINDOWS), ...Object.values(BURN_RATE_WINDOWS)]);
        for (const e of entries) if (e.spec.slo) spans.add(e.spec.slo.windowMs);
        for (const ms of spans) windows.set(ms, windowOf(history, ms, names, checksKey, now));
      }
      const checks = entries.map((e) => {
        const hit = memo.get(e.spec.name);
        if (hit && hit.entry === e && hit.version === e.version && hit.generation === generation) return hit.value;
        const value = assessCheck(e, now, (windowMs) => aggregateOf(e.spec.name, windowMs), history !== undefined);
        memo.set(e.spec.name, { entry: e, version: e.version, generation, value });
        return value;
      });

      const overall: OverallAssessment = { score: overallScore(checks.map((c) => ({ score: c.healthScore, critical: c.critical }))), total: checks.length, healthy: 0, degraded: 0, unhealthy: 0, critical: 0, unknown: 0, healthPercentage: 100 };
      for (const c of checks) overall[c.status ?? 'unknown']++;
      const known = overall.total - overall.unknown;
      if (known > 0) overall.healthPercentage = round1(((overall.healthy + overall.degraded) / known) * 100);
      return { at: now, checks, overall };
    },
  };
}
