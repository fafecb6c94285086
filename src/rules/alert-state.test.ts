import { describe, expect, it } from 'vitest';
import { RESOLVED_RETENTION_MS, stepAlerts, type Alert, type AlertingRuleSpec } from './alert-state.js';

const rule = (overrides: Partial<AlertingRuleSpec> = {}): AlertingRuleSpec => ({
  name: 'ServiceDown',
  forMs: 120_000,
  keepFiringForMs: 0,
  labels: { severity: 'critical' },
  annotations: { summary: '{{ $labels.check }} is down ({{ $value }})' },
  ...overrides,
});

const down = (check = 'api', value = 0) => ({ labels: { __name__: 'healthmon_check_up', check, kind: 'http' }, value });

/** Runs the rule at each time with the samples given for it; returns states and transitions. */
function run(r: AlertingRuleSpec, steps: Array<[number, ReturnType<typeof down>[]]>) {
  let alerts = new Map<string, Alert>();
  const log: string[] = [];
  for (const [t, samples] of steps) {
    const out = stepAlerts(r, alerts, samples, t);
    alerts = out.alerts;
    for (const tr of out.transitions) log.push(`${t}:${tr.to}:${tr.alert.labels.check}`);
    log.push(`${t}=${[...alerts.values()].map((a) => `${a.labels.check}/${a.state}`).join(',')}`);
  }
  return { alerts, log };
}

describe('alert state machine', () => {
  it('is pending until `for` has held, then fires once', () => {
    const { log } = run(rule(), [
      [0, [down()]],
      [60_000, [down()]],
      [120_000, [down()]],
      [180_000, [down()]],
    ]);
    expect(log).toEqual(['0=api/pending', '60000=api/pending', '120000:firing:api', '120000=api/firing', '180000=api/firing']);
  });

  it('fires on the first evaluation with for: 0', () => {
    expect(run(rule({ forMs: 0 }), [[0, [down()]]]).log).toEqual(['0:firing:api', '0=api/firing']);
  });

  it('forgets a pending alert that goes away, without a notification, and restarts `for`', () => {
    const { log } = run(rule(), [
      [0, [down()]],
      [60_000, []],
      [120_000, [down()]],
      [180_000, [down()]],
      [240_000, [down()]],
    ]);
    expect(log).toEqual(['0=api/pending', '60000=', '120000=api/pending', '180000=api/pending', '240000:firing:api', '240000=api/firing']);
  });

  it('resolves a firing alert and keeps it 15 minutes', () => {
    const { log, alerts } = run(rule({ forMs: 0 }), [
      [0, [down()]],
      [60_000, []],
      [60_000 + RESOLVED_RETENTION_MS - 1, []],
      [60_000 + RESOLVED_RETENTION_MS, []],
    ]);
    expect(log.slice(0, 4)).toEqual(['0:firing:api', '0=api/firing', '60000:resolved:api', '60000=api/inactive']);
    expect(log.at(-2)).toBe(`${60_000 + RESOLVED_RETENTION_MS - 1}=api/inactive`);
    expect(log.at(-1)).toBe(`${60_000 + RESOLVED_RETENTION_MS}=`);
    expect(alerts.size).toBe(0);
  });

  it('keeps firing for keep_firing_for after the expression turns false', () => {
    const { log } = run(rule({ forMs: 0, keepFiringForMs: 120_000 }), [
      [0, [down()]],
      [60_000, []],
      [120_000, []],
      [180_000, []],
    ]);
    expect(log).toEqual(['0:firing:api', '0=api/firing', '60000=api/firing', '120000=api/firing', '180000:resolved:api', '180000=api/inactive']);
  });

  it('identifies alerts by their labels after templating, drops __name__, expands annotations', () => {
    const { alerts } = run(rule({ forMs: 0, labels: { severity: '{{ if eq $labels.check "db" }}critical{{ else }}warning{{ end }}' } }), [
      [0, [down('api', 0), down('db', 0)]],
    ]);
    const byCheck = Object.fromEntries([...alerts.values()].map((a) => [a.labels.check, a]));
    expect(byCheck.api!.labels).toEqual({ check: 'api', kind: 'http', severity: 'warning', alertname: 'ServiceDown' });
    expect(byCheck.db!.labels.severity).toBe('critical');
    expect(byCheck.api!.annotations.summary).toBe('api is down (0)');
  });

  it('is an evaluation error when two samples give the same labels, and keeps the previous alerts', () => {
    const r = rule({ forMs: 0 });
    const first = stepAlerts(r, new Map(), [down('api')], 0);
    const dup = stepAlerts(r, first.alerts, [down('api', 0), { labels: { check: 'api', kind: 'http' }, value: 1 }], 60_000);
    expect(dup.error).toBe('vector contains metrics with the same labelset after applying alert labels');
    expect([...dup.alerts.values()].map((a) => a.state)).toEqual(['firing']);
    expect(dup.transitions).toEqual([]);
  });

  it('a resolved alert that comes back starts over as pending', () => {
    const { log } = run(rule({ forMs: 60_000 }), [
      [0, [down()]],
      [60_000, [down()]],
      [120_000, []],
      [180_000, [down()]],
    ]);
    expect(log.slice(-2)).toEqual(['120000=api/inactive', '180000=api/pending']);
  });
});
