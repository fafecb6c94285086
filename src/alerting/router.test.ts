import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFakeClock, type FakeClock } from '../../test/helpers/fake-clock.js';
import { fromZodIssue, type ConfigIssue } from '../config/issues.js';
import { alertFingerprint } from '../core/alert-fingerprint.js';
import type { AlertEvent } from '../core/alert-event.js';
import { openDatabase } from '../store/database.js';
import { alertingSchema, resolveAlerting } from './alerting-config.js';
import { createRouter } from './router.js';

const kinds = { webhook: { schema: z.strictObject({ url: z.string() }) } };

function config(extra: Record<string, unknown> = {}) {
  const issues: ConfigIssue[] = [];
  const c = resolveAlerting(alertingSchema.parse({
    route: { receiver: 'team', group_by: ['alertname'], group_wait: '30s', group_interval: '5m' },
    receivers: [{ name: 'team', webhook_configs: [{ url: 'http://127.0.0.1:1/a' }, { url: 'http://127.0.0.1:1/b' }] }],
    ...extra,
  }), kinds, issues, fromZodIssue);
  expect(issues).toEqual([]);
  return c;
}

const firing = (check: string, t: number, alertname = 'ServiceDown'): AlertEvent => ({
  status: 'firing', labels: { alertname, check }, annotations: {}, startsAt: t, generatorURL: '', fingerprint: alertFingerprint({ alertname, check }), value: 0, group: 'g',
});

function setup(dir: string, clock: FakeClock, down: Set<string> = new Set(), extra: Record<string, unknown> = {}) {
  const db = openDatabase(dir);
  let woken = 0;
  const router = createRouter(config(extra), {
    clock, db, externalURL: 'http://h', dependsOn: (c) => (c === 'api' ? ['db'] : []), isDown: (c) => down.has(c), wake: () => woken++,
  });
  return { router, db, woken: () => woken };
}

describe('router', () => {
  it('writes one outbox entry per integration of the receiver and wakes delivery', async () => {
    const clock = createFakeClock();
    const { router, woken } = setup(':memory:', clock);
    router.send([firing('web', clock.now())]);
    await clock.advance(30_000);
    const entries = router.outbox.due(clock.now(), 10);
    expect(entries.map((e) => [e.receiver, e.integration, router.outbox.read(e.id)!.reason])).toEqual([['team', 0, 'first notification'], ['team', 1, 'first notification']]);
    expect(woken()).toBe(1);
  });

  it('mutes the alerts of a check while a check it depends on is down, and says why', async () => {
    const clock = createFakeClock();
    const { router } = setup(':memory:', clock, new Set(['db']));
    router.send([firing('api', clock.now()), firing('db', clock.now())]);
    await clock.advance(30_000);
    const [n] = router.outbox.due(clock.now(), 10).map((e) => router.outbox.read(e.id)!);
    expect(n!.alerts.map((a) => a.labels.check)).toEqual(['db']);
    expect(router.alerts().find((a) => a.labels.check === 'api')?.mutedBy).toBe('dependency db is down');
  });

  it('mutes by silence and maintenance window, and keeps the muted alerts visible', async () => {
    const clock = createFakeClock(Date.parse('2026-03-28T01:30:00Z'));
    const { router } = setup(':memory:', clock, new Set(), {
      maintenance_windows: [{ name: 'sat-night', matchers: ['check="batch"'], weekdays: ['saturday'], start_time: '02:00', end_time: '04:00', time_zone: 'Europe/Berlin' }],
    });
    const silence = router.silences.create({ matchers: ['check="web"'], endsAt: clock.now() + 3_600_000, createdBy: 'ana', comment: 'deploy' }, clock.now());
    router.send([firing('web', clock.now()), firing('batch', clock.now())]);
    await clock.advance(30_000);
    expect(router.outbox.pending()).toBe(0);
    expect(Object.fromEntries(router.alerts().map((a) => [a.labels.check, a.mutedBy]))).toEqual({
      web: `silenced by ${silence.id}`, batch: 'maintenance window sat-night',
    });
  });

  it('keeps alerts and group state in SQLite: after a restart a resolution is still told, a firing is not told twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-router-'));
    const clock = createFakeClock();
    const t0 = clock.now();
    const first = setup(dir, clock);
    first.router.send([firing('web', t0)]);
    await clock.advance(30_000);
    expect(first.router.outbox.pending()).toBe(2);
    first.router.outbox.due(clock.now(), 10).forEach((e) => first.router.outbox.done(e.id));
    first.router.send([{ ...firing('web', t0), status: 'resolved', endsAt: clock.now() }]);
    first.router.stop();
    first.db.close();

    await clock.advance(60_000);
    const second = setup(dir, clock);
    await clock.advance(10 * 60_000);
    const told = second.router.outbox.due(clock.now(), 10).map((e) => `${e.integration} ${second.router.outbox.read(e.id)!.reason}`);
    expect(told).toEqual(['0 all alerts resolved', '1 all alerts resolved']);
    second.router.stop();
    second.db.close();
  });

  it('re-routes held alerts on a config reload, keeping what each group already told', async () => {
    const clock = createFakeClock();
    const { router } = setup(':memory:', clock);
    router.send([firing('web', clock.now())]);
    await clock.advance(30_000);
    router.outbox.due(clock.now(), 10).forEach((e) => router.outbox.done(e.id));
    const next = config({
      route: { receiver: 'team', group_by: ['alertname'], group_wait: '30s', group_interval: '5m', routes: [{ matchers: ['check="db"'], receiver: 'dba' }] },
      receivers: [
        { name: 'team', webhook_configs: [{ url: 'http://127.0.0.1:1/a' }, { url: 'http://127.0.0.1:1/b' }] },
        { name: 'dba', webhook_configs: [{ url: 'http://127.0.0.1:1/dba' }] },
      ],
    });
    router.setConfig(next);
    router.send([firing('db', clock.now())]);
    await clock.advance(5 * 60_000);
    // web was told before the reload and is not told again; db goes to its new receiver.
    expect(router.outbox.due(clock.now(), 10).map((e) => `${e.receiver} ${router.outbox.read(e.id)!.alerts.map((a) => a.labels.check).join()}`)).toEqual(['dba db']);
  });

  it('inhibits a target while a source with equal labels fires, and lets it through once the source resolves', async () => {
    const clock = createFakeClock();
    const { router } = setup(':memory:', clock, new Set(), {
      inhibit_rules: [{ source_matchers: ['alertname="CriticalServiceDown"'], target_matchers: ['alertname="ServiceDown"'], equal: ['check'] }],
    });
    const critical = firing('web', clock.now(), 'CriticalServiceDown');
    router.send([critical, firing('web', clock.now()), firing('db', clock.now())]);
    expect(Object.fromEntries(router.alerts().map((a) => [`${a.labels.alertname}/${a.labels.check}`, a.mutedBy]))).toEqual({
      'CriticalServiceDown/web': undefined, 'ServiceDown/web': 'inhibited by inhibit_rules[0]', 'ServiceDown/db': undefined,
    });
    router.send([{ ...critical, status: 'resolved', endsAt: clock.now() }]);
    expect(router.alerts().find((a) => a.labels.check === 'web' && a.labels.alertname === 'ServiceDown')?.mutedBy).toBeUndefined();
  });
});
