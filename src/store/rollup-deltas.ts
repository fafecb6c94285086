// Rollup changes gathered in memory before they are written: per resolution, period and check,
// the Aggregate of the results not in the rollup tables yet, so that many results of one check
// and hour cost one row update instead of one each.
import type { Aggregate, Resolution, Span } from './history.js';
import type { MergeTarget } from './history-query.js';
import { addTo, emptyAggregate, merge } from './latency-buckets.js';
import { periodStart, RESOLUTIONS } from './periods.js';

export interface RollupDelta {
  resolution: Resolution;
  /** Start of the hour or day. */
  start: number;
  check: string;
  aggregate: Aggregate;
}

export interface RollupDeltas {
  /** Adds one result to its hour's and its day's delta. */
  add(check: string, at: number, durationMs: number, ok: boolean): void;
  /** Adds every delta of `other` (left unchanged). */
  addAll(other: RollupDeltas): void;
  values(): IterableIterator<RollupDelta>;
  /** Merges each delta of `resolution` starting in the span (of the wanted checks, or all) into its target. */
  mergeInto(resolution: Resolution, span: Span, checks: readonly string[] | undefined, into: MergeTarget): void;
  readonly size: number;
  clear(): void;
}

export function createRollupDeltas(): RollupDeltas {
  const byKey = new Map<string, RollupDelta>();
  const entry = (resolution: Resolution, start: number, check: string): Aggregate => {
    const key = `${resolution}:${start}:${check}`;
    let delta = byKey.get(key);
    if (!delta) byKey.set(key, (delta = { resolution, start, check, aggregate: emptyAggregate() }));
    return delta.aggregate;
  };
  return {
    add(check, at, durationMs, ok) {
      for (const resolution of RESOLUTIONS) addTo(entry(resolution, periodStart(resolution, at), check), durationMs, ok);
    },
    addAll(other) {
      for (const d of other.values()) merge(entry(d.resolution, d.start, d.check), d.aggregate);
    },
    values: () => byKey.values(),
    mergeInto(resolution, span, checks, into) {
      if (byKey.size === 0) return;
      const wanted = checks && new Set(checks);
      for (const d of byKey.values()) {
        if (d.resolution !== resolution || d.start < span.since || d.start >= span.until || (wanted && !wanted.has(d.check))) continue;
        merge(into(d.check, d.start), d.aggregate);
      }
    },
    get size() {
      return byKey.size;
    },
    clear: () => byKey.clear(),
  };
}
