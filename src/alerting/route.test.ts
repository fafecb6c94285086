import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConfigIssue } from '../config/issues.js';
import { fromZodIssue } from '../config/issues.js';
import { alertingSchema, resolveAlerting } from './alerting-config.js';
import { groupKeyOf, groupLabelsOf, matchRoutes } from './route.js';

const kinds = { webhook: { schema: z.strictObject({ url: z.string() }) } };

function resolve(block: unknown) {
  const issues: ConfigIssue[] = [];
  const parsed = alertingSchema.safeParse(block, { reportInput: true });
  if (!parsed.success) return { issues: parsed.error.issues.flatMap((i) => fromZodIssue(i, ['alerting'])), config: undefined };
  const config = resolveAlerting(parsed.data, kinds, issues, fromZodIssue);
  return { issues, config };
}

const receivers = ['default', 'pager', 'db', 'boss'].map((name) => ({ name, webhook_configs: [{ url: `http://127.0.0.1/${name}` }] }));

describe('route tree', () => {
  const { config, issues } = resolve({
    route: {
      receiver: 'default',
      group_by: ['alertname'],
      group_interval: '2m',
      repeat_interval: '5m',
      routes: [
        { matchers: ['severity="critical"'], receiver: 'pager', continue: true, escalate: { after: '30m', receiver: 'boss' } },
        { matchers: ['check=~"db-.*"'], receiver: 'db', group_by: ['...'], group_wait: '10s' },
      ],
    },
    receivers,
  });

  it('resolves defaults, inheritance and repeat_interval rounded up to group_interval', () => {
    expect(issues).toEqual([]);
    const [pager, db] = config!.route.routes;
    expect(config!.route).toMatchObject({ groupWaitMs: 30_000, groupIntervalMs: 120_000, repeatIntervalMs: 360_000, key: '{}' });
    expect(pager).toMatchObject({ receiver: 'pager', groupBy: ['alertname'], groupWaitMs: 30_000, continue: true, escalate: { afterMs: 1_800_000, receiver: 'boss' }, key: '{}/{severity="critical"}' });
    expect(db).toMatchObject({ groupBy: 'all', groupWaitMs: 10_000, key: '{}/{check=~"db-.*"}' });
  });

  it('walks depth first: continue goes on, the first match without it stops, no match falls back to the parent', () => {
    const receiversOf = (labels: Record<string, string>) => matchRoutes(config!.route, labels).map((r) => r.receiver);
    expect(receiversOf({ severity: 'critical', check: 'db-1' })).toEqual(['pager', 'db']);
    expect(receiversOf({ severity: 'warning', check: 'db-1' })).toEqual(['db']);
    expect(receiversOf({ severity: 'warning', check: 'api' })).toEqual(['default']);
  });

  it('groups by the route\'s labels and keys groups as Alertmanager does', () => {
    const labels = { alertname: 'ServiceDown', check: 'db-1', severity: 'critical' };
    const [pager, db] = matchRoutes(config!.route, labels);
    expect(groupKeyOf(pager!, groupLabelsOf(pager!, labels))).toBe('{}/{severity="critical"}:{alertname="ServiceDown"}');
    expect(groupKeyOf(db!, groupLabelsOf(db!, labels))).toBe('{}/{check=~"db-.*"}:{alertname="ServiceDown", check="db-1", severity="critical"}');
  });

  it('reports unknown receivers, kinds, bad matchers and bad windows with their paths', () => {
    const { issues } = resolve({
      route: { receiver: 'nobody', routes: [{ matchers: ['x=~"("'] }] },
      receivers: [{ name: 'a', carrier_pigeon_configs: [{}] }, { name: 'a', webhook_configs: [{ url: 1 }] }],
      maintenance_windows: [{ name: 'w', weekdays: ['caturday'], start_time: '02:00', end_time: '04:00' }],
    });
    expect(issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'alerting.route.routes.0.matchers: bad matcher "x=~\\"(\\"": invalid regular expression "(": Invalid regular expression: /^(?:()$/s: Unterminated group',
      'alerting.maintenance_windows.0.weekdays.0: expected one of "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", got "caturday"',
    ]);
    const second = resolve({
      route: { receiver: 'nobody', escalate: { after: '1h', receiver: 'ghost' } },
      receivers: [{ name: 'a', carrier_pigeon_configs: [{}] }, { name: 'a', webhook_configs: [{ url: 1 }] }],
      maintenance_windows: [{ name: 'w', weekdays: ['monday'], start_time: '02:00', end_time: '04:00', time_zone: 'Mars/Olympus' }, { name: 'o', start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z' }],
    });
    expect(second.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'alerting.receivers.0.carrier_pigeon_configs: unknown key "carrier_pigeon_configs"; a receiver has a name and any of webhook_configs',
      'alerting.receivers.1.name: duplicate receiver name "a"',
      'alerting.receivers.1.webhook_configs.0.url: expected a string, got 1',
      'alerting.route.receiver: no receiver named "nobody"',
      'alerting.route.escalate.receiver: no receiver named "ghost"',
      'alerting.maintenance_windows.0.time_zone: unknown time zone "Mars/Olympus"; expected an IANA name like "Europe/Berlin"',
      'alerting.maintenance_windows.1: a one-off maintenance window needs a start and a later end',
    ]);
  });
});
