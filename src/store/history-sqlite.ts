// The history store in SQLite (healthmon.db under storage.path): append() only queues; batches
// are written off the main thread (./writer-thread.ts), so a slow, locked or full disk never
// delays a probe or fails a check — rows wait, are retried, and at worst the oldest are dropped.
// The current hour's rollup changes are held on this thread and written every rollupEveryMs
// rather than with every batch (./rollup-hold.ts).
import type { Logger } from 'pino';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { migrate, openDatabase, type Db } from './database.js';
import type { HistoryEvent, HistoryResult, HistoryStore, Retention } from './history.js';
import { createHistoryQueries } from './history-query.js';
import { createHistoryReads } from './history-reads.js';
import { HISTORY_MIGRATIONS } from './history-schema.js';
import type { WriteBatch } from './history-writes.js';
import { RESOLUTION_MS } from './periods.js';
import { createRollupHold } from './rollup-hold.js';
import { repairRollups } from './rollup-repair.js';
import { createWriteQueue } from './write-queue.js';
import { isTransient, startWriterThread } from './writer-thread.js';

export type SqliteHistoryOptions = (
  | { /** Opens (and closes) its own connection to healthmon.db in this directory. */ dir: string }
  | { /** Reads through the app's connection (left open on close); the writer opens one more to its file. */ db: Db }
) & {
  retention: Retention;
  logger: Logger;
  /** For the flush and retry timers. */
  clock?: Clock;
  /** How often queued rows are written (default 1 s): at most this much is lost to a crash. */
  flushIntervalMs?: number;
  /**
   * How long the current hour's rollup changes are held in memory before they are written
   * (default 30 s). Reads add them meanwhile; after a crash the next open rebuilds them.
   */
  rollupEveryMs?: number;
  /** Rows per transaction at most; this many queued are written at once (default 1,000). */
  batchSize?: number;
  /** Rows held while the disk cannot keep up; beyond, the oldest are dropped (default 200,000). */
  maxPending?: number;
  /** Backoff between retries of a failed batch (default 100 ms doubling up to 30 s). */
  retry?: { initialMs: number; maxMs: number };
  /** Caps the database at this many pages for the writer, as a full disk would (for tests). */
  maxPageCount?: number;
};

type Queued = { result: HistoryResult } | { event: HistoryEvent };

/** Rollup changes are held only where the raw results outlive the hour they may lag by. */
const HOLD_ROLLUPS_MIN_RAW_MS = 2 * RESOLUTION_MS.hour;

function toBatch(items: readonly Queued[]): Pick<WriteBatch, 'results' | 'events'> {
  const batch: Pick<WriteBatch, 'results' | 'events'> = { results: [], events: [] };
  for (const q of items) {
    if ('result' in q) batch.results.push(q.result);
    else batch.events.push(q.event);
  }
  return batch;
}

export function createSqliteHistory(options: SqliteHistoryOptions): HistoryStore {
  const { logger } = options;
  const db = 'db' in options ? options.db : openDatabase(options.dir);
  if (db.memory) throw new Error('the SQLite history needs a database file: its writer thread opens a connection of its own');
  migrate(db, HISTORY_MIGRATIONS);
  // Before the writer starts: the last run may have stopped with rollups held back.
  const repaired = repairRollups(db);
  if (repaired !== undefined) logger.info({ hour: new Date(repaired).toISOString() }, 'history rollups of the last hour rebuilt from raw results after an unclean stop');
  const clock = options.clock ?? systemClock;
  const hold = createRollupHold({ enabled: options.retention.rawMs >= HOLD_ROLLUPS_MIN_RAW_MS, everyMs: options.rollupEveryMs ?? 30_000 });
  const reads = createHistoryReads(db, hold);
  const writer = startWriterThread({ file: db.name, ...(options.maxPageCount !== undefined && { maxPageCount: options.maxPageCount }) });
  let lastLogged: string | undefined;
  /** Logs a failure, again only when it changes. */
  const logError = (err: unknown, log: () => void) => {
    const message = err instanceof Error ? err.message : String(err);
    if (message === lastLogged) return;
    lastLogged = message;
    log();
  };

  // Writes one at a time, queued batches and the held rollups alike: each plans its rollups
  // knowing what the last one left held.
  let last: Promise<unknown> = Promise.resolve();
  let rollupTimer: TimerHandle | undefined;
  let closed = false;
  const write = (batch: Pick<WriteBatch, 'results' | 'events'>, applyAll: boolean): Promise<void> => {
    const run = last.then(async () => {
      const plan = hold.plan(batch.results, clock.now(), applyAll);
      try {
        await writer.write({ ...batch, holdHour: plan.holdHour, rollups: plan.rollups, lag: plan.lag });
      } catch (err) {
        plan.settle(false);
        throw err;
      }
      plan.settle(true);
      armRollups();
    });
    last = run.catch(() => {});
    return run;
  };
  /** Writes the held rollups, if any; a failure leaves them held, for the next batch or timer. */
  const applyRollups = async () => {
    if (rollupTimer !== undefined) clock.clearTimeout(rollupTimer);
    rollupTimer = undefined;
    if (hold.dueAt() === undefined) return;
    await write({ results: [], events: [] }, true).catch((err: unknown) =>
      logError(err, () => logger.warn({ err }, 'history rollups could not be written; they stay held and are tried again')),
    );
  };
  const armRollups = () => {
    const due = hold.dueAt();
    if (due === undefined || rollupTimer !== undefined || closed) return;
    rollupTimer = clock.setTimeout(() => {
      rollupTimer = undefined;
      void applyRollups();
    }, Math.max(0, due - clock.now()));
  };

  const queue = createWriteQueue<Queued>({
    clock,
    write: (items) => write(toBatch(items), false),
    isTransient,
    flushIntervalMs: options.flushIntervalMs ?? 1000,
    batchSize: options.batchSize ?? 1000,
    maxPending: options.maxPending ?? 200_000,
    retry: options.retry ?? { initialMs: 100, maxMs: 30_000 },
    onError(err, kept) {
      logError(err, () => {
        if (kept) logger.warn({ err, pending: queue.health().pending }, 'history write failed; the rows stay queued and are retried');
        else logger.error({ err }, 'history write failed for good; the batch is dropped');
      });
    },
    onRecovered() {
      lastLogged = undefined;
      logger.info({ pending: queue.health().pending }, 'history writes recovered');
    },
  });
  const queries = createHistoryQueries(reads);

  return {
    append: (result) => queue.push({ result }),
    appendEvent: (event) => queue.push({ event }),
    async flush() {
      await queue.flush();
      await applyRollups();
    },
    results: reads.results,
    rollups: reads.rollups,
    aggregate: queries.aggregate,
    series: queries.series,
    events: reads.events,
    prune: (now) => writer.prune(now, options.retention),
    health: () => queue.health(),
    async close() {
      await queue.flush();
      queue.stop();
      closed = true;
      // Left held if this fails: the next open rebuilds them from the raw results.
      await applyRollups();
      const { pending } = queue.health();
      if (pending > 0) logger.warn({ pending }, 'history closed with rows not written');
      await writer.close();
      if (!('db' in options)) db.close();
    },
  };
}
