import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../store/database.js';
import type { Notification } from './notification.js';
import { createOutbox, OUTBOX_MIGRATIONS } from './outbox.js';

const n = (key: string): Notification => ({
  receiver: 'team', groupKey: key, status: 'firing', alerts: [], groupLabels: {}, commonLabels: {}, commonAnnotations: {},
  externalURL: 'http://h', reason: 'first notification', timestamp: 0,
});

describe('outbox', () => {
  it('keeps entries in a real SQLite file across reopening until they are done', () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-outbox-'));
    let db = openDatabase(dir);
    migrate(db, OUTBOX_MIGRATIONS);
    const outbox = createOutbox(db);
    const a = outbox.add('team', 0, n('a'), 1000);
    outbox.add('team', 1, n('b'), 2000);
    outbox.retryAt(a, 5000, 'HTTP 503 from http://127.0.0.1/…');
    expect(outbox.due(3000, 10).map((e) => outbox.read(e.id)!.groupKey)).toEqual(['b']);
    db.close();

    db = openDatabase(dir);
    migrate(db, OUTBOX_MIGRATIONS); // applied once only
    const again = createOutbox(db);
    expect(again.pending()).toBe(2);
    expect(again.nextDueAt()).toBe(2000);
    const [b, first] = again.due(10_000, 10);
    expect(first).toMatchObject({ id: a, attempts: 1, nextAttemptAt: 5000, lastError: 'HTTP 503 from http://127.0.0.1/…', integration: 0 });
    again.done(b!.id);
    again.done(first!.id);
    expect(again.pending()).toBe(0);
    expect(again.nextDueAt()).toBeUndefined();
    db.close();
  });
});
