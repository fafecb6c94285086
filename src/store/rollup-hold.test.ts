// When the current hour's rollup changes are held, and when they go with a write.
import { describe, expect, it } from 'vitest';
import type { Aggregate, HistoryResult } from './history.js';
import { emptyAggregate } from './latency-buckets.js';
import { createRollupHold } from './rollup-hold.js';

const HOUR = 3_600_000;
/** 10 minutes into an hour. */
const T0 = Date.UTC(2024, 2, 10, 5, 10);
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
const result = (check: string, at: number, durationMs = 10, ok = true): HistoryResult => ({ check, at, durationMs, ok });

/** What the held changes add to reads, as [check, resolution, start, count]. */
function overlay(hold: ReturnType<typeof createRollupHold>): [string, string, number, number][] {
  const out: [string, string, number, number][] = [];
  for (const resolution of ['hour', 'day'] as const) {
    const seen = new Map<string, Aggregate>();
    hold.mergeInto(resolution, ALL, undefined, (check, at) => {
      const key = `${check} ${at}`;
      if (!seen.has(key)) seen.set(key, emptyAggregate());
      return seen.get(key)!;
    });
    for (const [key, a] of seen) out.push([key.split(' ')[0]!, resolution, Number(key.split(' ')[1]) - T0, a.count]);
  }
  return out;
}

describe('rollup hold', () => {
  it('holds the changes of the current hour once written, and leaves the others to the writer', () => {
    const hold = createRollupHold({ enabled: true, everyMs: 30_000 });
    const plan = hold.plan([result('a', T0 - HOUR), result('a', T0), result('b', T0 + 1)], T0 + 1000, false);
    expect([plan.holdHour, plan.rollups, plan.lag]).toEqual([T0 - 10 * 60_000, [], T0 - 10 * 60_000]);
    // Not read before the raw results are written.
    expect(overlay(hold)).toEqual([]);
    plan.settle(true);
    expect(overlay(hold)).toEqual([
      ['a', 'hour', -10 * 60_000, 1],
      ['b', 'hour', -10 * 60_000, 1],
      ['a', 'day', -(5 * 60 + 10) * 60_000, 1],
      ['b', 'day', -(5 * 60 + 10) * 60_000, 1],
    ]);
    expect(hold.dueAt()).toBe(T0 + 31_000);

    // A batch with none of this hour still records the lag while changes are held.
    const next = hold.plan([result('a', T0 - HOUR)], T0 + 2000, false);
    expect([next.rollups, next.lag]).toEqual([[], T0 - 10 * 60_000]);
    next.settle(true);
  });

  it.each([
    ['once everyMs has passed', T0 + 31_000, false],
    ['when the hour ends', T0 + 50 * 60_000 + 1, false],
    ['when asked to (flush, close)', T0 + 2000, true],
  ])('sends what it holds with the next write %s', (_, now, applyAll) => {
    const hold = createRollupHold({ enabled: true, everyMs: 30_000 });
    const first = hold.plan([result('a', T0), result('a', T0 + 500, 20, false)], T0 + 1000, false);
    first.settle(true);
    const plan = hold.plan([result('a', now - 10)], now, applyAll);
    // The batch's own results are rolled up by the writer; nothing is held after.
    expect(plan.holdHour).toBeNull();
    expect(plan.lag).toBeNull();
    expect(plan.rollups.map((d) => [d.check, d.resolution, d.aggregate.count, d.aggregate.failures])).toEqual([
      ['a', 'hour', 2, 1],
      ['a', 'day', 2, 1],
    ]);
    // In flight, they are not read: they would be counted twice once written.
    expect(overlay(hold)).toEqual([]);
    plan.settle(true);
    expect(overlay(hold)).toEqual([]);
    expect(hold.dueAt()).toBeUndefined();
  });

  it('keeps what it holds when the write fails, and the failed batch’s changes are not held', () => {
    const hold = createRollupHold({ enabled: true, everyMs: 30_000 });
    hold.plan([result('a', T0)], T0 + 1000, false).settle(true);
    const failed = hold.plan([result('a', T0 + 1)], T0 + 2000, false);
    failed.settle(false);
    const apply = hold.plan([], T0 + 3000, true);
    expect(apply.rollups.map((d) => d.aggregate.count)).toEqual([1, 1]);
    apply.settle(false);
    expect(overlay(hold).map(([, , , n]) => n)).toEqual([1, 1]);
    expect(hold.dueAt()).toBe(T0 + 31_000);
    hold.plan([], T0 + 4000, false);
    expect(() => hold.plan([], T0 + 4000, false)).toThrow(/unsettled/);
  });

  it('holds nothing when disabled', () => {
    const hold = createRollupHold({ enabled: false, everyMs: 30_000 });
    const plan = hold.plan([result('a', T0)], T0 + 1000, false);
    expect([plan.holdHour, plan.rollups, plan.lag]).toEqual([null, [], null]);
    plan.settle(true);
    expect(hold.dueAt()).toBeUndefined();
  });
});
