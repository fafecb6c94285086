import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import type { RulesConfig } from '../config/config.js';
import { silentLogger } from '../core/logger.js';
import { createRuleManager } from './rule-manager.js';
import { parseRuleFile } from './rule-file.js';

const rules = (yaml: string): RulesConfig => ({
  files: ['r.yaml'], groups: parseRuleFile(yaml, 'r.yaml').groups, evaluationIntervalMs: 10_000, queryOffsetMs: 0, externalLabels: {}, externalURL: 'http://h',
});

function manager() {
  const clock = createFakeClock();
  const m = createRuleManager({
    clock, logger: silentLogger(), snapshot: async () => [{ labels: { __name__: 'up' }, value: 1 }], sink: { send: () => {} },
    metrics: { groupEvaluated: () => {}, groupsChanged: () => {}, windowSize: () => {} }, stateFile: undefined,
  });
  m.load(rules('groups: [{name: g, rules: [{record: r, expr: up}]}]'));
  return { clock, m };
}

describe('rule manager', () => {
  it('starts evaluating after the warm-up even when the checks never all report', async () => {
    const { clock, m } = manager();
    m.start({ warmupMs: 30_000, ready: () => false });
    await clock.advance(20_000);
    expect(m.groups()[0]!.lastEvaluationAt).toBeUndefined();
    await clock.advance(10_000);
    expect(m.groups()[0]!.lastEvaluationAt).toBe(clock.now());
  });

  it('keeps each metric as long as the rules read it back, and follows reloads', async () => {
    const { clock, m } = manager();
    m.start();
    for (let i = 0; i < 60; i++) await clock.advance(10_000); // 10 min of snapshots
    expect(m.window.sampleCount).toBe(2 * 32); // up and r: the 5 m lookback plus one interval, both ends
    m.load(rules('groups: [{name: g, rules: [{record: r, expr: "max_over_time(up[20m])"}]}]'));
    for (let i = 0; i < 180; i++) await clock.advance(10_000);
    // up is read over [20m] now; the recorded r is still only read by instant selectors.
    expect(m.window.sampleCount).toBe(122 + 32);
  });
});
