import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../core/check-result.js';
import { initialCheckState, nextCheckState, type CheckState, type ThresholdSpec } from './check-state.js';

const result = (ok: boolean, durationMs = 10, extra: Partial<CheckResult> = {}): CheckResult => ({
  ok,
  check: 'c',
  kind: 'http',
  startedAt: 0,
  durationMs,
  attempts: 1,
  phases: {},
  observations: [],
  ...(ok ? {} : { reason: 'timeout' as const }),
  ...extra,
});

function run(spec: ThresholdSpec, oks: boolean[]): CheckState[] {
  const out: CheckState[] = [];
  let s = initialCheckState;
  for (const ok of oks) {
    s = nextCheckState(s, result(ok), spec);
    out.push(s);
  }
  return out;
}

const base: ThresholdSpec = { failureThreshold: 3, successThreshold: 2, critical: false };

describe('check state', () => {
  it('goes down only after failure_threshold failures in a row', () => {
    const states = run(base, [true, false, false, true, false, false, false]);
    expect(states.map((s) => s.up)).toEqual([true, true, true, true, true, true, false]);
    expect(states.map((s) => s.consecutiveFailures)).toEqual([0, 1, 2, 0, 1, 2, 3]);
    expect(states[6]!.status).toBe('unhealthy');
  });

  it('comes back only after success_threshold successes in a row', () => {
    const states = run(base, [false, false, false, true, false, true, true]);
    expect(states.map((s) => s.up)).toEqual([undefined, undefined, false, false, false, false, true]);
    expect(states.map((s) => s.status)).toEqual([undefined, undefined, 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy']);
  });

  it('marks a down critical check critical', () => {
    const states = run({ ...base, critical: true, failureThreshold: 1 }, [false]);
    expect(states[0]!.status).toBe('critical');
  });

  it.each([
    ['slower than expected_response_time', result(true, 300), 'degraded'],
    ['within expected_response_time', result(true, 100), 'healthy'],
    ['a warning', result(true, 10, { warning: 'certificate expires in 10 days' }), 'degraded'],
  ])('is degraded when up with %s', (_what, r, status) => {
    const s = nextCheckState(initialCheckState, r, { ...base, expectedResponseTimeMs: 200 });
    expect(s.status).toBe(status);
  });

  it('remembers since when the status holds', () => {
    let s = nextCheckState(initialCheckState, { ...result(true), startedAt: 1000 }, base);
    expect(s.statusSince).toBe(1010);
    s = nextCheckState(s, { ...result(true), startedAt: 2000 }, base);
    expect(s.statusSince).toBe(1010);
  });
});
