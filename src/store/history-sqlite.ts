// The history store in SQLite (healthmon.db under storage.path): append() only queues; batches
// are written off the main thread (./writer-thread.ts), so a slow, locked or full disk never
// delays a probe or fails a check — rows wait, are retried, and at worst the oldest are dropped.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import { migrate, openDatabase, type Db } from './database.js';
import type { HistoryEvent, HistoryResult, HistoryStore, Retention } from './history.js';
import { createHistoryQueries } from './history-query.js';
import { createHistoryReads } from './history-reads.js';
import { HISTORY_MIGRATIONS } from './history-schema.js';
import type { WriteBatch } from './history-writes.js';
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

function toBatch(items: readonly Queued[]): WriteBatch {
  const batch: WriteBatch = { results: [], events: [] };
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
  const reads = createHistoryReads(db);
  const writer = startWriterThread({ file: db.name, ...(options.maxPageCount !== undefined && { maxPageCount: options.maxPageCount }) });
  let lastLogged: string | undefined;
  const queue = createWriteQueue<Queued>({
    clock: options.clock ?? systemClock,
    write: (items) => writer.write(toBatch(items)),
    isTransient,
    flushIntervalMs: options.flushIntervalMs ?? 1000,
    batchSize: options.batchSize ?? 1000,
    maxPending: options.maxPending ?? 200_000,
    retry: options.retry ?? { initialMs: 100, maxMs: 30_000 },
    onError(err, kept) {
      const message = err instanceof Error ? err.message : String(err);
      // A repeating failure is logged again only when it changes.
      if (message === lastLogged) return;
      lastLogged = message;
      if (kept) logger.warn({ err, pending: queue.health().pending }, 'history write failed; the rows stay queued and are retried');
      else logger.error({ err }, 'history write failed for good; the batch is dropped');
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
    flush: () => queue.flush(),
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
      const { pending } = queue.health();
      if (pending > 0) logger.warn({ pending }, 'history closed with rows not written');
      await writer.close();
      if (!('db' in options)) db.close();
    },
  };
}
