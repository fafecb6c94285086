// One run of one check: attempts with a deadline each, retries with exponential backoff and
// jitter, all on the injected clock. A probe that throws is a bug, reported as internal_error.
import type { Logger } from 'pino';
import type { CheckSpec } from '../config/config.js';
import type { CheckResult, ProbeOutcome } from '../core/check-result.js';
import { sleep, type Clock } from '../core/clock.js';
import { createPushLog, type PushLog } from '../probes/push-log.js';
import type { ProbeFn } from '../probes/types.js';

export interface RunDeps {
  clock: Clock;
  logger: Logger;
  /** Aborted on shutdown: the run ends at its next await. */
  signal?: AbortSignal;
  /** Source of jitter in [0, 1); injected so tests are deterministic. */
  random?: () => number;
  /** The elapsed time of an attempt; defaults to the clock, probes of real I/O pass performance.now. */
  monotonic?: () => number;
  /** What jobs pushed (heartbeats): the app's one log; without one, nothing was ever pushed. */
  pushes?: PushLog;
  /** The network policy for checks registered through the API (ProbeContext.refuseAddress). */
  refuseAddress?: (address: string) => string | undefined;
}

export async function runCheck(spec: CheckSpec, probe: ProbeFn<unknown>, deps: RunDeps): Promise<CheckResult> {
  const { clock } = deps;
  const monotonic = deps.monotonic ?? (() => clock.now());
  const random = deps.random ?? Math.random;
  const startedAt = clock.now();
  // The whole run, retries included, must end before the next run is due.
  const runDeadline = startedAt + spec.intervalMs;
  let attempts = 0;
  for (;;) {
    attempts++;
    const attemptStartedAt = clock.now();
    const timeoutMs = Math.max(1, Math.min(spec.timeoutMs, runDeadline - attemptStartedAt));
    const t0 = monotonic();
    const outcome = await attempt(spec, probe, timeoutMs, deps);
    const durationMs = Math.max(0, monotonic() - t0);
    const result: CheckResult = { ...outcome, check: spec.name, kind: spec.kind, startedAt: attemptStartedAt, durationMs, attempts };
    if (outcome.ok || attempts > spec.retries || deps.signal?.aborted) return result;
    const backoff = spec.retryBackoffMs * 2 ** (attempts - 1) * (0.5 + random() / 2);
    if (clock.now() + backoff + 1 >= runDeadline) return result;
    try {
      await sleep(clock, backoff, deps.signal);
    } catch {
      return result;
    }
  }
}

async function attempt(spec: CheckSpec, probe: ProbeFn<unknown>, timeoutMs: number, deps: RunDeps): Promise<ProbeOutcome> {
  const controller = new AbortController();
  const timer = deps.clock.setTimeout(
    () => controller.abort(new DOMException(`deadline of ${timeoutMs}ms passed`, 'TimeoutError')),
    timeoutMs,
  );
  const onShutdown = () => controller.abort(deps.signal?.reason);
  deps.signal?.addEventListener('abort', onShutdown, { once: true });
  try {
    const pending = probe(spec.settings, {
      signal: controller.signal, timeoutMs, now: () => deps.clock.now(), logger: deps.logger, check: spec.name, pushes: deps.pushes ?? createPushLog(),
      ...(deps.refuseAddress ? { refuseAddress: deps.refuseAddress } : {}),
    });
    // A probe that ignores its signal still cannot hold the run past the deadline.
    return await Promise.race([pending, aborted(controller.signal, timeoutMs)]);
  } catch (err) {
    deps.logger.error({ err, check: spec.name }, 'probe threw; this is a bug in the probe');
    return { ok: false, reason: 'internal_error', message: `probe failed unexpectedly: ${(err as Error).message}`, phases: {}, observations: [] };
  } finally {
    deps.clock.clearTimeout(timer);
    deps.signal?.removeEventListener('abort', onShutdown);
  }
}

function aborted(signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const done = () =>
      // Give a well-behaved probe one macrotask to report its own, more precise outcome.
      setImmediate(() => resolve({ ok: false, reason: 'timeout', message: `no result within ${timeoutMs}ms`, phases: {}, observations: [] }));
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}
