import { describe, expect, it } from 'vitest';
import { alertFingerprint } from './fingerprint.js';
import { inhibitedBy } from './inhibit.js';
import { parseMatchers } from './matchers.js';
import type { NotifiedAlert } from './notification.js';

const alert = (labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing'): NotifiedAlert =>
  ({ status, labels, annotations: {}, startsAt: 0, generatorURL: '', fingerprint: alertFingerprint(labels) });

const rules = [{ name: 'critical-mutes-warning', source: parseMatchers(['severity="critical"']), target: parseMatchers(['severity="warning"']), equal: ['check', 'zone'] }];

describe('inhibition', () => {
  it('mutes a target while a firing source with equal labels exists', () => {
    const source = alert({ alertname: 'ServiceDown', check: 'api', severity: 'critical' });
    const target = alert({ alertname: 'HighResponseTime', check: 'api', severity: 'warning' });
    const other = alert({ alertname: 'HighResponseTime', check: 'db', severity: 'warning' });
    expect(inhibitedBy(target, [source, target, other], rules)).toBe('critical-mutes-warning');
    expect(inhibitedBy(other, [source, target, other], rules)).toBeUndefined();
    expect(inhibitedBy(target, [alert(source.labels, 'resolved')], rules)).toBeUndefined();
  });

  it('never lets an alert inhibit itself', () => {
    const both = [{ name: undefined, source: parseMatchers(['check="api"']), target: parseMatchers(['check="api"']), equal: [] }];
    const a = alert({ check: 'api' });
    expect(inhibitedBy(a, [a], both)).toBeUndefined();
    expect(inhibitedBy(a, [a, alert({ check: 'api', x: '1' })], both)).toBe('inhibit_rules[0]');
  });
});
