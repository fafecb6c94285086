import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { silentLogger } from '../core/logger.js';
import { createMemoryHistory } from './history-memory.js';
import { PRUNE_EVERY_MS, schedulePruning } from './prune-timer.js';

const DAY = 86_400_000;

describe('prune timer', () => {
  it('prunes on the clock every interval until stopped', async () => {
    const clock = createFakeClock();
    const history = createMemoryHistory({ retention: { rawMs: DAY, rollupMs: 10 * DAY } });
    const prunedAt: number[] = [];
    const prune = history.prune;
    history.prune = (now) => {
      prunedAt.push(now - clock.now());
      return prune(now);
    };
    history.append({ check: 'a', at: clock.now() - 2 * DAY, durationMs: 1, ok: true });
    const pruning = schedulePruning(history, { clock, logger: silentLogger() });
    await clock.advance(PRUNE_EVERY_MS - 1);
    expect(prunedAt).toEqual([]);
    await clock.advance(1);
    expect(history.results('a', { since: 0, until: clock.now() })).toEqual([]);
    await clock.advance(PRUNE_EVERY_MS);
    expect(prunedAt).toEqual([0, 0]);
    pruning.stop();
    await clock.advance(5 * PRUNE_EVERY_MS);
    expect(prunedAt).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps going after a failed run', async () => {
    const clock = createFakeClock();
    const history = createMemoryHistory({ retention: { rawMs: DAY, rollupMs: DAY } });
    let calls = 0;
    history.prune = async () => {
      calls++;
      throw new Error('disk I/O error');
    };
    const pruning = schedulePruning(history, { clock, logger: silentLogger(), everyMs: 1000 });
    await clock.advance(3000);
    expect(calls).toBe(3);
    pruning.stop();
  });
});
