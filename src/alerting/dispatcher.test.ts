import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import type { AlertEvent } from '../core/alert-event.js';
import { fromZodIssue, type ConfigIssue } from '../config/issues.js';
import { alertingSchema, resolveAlerting } from './alerting-config.js';
import { createDispatcher } from './dispatcher.js';
import { alertFingerprint } from '../core/alert-fingerprint.js';
import type { Notification } from './notification.js';

const kinds = { webhook: { schema: z.strictObject({ url: z.string() }) } };

function routeOf(block: unknown) {
  const issues: ConfigIssue[] = [];
  const config = resolveAlerting(alertingSchema.parse(block), kinds, issues, fromZodIssue);
  expect(issues).toEqual([]);
  return config.route;
}

const receivers = ['team', 'boss'].map((name) => ({ name, webhook_configs: [{ url: 'http://127.0.0.1/' }] }));
const ROUTE = routeOf({
  route: { receiver: 'team', group_by: ['alertname'], group_wait: '30s', group_interval: '5m', repeat_interval: '1h', escalate: { after: '20m', receiver: 'boss' } },
  receivers,
});

function event(check: string, status: 'firing' | 'resolved', startsAt: number, endsAt?: number): AlertEvent {
  const labels = { alertname: 'ServiceDown', check, severity: 'critical' };
  return {
    status, labels, annotations: { summary: `${check} is down` },
    startsAt, ...(endsAt === undefined ? {} : { endsAt }), generatorURL: 'http://h/graph', fingerprint: alertFingerprint(labels), value: 0, group: 'g',
  };
}

function setup(mutedBy: (fp: string) => string | undefined = () => undefined) {
  const clock = createFakeClock();
  const sent: Notification[] = [];
  const d = createDispatcher(ROUTE, { clock, externalURL: 'http://h', mutedBy: (a) => mutedBy(a.labels.check!), notify: (n) => sent.push(n) });
  const summary = () => sent.map((n) => `${n.receiver} ${n.reason}: ${n.alerts.map((a) => `${a.labels.check}=${a.status}`).join(',')}`);
  return { clock, d, sent, summary };
}

describe('dispatcher', () => {
  it('waits group_wait, batches the group, tells additions at group_interval and repeats after repeat_interval', async () => {
    const { clock, d, sent, summary } = setup();
    const t0 = clock.now();
    d.receive([event('a', 'firing', t0)]);
    await clock.advance(10_000);
    d.receive([event('b', 'firing', t0 + 10_000)]);
    expect(sent).toEqual([]);
    await clock.advance(20_000);
    expect(summary()).toEqual(['team first notification: a=firing,b=firing']);
    expect(sent[0]).toMatchObject({
      groupKey: '{}:{alertname="ServiceDown"}', status: 'firing', groupLabels: { alertname: 'ServiceDown' },
      commonLabels: { alertname: 'ServiceDown', severity: 'critical' }, commonAnnotations: {},
    });
    expect(sent[0]!.alerts[0]!.fingerprint).toBe(alertFingerprint({ alertname: 'ServiceDown', check: 'a', severity: 'critical' }));
    d.receive([event('c', 'firing', clock.now())]);
    await clock.advance(5 * 60_000);
    expect(summary().at(-1)).toBe('team new alerts added: a=firing,b=firing,c=firing');
    await clock.advance(50 * 60_000); // nothing new: silence until the hour is up
    expect(sent.filter((n) => n.receiver === 'team')).toHaveLength(2);
    await clock.advance(10 * 60_000);
    expect(summary().filter((s) => s.startsWith('team')).at(-1)).toBe('team repeat interval elapsed: a=firing,b=firing,c=firing');
  });

  it('tells resolutions to whoever was told of the firing, and never tells an alert that resolved within group_wait', async () => {
    const { clock, d, summary } = setup();
    const t0 = clock.now();
    d.receive([event('a', 'firing', t0), event('b', 'firing', t0)]);
    await clock.advance(10_000);
    d.receive([event('b', 'resolved', t0, clock.now())]);
    await clock.advance(20_000);
    expect(summary()).toEqual(['team first notification: a=firing']);
    d.receive([event('a', 'resolved', t0, clock.now())]);
    await clock.advance(5 * 60_000);
    expect(summary()).toEqual(['team first notification: a=firing', 'team all alerts resolved: a=resolved']);
    expect(d.alerts()).toEqual([]);
    expect(d.groups()).toEqual([]);
  });

  it('holds muted alerts back without dropping them', async () => {
    let muted = true;
    const { clock, d, summary } = setup((check) => (muted && check === 'a' ? 'silence 1' : undefined));
    d.receive([event('a', 'firing', clock.now())]);
    await clock.advance(5 * 60_000 + 30_000);
    expect(summary()).toEqual([]);
    expect(d.alerts()).toHaveLength(1);
    muted = false;
    await clock.advance(5 * 60_000);
    expect(summary()).toEqual(['team first notification: a=firing']);
  });

  it('escalates an alert still firing after the route\'s delay, and tells that receiver when it resolves', async () => {
    const { clock, d, summary } = setup();
    const t0 = clock.now();
    d.receive([event('a', 'firing', t0)]);
    await clock.advance(30_000 + 3 * 5 * 60_000); // flushes at 0:30, 5:30, 10:30, 15:30
    expect(summary().some((s) => s.startsWith('boss'))).toBe(false);
    await clock.advance(5 * 60_000); // 20:30
    expect(summary().at(-1)).toBe('boss escalation: a=firing');
    d.receive([event('a', 'resolved', t0, clock.now())]);
    await clock.advance(5 * 60_000);
    expect(summary().slice(-2)).toEqual(['team all alerts resolved: a=resolved', 'boss escalation: a=resolved']);
  });

  it('resumes after a restart from saved alerts and group state, without telling again what was told', async () => {
    const first = setup();
    const t0 = first.clock.now();
    first.d.receive([event('a', 'firing', t0)]);
    await first.clock.advance(30_000);
    const savedAlerts = first.d.alerts();
    const savedGroups = JSON.parse(JSON.stringify(first.d.groups()));
    first.d.stop();

    const second = setup();
    await second.clock.advance(60_000);
    second.d.restore(savedAlerts, savedGroups);
    await second.clock.advance(10 * 60_000);
    expect(second.summary()).toEqual([]);
    second.d.receive([event('a', 'resolved', t0, second.clock.now())]);
    await second.clock.advance(5 * 60_000);
    expect(second.summary()).toEqual(['team all alerts resolved: a=resolved']);
  });
});

describe('alertFingerprint', () => {
  it('is FNV-1a 64 over sorted names and values with 0xFF separators, as Alertmanager', () => {
    expect(alertFingerprint({})).toBe('cbf29ce484222325');
    // Worked out by hand from the algorithm, independently of this code.
    expect(alertFingerprint({ alertname: 'ServiceDown', check: 'a' })).toBe('e6f0ad8e675e7822');
    // Same labels in any order, same fingerprint; a value moved to another name differs.
    expect(alertFingerprint({ b: '2', a: '1' })).toBe(alertFingerprint({ a: '1', b: '2' }));
    expect(alertFingerprint({ a: '12' })).not.toBe(alertFingerprint({ a1: '2' }));
  });
});

describe('alertFingerprint against a 64-bit reference', () => {
  it('equals FNV-1a 64 computed with BigInt on many label sets, unicode included', () => {
    const reference = (labels: Record<string, string>) => {
      let h = 0xcbf29ce484222325n;
      const mix = (b: number) => (h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn);
      for (const k of Object.keys(labels).sort()) {
        for (const b of new TextEncoder().encode(k)) mix(b);
        mix(0xff);
        for (const b of new TextEncoder().encode(labels[k]!)) mix(b);
        mix(0xff);
      }
      return h.toString(16).padStart(16, '0');
    };
    for (let i = 0; i < 500; i++) {
      const labels = { alertname: `A${i}`, check: `c-${i * 7919}`, note: i % 3 === 0 ? 'ünïcödé ✓' : '', [`l${i % 5}`]: String(i) };
      expect(alertFingerprint(labels)).toBe(reference(labels));
    }
  });
});
