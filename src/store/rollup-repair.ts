// Rollups made whole again after a crash. The writer keeps the current hour's rollup changes in
// memory a while (./history-writes.ts) and names that hour in history_rollup_lag meanwhile; a
// crash loses the changes but not the raw results, so at open the hour's rollups are computed
// again from them, and its day's rollup corrected by the difference.
import { addEncodedBuckets, encodeBuckets } from './bucket-codec.js';
import type { Db } from './database.js';
import type { Aggregate, Resolution } from './history.js';
import { ROLLUP_TABLES } from './history-schema.js';
import { addTo, BUCKET_COUNT, emptyAggregate } from './latency-buckets.js';
import { periodStart, RESOLUTION_MS } from './periods.js';

type RollupRow = [count: number, failures: number, sumMs: number, minMs: number, maxMs: number, buckets: Uint8Array];

function toAggregate([count, failures, latencySumMs, latencyMinMs, latencyMaxMs, encoded]: RollupRow): Aggregate {
  const a: Aggregate = { count, failures, latencySumMs, latencyMinMs, latencyMaxMs, buckets: emptyAggregate().buckets };
  addEncodedBuckets(a.buckets, encoded);
  return a;
}

const sameCounts = (a: Aggregate, b: Aggregate) => a.count === b.count && a.failures === b.failures && a.buckets.every((n, i) => n === b.buckets[i]);

/**
 * The day's rollup with the hour's old rollup replaced by the new one: every result of the hour
 * is in `hour` (the old one held a part of them), so the extremes are the day's and the hour's.
 */
function replaceHour(day: Aggregate, oldHour: Aggregate, hour: Aggregate): Aggregate {
  const rest = day.count - oldHour.count;
  const out: Aggregate = {
    count: rest + hour.count,
    failures: day.failures - oldHour.failures + hour.failures,
    latencySumMs: rest === 0 ? hour.latencySumMs : day.latencySumMs - oldHour.latencySumMs + hour.latencySumMs,
    latencyMinMs: Math.min(day.latencyMinMs, hour.latencyMinMs),
    latencyMaxMs: Math.max(day.latencyMaxMs, hour.latencyMaxMs),
    buckets: new Array<number>(BUCKET_COUNT),
  };
  for (let i = 0; i < BUCKET_COUNT; i++) out.buckets[i] = day.buckets[i]! - oldHour.buckets[i]! + hour.buckets[i]!;
  return out;
}

/**
 * Rebuilds the rollups of the hour named in history_rollup_lag, if any, from its raw results, in
 * one transaction that also clears the name. Returns the hour, or undefined when none lagged.
 */
export function repairRollups(db: Db): number | undefined {
  const lag = db.prepare<[], { hour: number }>('SELECT hour FROM history_rollup_lag').get();
  if (!lag) return undefined;
  const hour = lag.hour;
  const day = periodStart('day', hour);
  const selectIds = db.prepare<[], { id: number }>('SELECT id FROM history_checks');
  const selectRaw = db.prepare<[number, number, number], [number, number]>('SELECT duration_ms, ok FROM history_results WHERE check_id = ? AND at >= ? AND at < ?').raw();
  const select = (resolution: Resolution) =>
    db.prepare<[number, number], RollupRow>(`SELECT count, failures, latency_sum_ms, latency_min_ms, latency_max_ms, buckets FROM ${ROLLUP_TABLES[resolution]} WHERE start = ? AND check_id = ?`).raw();
  const replace = (resolution: Resolution) =>
    db.prepare(`INSERT OR REPLACE INTO ${ROLLUP_TABLES[resolution]} (start, check_id, count, failures, latency_sum_ms, latency_min_ms, latency_max_ms, buckets) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const selectRollup = { hour: select('hour'), day: select('day') } satisfies Record<Resolution, unknown>;
  const replaceRollup = { hour: replace('hour'), day: replace('day') } satisfies Record<Resolution, unknown>;
  const write = (resolution: Resolution, start: number, id: number, a: Aggregate) =>
    replaceRollup[resolution].run(start, id, a.count, a.failures, a.latencySumMs, a.latencyMinMs, a.latencyMaxMs, encodeBuckets(a.buckets));

  db.transaction(() => {
    for (const { id } of selectIds.all()) {
      const fresh = emptyAggregate();
      for (const [durationMs, ok] of selectRaw.all(id, hour, hour + RESOLUTION_MS.hour)) addTo(fresh, durationMs, ok === 1);
      const oldRow = selectRollup.hour.get(hour, id);
      const old = oldRow ? toAggregate(oldRow) : emptyAggregate();
      // No raw results where a rollup has some: they were pruned, and the rollup is all there is.
      if (fresh.count === 0 || sameCounts(fresh, old)) continue;
      write('hour', hour, id, fresh);
      const dayRow = selectRollup.day.get(day, id);
      write('day', day, id, dayRow ? replaceHour(toAggregate(dayRow), old, fresh) : fresh);
    }
    db.prepare('DELETE FROM history_rollup_lag').run();
  })();
  return hour;
}
