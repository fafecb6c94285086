import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../core/check-result.js';
import type { HistoryEvent, HistoryStore } from '../store/history.js';
import { createStateStore } from '../state/state-store.js';
import { createFakeClock, settle } from '../../test/helpers/fake-clock.js';
import { spec } from '../../test/helpers/specs.js';
import { createRemediator, type CommandOutcome, type RemediationOutcome } from './remediator.js';

const onFailure = { run: ['systemctl', 'restart', 'web'], after: 2, maxAttempts: 2, cooldownMs: 60_000, timeoutMs: 5_000 };

function setup(outcomes: Array<Partial<CommandOutcome>>) {
  const clock = createFakeClock();
  const store = createStateStore();
  const check = spec('web', { failureThreshold: 2, onFailure });
  store.setChecks([check]);
  const runs: Array<readonly string[]> = [];
  const counted: RemediationOutcome[] = [];
  const events: HistoryEvent[] = [];
  let release: (() => void) | undefined;
  const remediator = createRemediator({
    clock,
    logger: pino({ level: 'silent' }),
    run: async (argv) => {
      runs.push(argv);
      await new Promise<void>((r) => (release = r));
      return { timedOut: false, output: '', durationMs: 10, exitCode: 0, ...outcomes[runs.length - 1] };
    },
    metrics: { ran: (_check, outcome) => counted.push(outcome) },
    history: () => ({ appendEvent: (e: HistoryEvent) => events.push(e) }) as unknown as HistoryStore,
    signal: new AbortController().signal,
  });
  const record = (ok: boolean) => {
    const result: CheckResult = { check: 'web', kind: 'test', ok, startedAt: clock.now(), durationMs: 5, attempts: 1, phases: {}, observations: [], ...(ok ? {} : { reason: 'connection_refused' }) };
    remediator.observe(store.record(result)!.entry);
  };
  const finishRun = async () => {
    release?.();
    release = undefined;
    await settle();
  };
  return { clock, record, runs, counted, events, finishRun, remediator };
}

describe('on_failure remediation', () => {
  it('runs the command after `after` failures in a row, not before', async () => {
    const t = setup([{ exitCode: 0 }]);
    t.record(false);
    expect(t.runs).toHaveLength(0);
    t.record(false);
    expect(t.runs).toEqual([['systemctl', 'restart', 'web']]);
    await t.finishRun();
    expect(t.counted).toEqual(['succeeded']);
    expect(t.events).toMatchObject([{ check: 'web', kind: 'remediation', state: 'succeeded', data: { attempt: 1, exit_code: 0 } }]);
  });

  it('runs one command at a time, waits out the cooldown, and gives up after max_attempts', async () => {
    const t = setup([{ exitCode: 1 }, { timedOut: true, exitCode: undefined }]);
    t.record(false);
    t.record(false);
    t.record(false); // still running: no second run
    expect(t.runs).toHaveLength(1);
    await t.finishRun();
    t.record(false); // within the cooldown
    expect(t.runs).toHaveLength(1);
    await t.clock.advance(60_000);
    t.record(false);
    expect(t.runs).toHaveLength(2);
    await t.finishRun();
    await t.clock.advance(60_000);
    t.record(false);
    t.record(false);
    expect(t.runs).toHaveLength(2);
    expect(t.counted).toEqual(['failed', 'timeout']);
    expect(t.events.map((e) => e.state)).toEqual(['failed', 'failed', 'skipped']);
    expect(t.events[2]!.message).toMatch(/gave up after 2 attempt/);
  });

  it('starts afresh once the check is up again', async () => {
    const t = setup([{ exitCode: 1 }, { exitCode: 1 }, { exitCode: 0 }]);
    t.record(false);
    t.record(false);
    await t.finishRun();
    await t.clock.advance(60_000);
    t.record(false);
    await t.finishRun();
    t.record(true); // up: the outage is over
    await t.clock.advance(60_000);
    t.record(false);
    t.record(false);
    expect(t.runs).toHaveLength(3);
    await t.finishRun();
  });

  it('says so when the command cannot start', async () => {
    const t = setup([{ spawnError: 'ENOENT: no such file', exitCode: undefined }]);
    t.record(false);
    t.record(false);
    await t.finishRun();
    expect(t.counted).toEqual(['error']);
    expect(t.events[0]!.message).toBe('on_failure command could not start: ENOENT: no such file');
  });
});
