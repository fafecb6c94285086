// The history tables. Checks are numbered (history_checks) so that rows and keys hold a small
// integer instead of the name. Tables without rowid are stored in key order, chosen for how each
// is written: results by (check, time), so a check's span, read or pruned, is one run of pages
// (`seq` tells apart the rare results of one check at the same millisecond); rollups by (start,
// check), so the current hour's and day's rows of every check, updated together, sit in a few
// pages, with an index for reading one check. history_rollup_lag names the one hour whose
// rollups may lag its raw results (./rollup-hold.ts), rebuilt at open.
import type { Migration } from './database.js';
import type { Resolution } from './history.js';

export const ROLLUP_TABLES = { hour: 'history_hourly', day: 'history_daily' } as const satisfies Record<Resolution, string>;

const rollupTable = (name: string) => `CREATE TABLE ${name} (
      start INTEGER NOT NULL,
      check_id INTEGER NOT NULL,
      count INTEGER NOT NULL,
      failures INTEGER NOT NULL,
      latency_sum_ms REAL NOT NULL,
      latency_min_ms REAL NOT NULL,
      latency_max_ms REAL NOT NULL,
      buckets BLOB NOT NULL,
      PRIMARY KEY (start, check_id)
    ) WITHOUT ROWID;
    CREATE INDEX ${name}_check ON ${name} (check_id, start);`;

export const HISTORY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'history:1',
    sql: `CREATE TABLE history_checks (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE history_results (
      check_id INTEGER NOT NULL,
      at INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      duration_ms REAL NOT NULL,
      ok INTEGER NOT NULL,
      status TEXT,
      reason TEXT,
      message TEXT,
      PRIMARY KEY (check_id, at, seq)
    ) WITHOUT ROWID;
    ${rollupTable(ROLLUP_TABLES.hour)}
    ${rollupTable(ROLLUP_TABLES.day)}
    CREATE TABLE history_events (
      id INTEGER PRIMARY KEY,
      check_name TEXT NOT NULL,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL,
      state TEXT NOT NULL,
      message TEXT,
      data TEXT
    );
    CREATE INDEX history_events_at ON history_events (at);
    CREATE INDEX history_events_check_at ON history_events (check_name, at);`,
  },
  {
    id: 'history:2',
    sql: `CREATE TABLE history_rollup_lag (id INTEGER PRIMARY KEY CHECK (id = 1), hour INTEGER NOT NULL);`,
  },
];
