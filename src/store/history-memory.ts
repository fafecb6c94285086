// The history store in memory: the same contract as the SQLite one, for tests and for runs that
// keep nothing on disk. Writes take effect at once; nothing is ever pending.
import type { HistoryEvent, HistoryResult, HistoryStore, Resolution, Retention, Rollup, Span } from './history.js';
import { createHistoryQueries } from './history-query.js';
import { addTo, emptyAggregate, merge } from './latency-buckets.js';
import { lastExpiredStart, periodStart, RESOLUTIONS } from './periods.js';

export interface MemoryHistoryOptions {
  retention: Retention;
}

const inSpan = (at: number, span: Span) => at >= span.since && at < span.until;

// Copies of what the contract has, as the SQLite store gives back: nothing shared with callers.
const copyResult = ({ check, at, durationMs, ok, status, reason, message }: HistoryResult): HistoryResult => ({
  check,
  at,
  durationMs,
  ok,
  ...(status !== undefined && { status }),
  ...(reason !== undefined && { reason }),
  ...(message !== undefined && { message }),
});
const copyEvent = ({ check, at, kind, state, message, data }: HistoryEvent): HistoryEvent => ({
  check,
  at,
  kind,
  state,
  ...(message !== undefined && { message }),
  ...(data !== undefined && { data: structuredClone(data) }),
});
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The first index in `list` (oldest first) whose result is after `at`, or at it too when `from`. */
function indexAt(list: readonly HistoryResult[], at: number, from: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.at < at || (!from && list[mid]!.at === at)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The results of `list` in the span, oldest first. */
function* within(list: readonly HistoryResult[], span: Span): Generator<HistoryResult> {
  for (let i = indexAt(list, span.since, true); i < list.length && list[i]!.at < span.until; i++) yield list[i]!;
}

export function createMemoryHistory(options: MemoryHistoryOptions): HistoryStore {
  /** Per check, oldest first (results appended late are put in their place). */
  const results = new Map<string, HistoryResult[]>();
  /** Per resolution, per check, by start. */
  const rollups: Record<Resolution, Map<string, Map<number, Rollup>>> = { hour: new Map(), day: new Map() };
  let events: HistoryEvent[] = [];

  const selected = <T>(byCheck: Map<string, T>, checks: readonly string[] | undefined): [string, T][] =>
    checks ? checks.flatMap((c) => (byCheck.has(c) ? [[c, byCheck.get(c)!] as [string, T]] : [])) : [...byCheck];

  const queries = createHistoryQueries({
    scanRaw(span, checks, into) {
      for (const [check, list] of selected(results, checks)) {
        for (const r of within(list, span)) addTo(into(check, r.at), r.durationMs, r.ok);
      }
    },
    scanRollups(resolution, span, checks, into) {
      for (const [check, byStart] of selected(rollups[resolution], checks)) {
        for (const r of byStart.values()) if (inSpan(r.start, span)) merge(into(check, r.start), r);
      }
    },
  });

  const rollUp = (r: HistoryResult) => {
    for (const resolution of RESOLUTIONS) {
      let byStart = rollups[resolution].get(r.check);
      if (!byStart) rollups[resolution].set(r.check, (byStart = new Map()));
      const start = periodStart(resolution, r.at);
      let rollup = byStart.get(start);
      if (!rollup) byStart.set(start, (rollup = { check: r.check, resolution, start, ...emptyAggregate() }));
      addTo(rollup, r.durationMs, r.ok);
    }
  };

  return {
    append(result) {
      let list = results.get(result.check);
      if (!list) results.set(result.check, (list = []));
      // After every result at the same time or earlier.
      list.splice(indexAt(list, result.at, false), 0, copyResult(result));
      rollUp(result);
    },
    appendEvent(event) {
      events.push(copyEvent(event));
    },
    flush: async () => {},
    results(check, span, limit = Infinity) {
      const found = [...within(results.get(check) ?? [], span)];
      return found.slice(Math.max(0, found.length - limit)).map(copyResult);
    },
    rollups(resolution, span, check) {
      const out: Rollup[] = [];
      for (const [, byStart] of selected(rollups[resolution], check === undefined ? undefined : [check]).sort(([a], [b]) => byName(a, b))) {
        for (const r of [...byStart.values()].sort((a, b) => a.start - b.start)) if (inSpan(r.start, span)) out.push({ ...r, buckets: [...r.buckets] });
      }
      return out;
    },
    aggregate: queries.aggregate,
    series: queries.series,
    events(span, filter = {}) {
      const out: HistoryEvent[] = [];
      // Newest first; among equal times, the later appended first.
      const sorted = events.map((e, i) => [e, i] as const).sort(([a, i], [b, j]) => b.at - a.at || j - i);
      for (const [e] of sorted) {
        if (out.length >= (filter.limit ?? Infinity)) break;
        if (inSpan(e.at, span) && (filter.check === undefined || e.check === filter.check) && (filter.kind === undefined || e.kind === filter.kind)) {
          out.push(copyEvent(e));
        }
      }
      return out;
    },
    async prune(now) {
      const rawCutoff = now - options.retention.rawMs;
      const rollupCutoff = now - options.retention.rollupMs;
      let removed = 0;
      for (const [check, list] of results) {
        const kept = list.filter((r) => r.at >= rawCutoff);
        removed += list.length - kept.length;
        if (kept.length > 0) results.set(check, kept);
        else results.delete(check);
      }
      for (const resolution of RESOLUTIONS) {
        const last = lastExpiredStart(resolution, rollupCutoff);
        for (const [check, byStart] of rollups[resolution]) {
          for (const start of byStart.keys()) {
            if (start > last) continue;
            byStart.delete(start);
            removed++;
          }
          if (byStart.size === 0) rollups[resolution].delete(check);
        }
      }
      const keptEvents = events.filter((e) => e.at >= rollupCutoff);
      removed += events.length - keptEvents.length;
      events = keptEvents;
      return removed;
    },
    health: () => ({ pending: 0, dropped: 0, writeErrors: 0 }),
    close: async () => {},
  };
}
