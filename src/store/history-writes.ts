// Everything that writes history to SQLite, on the writer thread's own connection: a batch of
// results and events in one transaction, rollups merged at write time, and pruning in small steps.
// The current hour's rollups may be held back by the main thread (./rollup-hold.ts): the batch
// then says which hour the writer leaves out, brings the held changes when they are due, and the
// hour to record as lagging, all committed with the raw results.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { addEncodedBuckets, encodeBuckets } from './bucket-codec.js';
import type { Db } from './database.js';
import type { HistoryEvent, HistoryResult, Resolution, Retention } from './history.js';
import { ROLLUP_TABLES } from './history-schema.js';
import { emptyAggregate } from './latency-buckets.js';
import { lastExpiredStart, periodStart, RESOLUTIONS } from './periods.js';
import { createRollupDeltas, type RollupDelta } from './rollup-deltas.js';
import type { RollupWritePlan } from './rollup-hold.js';

export interface WriteBatch extends RollupWritePlan {
  results: HistoryResult[];
  events: HistoryEvent[];
}

export interface HistoryWrites {
  /** Writes the batch in one transaction: all of it or, on error, none. */
  write(batch: WriteBatch): void;
  /** Deletes what retention no longer keeps, `PRUNE_STEP_ROWS` at a time, yielding between. */
  prune(now: number, retention: Retention): Promise<number>;
}

/** Rows one delete statement removes at most: short transactions, so writes interleave. */
const PRUNE_STEP_ROWS = 1000;

const MERGE_BUCKETS = 'history_merge_buckets';

export function createHistoryWrites(db: Db): HistoryWrites {
  db.function(MERGE_BUCKETS, { deterministic: true }, (a, b) => {
    const { buckets } = emptyAggregate();
    addEncodedBuckets(buckets, a as Uint8Array);
    addEncodedBuckets(buckets, b as Uint8Array);
    return encodeBuckets(buckets);
  });
  const selectCheck = db.prepare<[string], { id: number }>('SELECT id FROM history_checks WHERE name = ?');
  const insertCheck = db.prepare<[string]>('INSERT INTO history_checks (name) VALUES (?)');
  const selectCheckIds = db.prepare<[], { id: number }>('SELECT id FROM history_checks');
  const insertResult = db.prepare(
    'INSERT INTO history_results (check_id, at, seq, duration_ms, ok, status, reason, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const insertEvent = db.prepare('INSERT INTO history_events (check_name, at, kind, state, message, data) VALUES (?, ?, ?, ?, ?, ?)');
  const upsertQuery = (resolution: Resolution) =>
    db.prepare(`INSERT INTO ${ROLLUP_TABLES[resolution]} (start, check_id, count, failures, latency_sum_ms, latency_min_ms, latency_max_ms, buckets)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (start, check_id) DO UPDATE SET
        count = count + excluded.count,
        failures = failures + excluded.failures,
        latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms,
        latency_min_ms = min(latency_min_ms, excluded.latency_min_ms),
        latency_max_ms = max(latency_max_ms, excluded.latency_max_ms),
        buckets = ${MERGE_BUCKETS}(buckets, excluded.buckets)`);
  const upsertRollup = { hour: upsertQuery('hour'), day: upsertQuery('day') } satisfies Record<Resolution, unknown>;
  const pruneQuery = (resolution: Resolution) => {
    const table = ROLLUP_TABLES[resolution];
    return db.prepare<[number]>(`DELETE FROM ${table} WHERE (start, check_id) IN
      (SELECT start, check_id FROM ${table} WHERE start <= ? ORDER BY start LIMIT ${PRUNE_STEP_ROWS})`);
  };
  const pruneRollups = { hour: pruneQuery('hour'), day: pruneQuery('day') } satisfies Record<Resolution, unknown>;
  const pruneResults = db.prepare<[number, number]>(`DELETE FROM history_results WHERE (check_id, at, seq) IN
    (SELECT check_id, at, seq FROM history_results WHERE check_id = ? AND at < ? ORDER BY at LIMIT ${PRUNE_STEP_ROWS})`);
  const pruneEvents = db.prepare<[number]>(`DELETE FROM history_events WHERE id IN
    (SELECT id FROM history_events WHERE at < ? LIMIT ${PRUNE_STEP_ROWS})`);

  /** Check ids known committed; ids made in a transaction join only once it commits. */
  const ids = new Map<string, number>();

  const setLag = db.prepare<[number]>('INSERT INTO history_rollup_lag (id, hour) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET hour = excluded.hour');
  const clearLag = db.prepare('DELETE FROM history_rollup_lag');
  /** The lagging hour as committed (a row, so written only when it changes). */
  let lagHour = db.prepare<[], { hour: number }>('SELECT hour FROM history_rollup_lag').get()?.hour ?? null;

  const write = (batch: WriteBatch, made: Map<string, number>) => {
    const idOf = (name: string): number => {
      let id = ids.get(name) ?? made.get(name) ?? selectCheck.get(name)?.id;
      if (id === undefined) id = Number(insertCheck.run(name).lastInsertRowid);
      made.set(name, id);
      return id;
    };
    const deltas = createRollupDeltas();
    for (const r of batch.results) {
      const id = idOf(r.check);
      const row = [r.durationMs, r.ok ? 1 : 0, r.status ?? null, r.reason ?? null, r.message ?? null];
      let seq = 0;
      while (insertResult.run(id, r.at, seq, ...row).changes === 0) seq++;
      if (periodStart('hour', r.at) !== batch.holdHour) deltas.add(r.check, r.at, r.durationMs, r.ok);
    }
    const upsert = ({ resolution, start, check, aggregate: a }: RollupDelta) =>
      upsertRollup[resolution].run(start, idOf(check), a.count, a.failures, a.latencySumMs, a.latencyMinMs, a.latencyMaxMs, encodeBuckets(a.buckets));
    for (const d of deltas.values()) upsert(d);
    for (const d of batch.rollups) upsert(d);
    if (batch.lag !== lagHour) {
      if (batch.lag === null) clearLag.run();
      else setLag.run(batch.lag);
    }
    for (const e of batch.events) insertEvent.run(e.check, e.at, e.kind, e.state, e.message ?? null, e.data === undefined ? null : JSON.stringify(e.data));
  };
  const writeTransaction = db.transaction(write);

  /**
   * Runs `step` until it deletes less than a full step, yielding to the thread's messages between;
   * stops early once the connection is closed (the store is closing).
   */
  const drain = async (step: () => number): Promise<number> => {
    let removed = 0;
    while (db.open) {
      const n = step();
      removed += n;
      await yieldToLoop();
      if (n < PRUNE_STEP_ROWS) break;
    }
    return removed;
  };

  return {
    write(batch) {
      const made = new Map<string, number>();
      writeTransaction(batch, made);
      for (const [name, id] of made) ids.set(name, id);
      lagHour = batch.lag;
    },
    async prune(now, retention) {
      const rawCutoff = now - retention.rawMs;
      const rollupCutoff = now - retention.rollupMs;
      let removed = 0;
      for (const { id } of selectCheckIds.all()) removed += await drain(() => pruneResults.run(id, rawCutoff).changes);
      for (const r of RESOLUTIONS) removed += await drain(() => pruneRollups[r].run(lastExpiredStart(r, rollupCutoff)).changes);
      removed += await drain(() => pruneEvents.run(rollupCutoff).changes);
      return removed;
    },
  };
}
