// The durable outbox: a notification is written here before any attempt to send it and removed
// only once its receiver took it (2xx) or refused it for good. Attempts, the next try and the
// last error are kept, so a restart resumes exactly where delivery stood.
import type { Db } from '../store/database.js';
import type { Notification } from './notification.js';

export const OUTBOX_MIGRATIONS = [
  {
    id: 'outbox:1',
    sql: `CREATE TABLE outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      receiver TEXT NOT NULL,
      integration INTEGER NOT NULL,
      notification TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT
    );
    CREATE INDEX outbox_due ON outbox (next_attempt_at);`,
  },
];

export interface OutboxEntry {
  id: number;
  receiver: string;
  /** Which of the receiver's integrations (its n-th `<kind>_configs` entry) this copy is for. */
  integration: number;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

interface Row {
  id: number;
  receiver: string;
  integration: number;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

export interface Outbox {
  add(receiver: string, integration: number, n: Notification, now: number): number;
  /** Entries due at `now`, oldest first; their notifications are read one by one with `read`. */
  due(now: number, limit: number): OutboxEntry[];
  read(id: number): Notification | undefined;
  /** When the next entry is due, if any. */
  nextDueAt(): number | undefined;
  done(id: number): void;
  retryAt(id: number, at: number, error: string): void;
  pending(): number;
}

export function createOutbox(db: Db): Outbox {
  const insert = db.prepare('INSERT INTO outbox (receiver, integration, notification, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)');
  const selectDue = db.prepare<[number, number], Row>(
    'SELECT id, receiver, integration, created_at, attempts, next_attempt_at, last_error FROM outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?',
  );
  const selectOne = db.prepare<[number], { notification: string }>('SELECT notification FROM outbox WHERE id = ?');
  const selectNext = db.prepare<[], { at: number | null }>('SELECT MIN(next_attempt_at) AS at FROM outbox');
  const remove = db.prepare('DELETE FROM outbox WHERE id = ?');
  const retry = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox');
  return {
    add: (receiver, integration, n, now) => Number(insert.run(receiver, integration, JSON.stringify(n), now, now).lastInsertRowid),
    due: (now, limit) =>
      selectDue.all(now, limit).map((r) => ({
        id: r.id, receiver: r.receiver, integration: r.integration, createdAt: r.created_at, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastError: r.last_error,
      })),
    read(id) {
      const row = selectOne.get(id);
      return row ? (JSON.parse(row.notification) as Notification) : undefined;
    },
    nextDueAt: () => selectNext.get()?.at ?? undefined,
    done: (id) => void remove.run(id),
    retryAt: (id, at, error) => void retry.run(at, error, id),
    pending: () => count.get()!.n,
  };
}
