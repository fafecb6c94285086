import { describe, expect, it } from 'vitest';
import { alertFingerprint } from '../core/alert-fingerprint.js';
import { inhibitionIndex } from './inhibit.js';
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
    expect(inhibitionIndex(rules, [source, target, other])(target)).toBe('critical-mutes-warning');
    expect(inhibitionIndex(rules, [source, target, other])(other)).toBeUndefined();
    expect(inhibitionIndex(rules, [alert(source.labels, 'resolved')])(target)).toBeUndefined();
  });

  it('never lets an alert inhibit itself', () => {
    const both = [{ name: undefined, source: parseMatchers(['check="api"']), target: parseMatchers(['check="api"']), equal: [] }];
    const a = alert({ check: 'api' });
    expect(inhibitionIndex(both, [a])(a)).toBeUndefined();
    expect(inhibitionIndex(both, [a, alert({ check: 'api', x: '1' })])(a)).toBe('inhibit_rules[0]');
  });
});
