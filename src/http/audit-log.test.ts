import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import { createAuditLog } from './audit-log.js';

describe('audit log', () => {
  it('keeps who, when, what, newest first, with secrets redacted', () => {
    const log = createAuditLog(openDatabase(':memory:'));
    log.record({ at: 1000, actor: 'token:config', remote: '127.0.0.1', method: 'POST', path: '/health/services', check: 'web', outcome: 'ok', status: 201, change: { after: { name: 'web', http: { url: 'http://x.test/?k=s3cr3t-k3y', bearer_token: 'tok-t0k3n' } } } });
    log.record({ at: 2000, actor: 'anonymous', method: 'DELETE', path: '/health/services/web', check: 'web', outcome: 'denied', status: 401, detail: 'the bearer token is not the API token' });
    log.record({ at: 3000, actor: 'loopback', method: 'POST', path: '/health/services', check: 'db', outcome: 'rejected', status: 422, detail: 'the check is not valid: tok-t0k3n', change: { after: { password: 'tok-t0k3n' } } });
    const all = log.list();
    expect(all.map((e) => [e.at, e.actor, e.outcome])).toEqual([[3000, 'loopback', 'rejected'], [2000, 'anonymous', 'denied'], [1000, 'token:config', 'ok']]);
    expect(all[2]).toMatchObject({ remote: '127.0.0.1', check: 'web', change: { after: { name: 'web', http: { url: '<secret>', bearer_token: '<secret>' } } } });
    expect(all[0]!.detail).toBe('the check is not valid: <secret>');
    expect(JSON.stringify(all)).not.toMatch(/s3cr3t|t0k3n/);
    expect(log.list({ check: 'web', limit: 1 }).map((e) => e.at)).toEqual([2000]);
    expect(log.list({ since: 2000 }).map((e) => e.at)).toEqual([3000, 2000]);
  });

  it('drops the oldest rows beyond maxRows', () => {
    const log = createAuditLog(openDatabase(':memory:'), { maxRows: 10 });
    for (let i = 0; i < 250; i++) log.record({ at: i, actor: 'loopback', method: 'POST', path: '/x', outcome: 'ok', status: 201 });
    const left = log.list({ limit: 1000 });
    expect(left.length).toBeLessThanOrEqual(110);
    expect(left[0]!.at).toBe(249);
  });
});
