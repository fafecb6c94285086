// The audit log: every change asked of the API (and every refusal), who asked, from where, when,
// and what changed, with secrets redacted before anything is written. Kept in the database under
// storage.path; the oldest rows go once there are more than `maxRows`.
import type { Db, Migration } from '../store/database.js';
import { migrate } from '../store/database.js';
import { redactSecrets } from '../core/redact.js';

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'audit:1',
    sql: `
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        remote TEXT,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        target_check TEXT,
        outcome TEXT NOT NULL,
        status INTEGER NOT NULL,
        detail TEXT,
        change TEXT
      );
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX audit_log_check ON audit_log (target_check, at);
    `,
  },
];

/** ok: done; rejected: the request was wrong (4xx); denied: not allowed (401/403); failed: healthmon's fault (5xx). */
export type AuditOutcome = 'ok' | 'rejected' | 'denied' | 'failed';

export interface AuditRecord {
  at: number;
  /** `token:config|file|env`, `basic:<user>`, `loopback`, or `anonymous` for a refused request. */
  actor: string;
  remote?: string | undefined;
  method: string;
  path: string;
  check?: string | undefined;
  outcome: AuditOutcome;
  status: number;
  detail?: string | undefined;
  /** What changed, e.g. {before, after}; redacted before it is stored. */
  change?: unknown;
}

export interface AuditEntry extends AuditRecord {
  id: number;
}

export interface AuditQuery {
  limit?: number;
  since?: number;
  check?: string;
}

export interface AuditLog {
  record(entry: AuditRecord): void;
  /** Newest first. */
  list(query?: AuditQuery): AuditEntry[];
}

interface Row {
  id: number;
  at: number;
  actor: string;
  remote: string | null;
  method: string;
  path: string;
  target_check: string | null;
  outcome: AuditOutcome;
  status: number;
  detail: string | null;
  change: string | null;
}

export function createAuditLog(db: Db, options: { maxRows?: number } = {}): AuditLog {
  migrate(db, AUDIT_MIGRATIONS);
  const maxRows = options.maxRows ?? 100_000;
  const insert = db.prepare(
    'INSERT INTO audit_log (at, actor, remote, method, path, target_check, outcome, status, detail, change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const trim = db.prepare('DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)');
  let sinceTrim = 0;
  return {
    record(e) {
      // The detail may quote what was sent; redacting both together scrubs a secret from either.
      const safe = redactSecrets({ detail: e.detail, change: e.change }) as { detail?: string; change?: unknown };
      insert.run(e.at, e.actor, e.remote ?? null, e.method, e.path, e.check ?? null, e.outcome, e.status, safe.detail ?? null, safe.change === undefined ? null : JSON.stringify(safe.change));
      if (++sinceTrim >= 100) {
        sinceTrim = 0;
        trim.run(maxRows);
      }
    },
    list(query = {}) {
      const where: string[] = [];
      const args: Array<string | number> = [];
      if (query.since !== undefined) {
        where.push('at >= ?');
        args.push(query.since);
      }
      if (query.check !== undefined) {
        where.push('target_check = ?');
        args.push(query.check);
      }
      const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      const rows = db.prepare<Array<string | number>, Row>(sql).all(...args, Math.min(query.limit ?? 100, 1000));
      return rows.map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        ...(r.remote === null ? {} : { remote: r.remote }),
        method: r.method,
        path: r.path,
        ...(r.target_check === null ? {} : { check: r.target_check }),
        outcome: r.outcome,
        status: r.status,
        ...(r.detail === null ? {} : { detail: r.detail }),
        ...(r.change === null ? {} : { change: JSON.parse(r.change) as unknown }),
      }));
    },
  };
}
