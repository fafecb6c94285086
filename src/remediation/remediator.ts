// Self-healing: a check's `on_failure` command (e.g. `systemctl restart web`) runs once the check
// has failed `after` times in a row, at most `max_attempts` times per outage and never twice
// within `cooldown`; one run at a time per check. The outage ends, and the attempts with it, when
// the check is up again. Every run is logged, counted and recorded in history.
import type { Logger } from 'pino';
import type { OnFailureSpec } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { HistoryStore } from '../store/history.js';
import type { CheckEntry } from '../state/state-store.js';

/** What running a command came to. */
export interface CommandOutcome {
  /** Exit code, when the command exited by itself. */
  exitCode?: number | null;
  timedOut: boolean;
  /** Why the command could not be started. */
  spawnError?: string;
  /** The first lines of its output. */
  output: string;
  durationMs: number;
}

export type CommandRunner = (argv: readonly string[], options: { timeoutMs: number; signal: AbortSignal }) => Promise<CommandOutcome>;

export type RemediationOutcome = 'succeeded' | 'failed' | 'timeout' | 'error';

export interface RemediationMetrics {
  ran(check: string, outcome: RemediationOutcome, at: number): void;
}

export interface RemediatorDeps {
  clock: Clock;
  logger: Logger;
  run: CommandRunner;
  metrics: RemediationMetrics;
  history(): HistoryStore | undefined;
  /** Aborted on shutdown: a running command is killed. */
  signal: AbortSignal;
}

export interface Remediator {
  /** Looks at a check after each recorded result and starts its repair when due. */
  observe(entry: CheckEntry): void;
  /** Resolves when every repair in flight has ended (for shutdown and tests). */
  idle(): Promise<void>;
}

interface Outage {
  attempts: number;
  lastAttemptAt: number | undefined;
  running: Promise<void> | undefined;
  gaveUp: boolean;
}

export function createRemediator(deps: RemediatorDeps): Remediator {
  const outages = new Map<string, Outage>();

  const attempt = async (check: string, spec: OnFailureSpec, outage: Outage) => {
    const at = deps.clock.now();
    outage.attempts++;
    outage.lastAttemptAt = at;
    const log = deps.logger.child({ check, command: spec.run, attempt: outage.attempts, max_attempts: spec.maxAttempts });
    log.warn('check keeps failing: running its on_failure command');
    const result = await deps.run(spec.run, { timeoutMs: spec.timeoutMs, signal: deps.signal });
    const outcome: RemediationOutcome = result.spawnError !== undefined ? 'error' : result.timedOut ? 'timeout' : result.exitCode === 0 ? 'succeeded' : 'failed';
    deps.metrics.ran(check, outcome, at);
    const message = describe(outcome, result, spec);
    (outcome === 'succeeded' ? log.info.bind(log) : log.error.bind(log))({ outcome, exit_code: result.exitCode, output: result.output, duration_ms: Math.round(result.durationMs) }, message);
    deps.history()?.appendEvent({
      check,
      at,
      kind: 'remediation',
      state: outcome === 'succeeded' ? 'succeeded' : 'failed',
      message,
      data: { command: spec.run, attempt: outage.attempts, outcome, ...(result.exitCode === undefined ? {} : { exit_code: result.exitCode }), output: result.output },
    });
  };

  return {
    observe(entry) {
      const spec = entry.spec.onFailure;
      const name = entry.spec.name;
      if (!spec) return;
      const { state } = entry;
      if (state.last?.ok && state.up === true) {
        const ended = outages.get(name);
        if (ended?.running) Object.assign(ended, { attempts: 0, gaveUp: false });
        else outages.delete(name);
        return;
      }
      if (state.last?.ok !== false || state.consecutiveFailures < spec.after) return;
      let outage = outages.get(name);
      if (!outage) outages.set(name, (outage = { attempts: 0, lastAttemptAt: undefined, running: undefined, gaveUp: false }));
      if (outage.running || deps.signal.aborted) return;
      const now = deps.clock.now();
      if (outage.attempts >= spec.maxAttempts) {
        if (!outage.gaveUp) {
          outage.gaveUp = true;
          const message = `gave up after ${spec.maxAttempts} attempt(s); the check is still failing`;
          deps.logger.error({ check: name, command: spec.run }, `on_failure: ${message}`);
          deps.history()?.appendEvent({ check: name, at: now, kind: 'remediation', state: 'skipped', message, data: { command: spec.run } });
        }
        return;
      }
      if (outage.lastAttemptAt !== undefined && now - outage.lastAttemptAt < spec.cooldownMs) return;
      const current = outage;
      current.running = attempt(name, spec, current).finally(() => {
        current.running = undefined;
      });
    },
    async idle() {
      await Promise.all([...outages.values()].map((o) => o.running));
    },
  };
}

function describe(outcome: RemediationOutcome, result: CommandOutcome, spec: OnFailureSpec): string {
  switch (outcome) {
    case 'succeeded':
      return 'on_failure command succeeded';
    case 'failed':
      return `on_failure command failed: exit ${result.exitCode === null ? 'by signal' : String(result.exitCode)}`;
    case 'timeout':
      return `on_failure command did not finish within ${spec.timeoutMs / 1000}s and was killed`;
    case 'error':
      return `on_failure command could not start: ${result.spawnError}`;
  }
}
