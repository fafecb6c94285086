import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../store/database.js';
import { parseMatchers } from './matchers.js';
import { createSilences, SILENCE_MIGRATIONS, silenceState } from './silences.js';

function open(dir: string) {
  const db = openDatabase(dir);
  migrate(db, SILENCE_MIGRATIONS);
  return { db, silences: createSilences(db) };
}

describe('silences', () => {
  it('silence matching alerts while active, survive a restart, and expire', () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-silences-'));
    const first = open(dir);
    const s = first.silences.create({ matchers: ['check=~"db-.*"', 'severity="critical"'], startsAt: 1000, endsAt: 5000, createdBy: 'ana', comment: 'db upgrade' }, 500);
    expect(silenceState(s, 500)).toBe('pending');
    expect(first.silences.silencedBy({ check: 'db-1', severity: 'critical' }, 500)).toBeUndefined();
    expect(first.silences.silencedBy({ check: 'db-1', severity: 'critical' }, 1000)).toBe(s.id);
    expect(first.silences.silencedBy({ check: 'api', severity: 'critical' }, 1000)).toBeUndefined();
    first.db.close();

    const second = open(dir);
    expect(second.silences.list()).toEqual([s]);
    expect(second.silences.expire(s.id, 2000)).toBe(true);
    expect(second.silences.silencedBy({ check: 'db-1', severity: 'critical' }, 2000)).toBeUndefined();
    expect(second.silences.expire(s.id, 2500)).toBe(false);
    expect(silenceState(second.silences.list()[0]!, 2500)).toBe('expired');
    second.db.close();
  });

  it('refuses silences that are malformed, mute everything or end in the past', () => {
    const { silences } = open(':memory:');
    const bad = (input: Parameters<typeof silences.create>[0]) => () => silences.create(input, 1000);
    expect(bad({ matchers: [], endsAt: 2000, createdBy: 'a', comment: '' })).toThrow('a silence needs at least one matcher');
    expect(bad({ matchers: ['check=~".*"'], endsAt: 2000, createdBy: 'a', comment: '' })).toThrow('at least one matcher must not match the empty string');
    expect(bad({ matchers: ['check="a"'], endsAt: 500, createdBy: 'a', comment: '' })).toThrow('endsAt must be after startsAt');
    expect(bad({ matchers: ['check="a"'], startsAt: 100, endsAt: 500, createdBy: 'a', comment: '' })).toThrow('endsAt is in the past');
    expect(bad({ matchers: ['check a'], endsAt: 2000, createdBy: 'a', comment: '' })).toThrow('bad matcher "check a"');
  });

  it('takes silences from the config, which the API cannot expire', () => {
    const { silences } = open(':memory:');
    silences.setConfigSilences([{ matchers: parseMatchers(['env="staging"']), startsAt: undefined, endsAt: 10_000, createdBy: 'config', comment: 'staging is noisy' }], 0);
    const [s] = silences.list();
    expect(s).toMatchObject({ id: 'config-1', matchers: ['env="staging"'], fromConfig: true });
    expect(silences.silencedBy({ env: 'staging' }, 5000)).toBe('config-1');
    expect(silences.expire('config-1', 5000)).toBe(false);
  });
});
