// The SQLite file under storage.path that keeps what must survive a restart: the alert outbox,
// silences and the router's alerts (and, later, check history). WAL mode; each part brings its
// own tables as numbered migrations, applied once, in order, in a transaction.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface Migration {
  /** Unique and stable forever: `<part>:<n>`, e.g. `outbox:1`. */
  id: string;
  sql: string;
}

export const DATABASE_FILE = 'healthmon.db';

/**
 * WAL frames (pages) before a commit copies them into the file: 10,000 (≈ 40 MB) instead of
 * SQLite's 1,000. History commits a batch a second to pages all over its tables; a page changed
 * by many batches between two checkpoints is copied once, so the file sees a fraction of the
 * writes (measured in bench/history.js `history-io`). Every connection has the same threshold,
 * so the history writer's thread, which commits most often, does nearly all checkpoints and
 * the main thread's rare commits seldom find a big WAL to copy.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** Opens (creating) the database in `dir`; ':memory:' for tests that need no file. */
export function openDatabase(dir: string | ':memory:'): Db {
  if (dir !== ':memory:') mkdirSync(dir, { recursive: true });
  return openDatabaseFile(dir === ':memory:' ? ':memory:' : join(dir, DATABASE_FILE));
}

/** Opens one more connection to a database file, as openDatabase does (a worker thread needs its own). */
export function openDatabaseFile(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.exec('CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  return db;
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  const applied = new Set(db.prepare<[], { id: string }>('SELECT id FROM migrations').all().map((r) => r.id));
  const record = db.prepare('INSERT INTO migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.id, Date.now());
    })();
  }
}
