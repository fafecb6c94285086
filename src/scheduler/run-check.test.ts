import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { spec } from '../../test/helpers/specs.js';
import type { ProbeOutcome } from '../core/check-result.js';
import { sleep } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import type { ProbeFn } from '../probes/types.js';
import { runCheck } from './run-check.js';

const ok: ProbeOutcome = { ok: true, phases: {}, observations: [] };
const refused: ProbeOutcome = { ok: false, reason: 'connection_refused', message: 'refused', phases: {}, observations: [] };

describe('runCheck', () => {
  it('retries a failing probe with exponential backoff and returns the last attempt', async () => {
    const clock = createFakeClock(0);
    const calls: number[] = [];
    const probe: ProbeFn<unknown> = async () => {
      calls.push(clock.now());
      return calls.length < 3 ? refused : ok;
    };
    const pending = runCheck(spec('a', { retries: 3, retryBackoffMs: 100 }), probe, { clock, logger: silentLogger(), random: () => 1 });
    await clock.advance(1000);
    const result = await pending;
    expect(result.ok).toBe(true);
    expect(result.attempts).toBe(3);
    expect(calls).toEqual([0, 100, 300]);
  });

  it('gives up after `retries` retries', async () => {
    const clock = createFakeClock(0);
    let calls = 0;
    const probe: ProbeFn<unknown> = async () => {
      calls++;
      return refused;
    };
    const pending = runCheck(spec('a', { retries: 2, retryBackoffMs: 10 }), probe, { clock, logger: silentLogger(), random: () => 0 });
    await clock.advance(1000);
    const result = await pending;
    expect(result).toMatchObject({ ok: false, reason: 'connection_refused', attempts: 3 });
    expect(calls).toBe(3);
  });

  it('aborts a probe at its deadline and reports a timeout', async () => {
    const clock = createFakeClock(0);
    let aborted = false;
    const probe: ProbeFn<unknown> = (_s, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          resolve({ ok: false, reason: 'timeout', message: `no answer within ${ctx.timeoutMs}ms`, phases: {}, observations: [] });
        });
      });
    const pending = runCheck(spec('a', { timeoutMs: 500 }), probe, { clock, logger: silentLogger() });
    await clock.advance(500);
    const result = await pending;
    expect(aborted).toBe(true);
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('does not let a probe that ignores its signal hold the run past the deadline', async () => {
    const clock = createFakeClock(0);
    const probe: ProbeFn<unknown> = () => new Promise(() => {});
    const pending = runCheck(spec('a', { timeoutMs: 200 }), probe, { clock, logger: silentLogger() });
    await clock.advance(200);
    expect(await pending).toMatchObject({ ok: false, reason: 'timeout', message: 'no result within 200ms' });
  });

  it('keeps retries inside the interval', async () => {
    const clock = createFakeClock(0);
    let calls = 0;
    const probe: ProbeFn<unknown> = async () => {
      calls++;
      await sleep(clock, 400);
      return refused;
    };
    const pending = runCheck(spec('a', { intervalMs: 1000, timeoutMs: 500, retries: 5, retryBackoffMs: 100 }), probe, {
      clock,
      logger: silentLogger(),
      random: () => 1,
    });
    await clock.advance(5000);
    await pending;
    expect(calls).toBe(2);
  });

  it('turns a probe that throws into internal_error', async () => {
    const clock = createFakeClock(0);
    const probe: ProbeFn<unknown> = async () => {
      throw new Error('bug');
    };
    const result = await runCheck(spec('a'), probe, { clock, logger: silentLogger() });
    expect(result).toMatchObject({ ok: false, reason: 'internal_error', message: 'probe failed unexpectedly: bug' });
  });
});
