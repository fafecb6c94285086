// The history in storage.path, opened for reading only, as `report` and `dashboard` need it while
// a healthmon server writes the same file: a read-only connection (WAL lets it read beside the
// writer), the store's own read queries, and no migration, no writer thread, no write at all.
// createSqliteHistory migrates and starts a writer, so it is not used here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../store/database.js';
import type { HistoryStore } from '../store/history.js';
import { createHistoryQueries } from '../store/history-query.js';
import { createHistoryReads } from '../store/history-reads.js';

export type OpenedHistory = { history: HistoryStore; file: string; close(): void } | { missing: string };

/** Opens `<storagePath>/healthmon.db`; `missing` when there is no file or no history in it yet. */
export function openHistoryReadOnly(storagePath: string): OpenedHistory {
  const file = join(storagePath, DATABASE_FILE);
  if (!existsSync(file)) return { missing: file };
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    // The server's writer holds the lock briefly per batch; wait rather than fail.
    db.pragma('busy_timeout = 5000');
    const tables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('history_checks', 'history_results', 'history_events')").get();
    if ((tables?.n ?? 0) < 3) {
      db.close();
      return { missing: file };
    }
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const reads = createHistoryReads(db);
  const queries = createHistoryQueries(reads);
  const readOnly = (): never => {
    throw new Error('the history is open for reading only');
  };
  const history: HistoryStore = {
    append: readOnly,
    appendEvent: readOnly,
    flush: async () => {},
    results: reads.results,
    rollups: reads.rollups,
    aggregate: queries.aggregate,
    series: queries.series,
    events: reads.events,
    prune: async () => readOnly(),
    health: () => ({ pending: 0, dropped: 0, writeErrors: 0 }),
    close: async () => {
      db.close();
    },
  };
  return { history, file, close: () => db.close() };
}
