import { describe, expect, it } from 'vitest';
import { createFakeClock, settle } from '../../test/helpers/fake-clock.js';
import { spec } from '../../test/helpers/specs.js';
import type { CheckSpec } from '../config/config.js';
import { createScheduler, startOffset } from './scheduler.js';

function harness(maxConcurrency = 100) {
  const clock = createFakeClock(0);
  const starts: Array<{ name: string; at: number; lag: number }> = [];
  const skips: string[] = [];
  const hold = new Map<string, () => void>();
  let blocking = false;
  const scheduler = createScheduler({
    clock,
    maxConcurrency,
    run: (s) =>
      blocking
        ? new Promise<void>((resolve) => hold.set(`${s.name}@${clock.now()}`, resolve))
        : Promise.resolve(),
    onStart: (s, lag) => starts.push({ name: s.name, at: clock.now(), lag }),
    onSkip: (s) => skips.push(s.name),
  });
  return { clock, scheduler, starts, skips, hold, block: (b: boolean) => (blocking = b) };
}

describe('scheduler', () => {
  it('runs each check on its own interval, first at a stable offset from its name', async () => {
    const { clock, scheduler, starts } = harness();
    scheduler.setChecks([spec('a', { intervalMs: 1000 }), spec('b', { intervalMs: 3000 })]);
    scheduler.start();
    await clock.advance(10_000);
    const at = (n: string) => starts.filter((s) => s.name === n).map((s) => s.at);
    const offA = Math.floor(startOffset('a', 1000));
    expect(at('a')[0]).toBeGreaterThanOrEqual(offA);
    expect(at('a')).toHaveLength(10);
    expect(at('b')).toHaveLength(Math.ceil((10_000 - startOffset('b', 3000)) / 3000));
    // Fixed rate: consecutive starts exactly one interval apart.
    const a = at('a');
    for (let i = 1; i < a.length; i++) expect(a[i]! - a[i - 1]!).toBe(1000);
  });

  it('spreads the first runs of many checks over the interval', () => {
    const offsets = Array.from({ length: 1000 }, (_, i) => startOffset(`check-${i}`, 30_000));
    const buckets = new Array(10).fill(0);
    for (const o of offsets) buckets[Math.floor(o / 3000)]++;
    for (const b of buckets) expect(b).toBeGreaterThan(60);
  });

  it('never starts a check while its previous run is still going', async () => {
    const { clock, scheduler, starts, skips, hold, block } = harness();
    block(true);
    scheduler.setChecks([spec('slow', { intervalMs: 1000 })]);
    scheduler.start();
    await clock.advance(3500);
    expect(starts).toHaveLength(1);
    expect(skips.length).toBeGreaterThanOrEqual(2);
    for (const release of hold.values()) release();
    block(false);
    await clock.advance(1000);
    expect(starts).toHaveLength(2);
  });

  it('caps runs in flight and measures how late queued runs start', async () => {
    const { clock, scheduler, starts, hold, block } = harness(2);
    block(true);
    const checks: CheckSpec[] = ['a', 'b', 'c', 'd'].map((n) => spec(n, { intervalMs: 60_000 }));
    scheduler.setChecks(checks);
    scheduler.start();
    await clock.advance(60_000);
    expect(starts).toHaveLength(2);
    expect(scheduler.inFlight()).toBe(2);
    await clock.advance(500);
    const first = [...hold.values()][0]!;
    first();
    await settle();
    expect(starts).toHaveLength(3);
    expect(starts[2]!.lag).toBeGreaterThan(0);
  });

  it('keeps the place of unchanged checks across setChecks and drops removed ones', async () => {
    const { clock, scheduler, starts } = harness();
    const a = spec('a', { intervalMs: 1000 });
    scheduler.setChecks([a, spec('b', { intervalMs: 1000 })]);
    scheduler.start();
    await clock.advance(2000);
    const before = starts.filter((s) => s.name === 'a').map((s) => s.at % 1000);
    scheduler.setChecks([a]);
    starts.length = 0;
    await clock.advance(3000);
    expect(starts.every((s) => s.name === 'a')).toBe(true);
    expect(starts.map((s) => s.at % 1000)).toEqual([before[0], before[0], before[0]]);
  });

  it('stop waits for runs in flight at most the grace period and starts nothing new', async () => {
    const { clock, scheduler, starts, block } = harness();
    block(true);
    scheduler.setChecks([spec('a', { intervalMs: 1000 })]);
    scheduler.start();
    await clock.advance(1000);
    expect(starts).toHaveLength(1);
    let stopped = false;
    void scheduler.stop(5000).then(() => (stopped = true));
    await clock.advance(4000);
    expect(stopped).toBe(false);
    await clock.advance(1000);
    expect(stopped).toBe(true);
    await clock.advance(5000);
    expect(starts).toHaveLength(1);
  });
});
