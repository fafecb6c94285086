// Reading history from SQLite on the main thread's connection: in WAL mode reads go on while the
// writer thread holds the write lock. Every query is a range of a key or an index: results by
// (check_id, at), rollups by (start, check_id) or (check_id, start), events by (at) or (check_name, at).
// Rollup changes the store holds in memory, not written yet (./rollup-hold.ts), are added to the rows.
import { addEncodedBuckets } from './bucket-codec.js';
import type { Db } from './database.js';
import type { Aggregate, HistoryEvent, HistoryEventKind, HistoryResult, HistoryStore, Resolution, Rollup, Span } from './history.js';
import type { HistorySource, MergeTarget } from './history-query.js';
import { ROLLUP_TABLES } from './history-schema.js';
import { addTo, emptyAggregate } from './latency-buckets.js';
import type { CheckStatus } from '../state/check-state.js';

export type HistoryReads = HistorySource & Pick<HistoryStore, 'results' | 'rollups' | 'events'>;

/** Rollup changes not in the tables yet, merged into reads. */
export interface HeldRollups {
  mergeInto(resolution: Resolution, span: Span, checks: readonly string[] | undefined, into: MergeTarget): void;
}

interface ResultRow {
  at: number;
  duration_ms: number;
  ok: number;
  status: string | null;
  reason: string | null;
  message: string | null;
}

type RollupRow = [start: number, count: number, failures: number, sumMs: number, minMs: number, maxMs: number, buckets: Uint8Array];

interface EventRow {
  check_name: string;
  at: number;
  kind: HistoryEventKind;
  state: string;
  message: string | null;
  data: string | null;
}

const ROLLUP_COLUMNS = 'start, count, failures, latency_sum_ms, latency_min_ms, latency_max_ms, buckets';

function mergeRow(into: Aggregate, [, count, failures, sumMs, minMs, maxMs, encoded]: RollupRow): void {
  into.count += count;
  into.failures += failures;
  into.latencySumMs += sumMs;
  if (minMs < into.latencyMinMs) into.latencyMinMs = minMs;
  if (maxMs > into.latencyMaxMs) into.latencyMaxMs = maxMs;
  addEncodedBuckets(into.buckets, encoded);
}

export function createHistoryReads(db: Db, held?: HeldRollups): HistoryReads {
  const selectChecks = db.prepare<[], { id: number; name: string }>('SELECT id, name FROM history_checks ORDER BY name');
  const selectResults = db.prepare<[number, number, number, number], ResultRow>(
    'SELECT at, duration_ms, ok, status, reason, message FROM history_results WHERE check_id = ? AND at >= ? AND at < ? ORDER BY at DESC, seq DESC LIMIT ?',
  );
  const selectRaw = db.prepare<[number, number, number], [number, number, number]>('SELECT at, duration_ms, ok FROM history_results WHERE check_id = ? AND at >= ? AND at < ?').raw();
  // One check's through the (check_id, start) index; every check's as one range of the key.
  const rollupQuery = (resolution: Resolution) =>
    db.prepare<[number, number, number], RollupRow>(`SELECT ${ROLLUP_COLUMNS} FROM ${ROLLUP_TABLES[resolution]} WHERE check_id = ? AND start >= ? AND start < ? ORDER BY start`).raw();
  const allRollupsQuery = (resolution: Resolution) =>
    db.prepare<[number, number], [checkId: number, ...RollupRow]>(`SELECT check_id, ${ROLLUP_COLUMNS} FROM ${ROLLUP_TABLES[resolution]} WHERE start >= ? AND start < ?`).raw();
  const selectRollups = { hour: rollupQuery('hour'), day: rollupQuery('day') } satisfies Record<Resolution, unknown>;
  const selectAllRollups = { hour: allRollupsQuery('hour'), day: allRollupsQuery('day') } satisfies Record<Resolution, unknown>;
  const eventsQuery = (byCheck: boolean, byKind: boolean) => {
    const where = ['at >= ?', 'at < ?', ...(byCheck ? ['check_name = ?'] : []), ...(byKind ? ['kind = ?'] : [])].join(' AND ');
    return db.prepare<(string | number)[], EventRow>(`SELECT check_name, at, kind, state, message, data FROM history_events WHERE ${where} ORDER BY at DESC, id DESC LIMIT ?`);
  };
  const selectEvents = new Map<string, ReturnType<typeof eventsQuery>>();

  // Checks sorted by name, both ways; read again when one is missing and the writer has added
  // checks since (rows only ever get added): a check with no history yet, asked for at every
  // run or assessment, must not cost a read of every name.
  const selectLastId = db.prepare<[], [number | null]>('SELECT max(id) FROM history_checks').raw();
  let checks: { id: number; name: string }[] = [];
  let lastId: number | null = null;
  const ids = new Map<string, number>();
  const names = new Map<number, string>();
  const reloadChecks = () => {
    const [newest] = selectLastId.get()!;
    if (newest === lastId) return;
    lastId = newest;
    checks = selectChecks.all();
    for (const c of checks) {
      ids.set(c.name, c.id);
      names.set(c.id, c.name);
    }
  };
  const nameOf = (id: number): string => {
    if (!names.has(id)) reloadChecks();
    return names.get(id)!;
  };
  /** The [name, id] of the wanted checks that have history (all when undefined), in the order asked. */
  const known = (wanted: readonly string[] | undefined): [string, number][] => {
    if (!wanted || wanted.some((name) => !ids.has(name))) reloadChecks();
    return wanted ? wanted.flatMap((name) => (ids.has(name) ? [[name, ids.get(name)!] as [string, number]] : [])) : checks.map((c) => [c.name, c.id]);
  };

  return {
    results(check, span, limit = -1) {
      const [entry] = known([check]);
      if (!entry) return [];
      return selectResults
        .all(entry[1], span.since, span.until, limit)
        .reverse()
        .map((r): HistoryResult => ({
          check,
          at: r.at,
          durationMs: r.duration_ms,
          ok: r.ok === 1,
          ...(r.status !== null && { status: r.status as CheckStatus }),
          ...(r.reason !== null && { reason: r.reason }),
          ...(r.message !== null && { message: r.message }),
        }));
    },
    rollups(resolution, span, check) {
      const out: Rollup[] = [];
      const wanted = check === undefined ? undefined : [check];
      for (const [name, id] of known(wanted)) {
        for (const [start, count, failures, latencySumMs, latencyMinMs, latencyMaxMs, encoded] of selectRollups[resolution].all(id, span.since, span.until)) {
          const { buckets } = emptyAggregate();
          addEncodedBuckets(buckets, encoded);
          out.push({ check: name, resolution, start, count, failures, latencySumMs, latencyMinMs, latencyMaxMs, buckets });
        }
      }
      if (!held) return out;
      const byKey = new Map(out.map((r) => [`${r.check}\0${r.start}`, r]));
      held.mergeInto(resolution, span, wanted, (name, start) => {
        let r = byKey.get(`${name}\0${start}`);
        if (!r) byKey.set(`${name}\0${start}`, (r = { check: name, resolution, start, ...emptyAggregate() }));
        return r;
      });
      if (byKey.size === out.length) return out;
      return [...byKey.values()].sort((a, b) => (a.check < b.check ? -1 : a.check > b.check ? 1 : a.start - b.start));
    },
    events(span, filter = {}) {
      const byCheck = filter.check !== undefined;
      const byKind = filter.kind !== undefined;
      const key = `${byCheck}:${byKind}`;
      let select = selectEvents.get(key);
      if (!select) selectEvents.set(key, (select = eventsQuery(byCheck, byKind)));
      const params = [span.since, span.until, ...(byCheck ? [filter.check!] : []), ...(byKind ? [filter.kind!] : []), filter.limit ?? -1];
      return select.all(...params).map(
        (r): HistoryEvent => ({
          check: r.check_name,
          at: r.at,
          kind: r.kind,
          state: r.state,
          ...(r.message !== null && { message: r.message }),
          ...(r.data !== null && { data: JSON.parse(r.data) as Record<string, unknown> }),
        }),
      );
    },
    scanRaw(span, wanted, into) {
      for (const [name, id] of known(wanted)) {
        for (const [at, durationMs, ok] of selectRaw.all(id, span.since, span.until)) addTo(into(name, at), durationMs, ok === 1);
      }
    },
    scanRollups(resolution, span, wanted, into) {
      held?.mergeInto(resolution, span, wanted, into);
      if (!wanted) {
        for (const [id, ...row] of selectAllRollups[resolution].all(span.since, span.until)) mergeRow(into(nameOf(id), row[0]), row);
        return;
      }
      for (const [name, id] of known(wanted)) {
        for (const row of selectRollups[resolution].all(id, span.since, span.until)) mergeRow(into(name, row[0]), row);
      }
    },
  };
}
