// Silences as Alertmanager keeps them: matchers, a time span, who and why. Created and expired
// over the API or written in the config; stored in SQLite so they survive restarts. An expired
// silence is kept (ends_at in the past) so the API can still list it.
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/database.js';
import type { ConfigSilence } from './alerting-config.js';
import { formatMatcher, matchesLabels, parseMatchers, type CompiledMatcher } from './matchers.js';

export const SILENCE_MIGRATIONS = [
  {
    id: 'silences:1',
    sql: `CREATE TABLE silences (
      id TEXT PRIMARY KEY,
      matchers TEXT NOT NULL,
      starts_at INTEGER NOT NULL,
      ends_at INTEGER NOT NULL,
      created_by TEXT NOT NULL,
      comment TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );`,
  },
];

export interface SilenceInput {
  matchers: string[];
  startsAt?: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface Silence {
  id: string;
  /** As written, e.g. `check=~"db-.*"`. */
  matchers: string[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  updatedAt: number;
  /** Silences from the config file cannot be expired over the API. */
  fromConfig: boolean;
}

export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(s: Silence, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  return now < s.endsAt ? 'active' : 'expired';
}

interface Row {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  updated_at: number;
}

export interface Silences {
  /** Validates and stores a silence; throws Error with a message for the API on bad input. */
  create(input: SilenceInput, now: number): Silence;
  /** Ends a silence now; false when there is no such silence or it comes from the config. */
  expire(id: string, now: number): boolean;
  list(): Silence[];
  /** The id of an active silence matching these labels, if any. */
  silencedBy(labels: Readonly<Record<string, string>>, now: number): string | undefined;
  /** Replaces the silences that come from the config file. */
  setConfigSilences(list: readonly ConfigSilence[], now: number): void;
}

export function createSilences(db: Db): Silences {
  const insert = db.prepare('INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const expireStmt = db.prepare('UPDATE silences SET ends_at = ?, updated_at = ? WHERE id = ? AND ends_at > ?');
  const all = db.prepare<[], Row>('SELECT * FROM silences ORDER BY starts_at, id');
  const compiled = new Map<string, { silence: Silence; matchers: readonly CompiledMatcher[] }>();
  for (const r of all.all()) {
    const silence: Silence = {
      id: r.id, matchers: JSON.parse(r.matchers) as string[], startsAt: r.starts_at, endsAt: r.ends_at,
      createdBy: r.created_by, comment: r.comment, updatedAt: r.updated_at, fromConfig: false,
    };
    compiled.set(r.id, { silence, matchers: parseMatchers(silence.matchers) });
  }
  let fromConfig: { silence: Silence; matchers: readonly CompiledMatcher[] }[] = [];

  const validate = (input: SilenceInput, now: number) => {
    if (!Array.isArray(input.matchers) || input.matchers.length === 0) throw new Error('a silence needs at least one matcher');
    const matchers = parseMatchers(input.matchers);
    // Alertmanager refuses a silence that would mute everything.
    if (matchers.every((m) => m.matches(''))) throw new Error('at least one matcher must not match the empty string');
    const startsAt = input.startsAt ?? now;
    if (!Number.isFinite(startsAt) || !Number.isFinite(input.endsAt)) throw new Error('startsAt and endsAt must be times');
    if (input.endsAt <= startsAt) throw new Error('endsAt must be after startsAt');
    if (input.endsAt <= now) throw new Error('endsAt is in the past');
    return { matchers, startsAt };
  };

  return {
    create(input, now) {
      const { matchers, startsAt } = validate(input, now);
      const silence: Silence = {
        id: randomUUID(), matchers: [...input.matchers], startsAt, endsAt: input.endsAt,
        createdBy: input.createdBy, comment: input.comment, updatedAt: now, fromConfig: false,
      };
      insert.run(silence.id, JSON.stringify(silence.matchers), silence.startsAt, silence.endsAt, silence.createdBy, silence.comment, now);
      compiled.set(silence.id, { silence, matchers });
      return silence;
    },
    expire(id, now) {
      const entry = compiled.get(id);
      if (!entry || entry.silence.endsAt <= now) return false;
      expireStmt.run(now, now, id, now);
      entry.silence.endsAt = now;
      entry.silence.updatedAt = now;
      return true;
    },
    list: () => [...fromConfig.map((e) => e.silence), ...[...compiled.values()].map((e) => e.silence)],
    silencedBy(labels, now) {
      for (const e of [...fromConfig, ...compiled.values()]) {
        if (silenceState(e.silence, now) === 'active' && matchesLabels(e.matchers, labels)) return e.silence.id;
      }
      return undefined;
    },
    setConfigSilences(list, now) {
      fromConfig = list.map((s, i) => ({
        silence: {
          id: `config-${i + 1}`, matchers: s.matchers.map(formatMatcher), startsAt: s.startsAt ?? now, endsAt: s.endsAt,
          createdBy: s.createdBy, comment: s.comment, updatedAt: now, fromConfig: true,
        },
        matchers: s.matchers,
      }));
    },
  };
}
