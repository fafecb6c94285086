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
