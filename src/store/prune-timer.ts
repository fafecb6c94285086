// Retention on a timer: prune(now) every few minutes, one run at a time. A failed run is logged
// (again only when the error changes) and the next one tries again.
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { HistoryStore } from './history.js';

export const PRUNE_EVERY_MS = 10 * 60_000;

export function schedulePruning(history: HistoryStore, deps: { clock: Clock; logger: Logger; everyMs?: number }): { stop(): void } {
  const { clock, logger, everyMs = PRUNE_EVERY_MS } = deps;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let lastError: string | undefined;
  const next = () => {
    if (!stopped) timer = clock.setTimeout(run, everyMs);
  };
  const run = () => {
    history
      .prune(clock.now())
      .then(
        (removed) => {
          lastError = undefined;
          logger.debug({ removed }, 'history pruned');
        },
        (err: Error) => {
          if (err.message !== lastError) logger.warn({ err }, 'history prune failed; trying again at the next one');
          lastError = err.message;
        },
      )
      .finally(next);
  };
  next();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
