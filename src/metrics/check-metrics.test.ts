import { describe, expect, it } from 'vitest';
import { spec } from '../../test/helpers/specs.js';
import type { CheckResult } from '../core/check-result.js';
import { createStateStore } from '../state/state-store.js';
import { createCheckMetrics } from './check-metrics.js';

const result = (check: string, ok: boolean): CheckResult => ({
  check,
  kind: 'test',
  ok,
  startedAt: 0,
  durationMs: 5,
  attempts: 1,
  phases: {},
  ...(ok ? {} : { reason: 'timeout' as const }),
  observations: [{ metric: 'probe_test_value', value: ok ? 1 : 2, labels: { phase: 'x' } }],
});

function setup() {
  const store = createStateStore();
  store.setChecks([spec('a'), spec('b')]);
  const queue: Array<() => void> = [];
  const metrics = createCheckMetrics(store, [{ name: 'probe_test_value', help: 'A value.' }], { defer: (fn) => queue.push(fn) });
  const record = (r: CheckResult) => metrics.changed(store.record(r)!.entry);
  const drain = () => {
    while (queue.length > 0) queue.shift()!();
  };
  return { metrics, record, drain, queue };
}

describe('check metrics', () => {
  it('renders a check after a new result, whether or not the background batch ran', () => {
    const { metrics, record, drain, queue } = setup();
    record(result('a', true));
    expect(queue).toHaveLength(0); // nothing scraped yet: nothing rendered ahead
    expect(metrics.render('text').toString()).toContain('probe_test_value{check="a",kind="test",phase="x"} 1\n');
    record(result('a', false));
    expect(queue).toHaveLength(1);
    expect(metrics.render('text').toString()).toContain('probe_test_value{check="a",kind="test",phase="x"} 2\n');
    record(result('a', true));
    drain();
    expect(metrics.render('text').toString()).toContain('probe_test_value{check="a",kind="test",phase="x"} 1\n');
  });

  it('keeps families contiguous across checks and OpenMetrics buckets canonical', () => {
    const { metrics, record } = setup();
    record(result('a', true));
    record(result('b', false));
    const om = metrics.render('openmetrics').toString();
    expect(om).toMatch(/probe_success\{check="a",kind="test"\} 1\nprobe_success\{check="b",kind="test"\} 0\n/);
    expect(om).toContain('# TYPE healthmon_checks counter\n');
    expect(om).toContain('healthmon_check_duration_seconds_bucket{check="a",kind="test",le="1.0"} 1\n');
    const text = metrics.render('text').toString();
    expect(text).toContain('healthmon_check_duration_seconds_bucket{check="a",kind="test",le="1"} 1\n');
    expect(text).toContain('# TYPE healthmon_checks_total counter\n');
  });
});
