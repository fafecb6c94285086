// The queue between append() and the disk. Pushing never waits and never throws; batches go to
// the writer one at a time, every flushIntervalMs or as soon as batchSize items wait. A batch
// that fails for a passing reason goes back to the front and is retried with backoff; one that
// can never be written is dropped; while the disk cannot keep up, the oldest items are dropped.
import type { Clock, TimerHandle } from '../core/clock.js';
import type { HistoryHealth } from './history.js';

export interface WriteQueueOptions<T> {
  clock: Clock;
  write(batch: T[]): Promise<void>;
  /** Whether a failed batch is worth retrying (a lock, a full disk) or never will be written. */
  isTransient(err: unknown): boolean;
  flushIntervalMs: number;
  /** Items per batch at most; this many waiting send a batch at once. */
  batchSize: number;
  /** Items held at most, in flight included; beyond, the oldest are dropped. */
  maxPending: number;
  retry: { initialMs: number; maxMs: number };
  /** Told of every failed batch, and whether its items were kept for a retry. */
  onError(err: unknown, kept: boolean): void;
  /** Told of the first batch written after failures. */
  onRecovered(): void;
}

export interface WriteQueue<T> {
  push(item: T): void;
  /** Resolves once every item pushed before is written or dropped, or after the next failed batch. */
  flush(): Promise<void>;
  health(): HistoryHealth;
  /** Stops the timers; items left stay pending. */
  stop(): void;
}

interface Entry<T> {
  /** Position in push order, so flush() knows what was pushed before it. */
  seq: number;
  item: T;
}

export function createWriteQueue<T>(o: WriteQueueOptions<T>): WriteQueue<T> {
  // Waiting items are entries[head…]; the head moves instead of shifting the array.
  let entries: Entry<T>[] = [];
  let head = 0;
  let inFlight: Entry<T>[] = [];
  let writing = false;
  let pushed = 0;
  let lastSentAt = -Infinity;
  let failuresInRow = 0;
  let dropped = 0;
  let writeErrors = 0;
  let lastError: string | undefined;
  let stopped = false;
  let timer: TimerHandle | undefined;
  let timerDue = Infinity;
  let waiters: { seq: number; resolve(): void }[] = [];

  const waiting = () => entries.length - head;
  const oldestSeq = () => inFlight[0]?.seq ?? entries[head]?.seq ?? pushed;

  const settle = (all: boolean) => {
    if (waiters.length === 0) return;
    const oldest = oldestSeq();
    waiters = waiters.filter((w) => {
      if (!all && w.seq > oldest) return true;
      w.resolve();
      return false;
    });
  };

  const dropOldest = () => {
    const excess = Math.min(waiting(), waiting() + inFlight.length - o.maxPending);
    if (excess <= 0) return;
    head += excess;
    dropped += excess;
    settle(false);
  };

  const cancelTimer = () => {
    if (timer !== undefined) o.clock.clearTimeout(timer);
    timer = undefined;
    timerDue = Infinity;
  };

  /** Sends a batch in `ms`, or sooner if one is due sooner already. */
  const sendIn = (ms: number) => {
    const due = o.clock.now() + ms;
    if (stopped || due >= timerDue) return;
    cancelTimer();
    timerDue = due;
    timer = o.clock.setTimeout(() => {
      timer = undefined;
      timerDue = Infinity;
      void send();
    }, ms);
  };

  /** Sends a batch now, without waiting for a timer (a flush, or a backlog after a batch). */
  const sendNow = () => {
    cancelTimer();
    void send();
  };

  const send = async () => {
    if (stopped || writing || waiting() === 0) return;
    writing = true;
    lastSentAt = o.clock.now();
    inFlight = entries.slice(head, head + o.batchSize);
    head += inFlight.length;
    if (head > 1024 && head * 2 > entries.length) {
      entries = entries.slice(head);
      head = 0;
    }
    let failed = false;
    try {
      await o.write(inFlight.map((e) => e.item));
      if (failuresInRow > 0) o.onRecovered();
      failuresInRow = 0;
    } catch (err) {
      failed = true;
      writeErrors++;
      lastError = err instanceof Error ? err.message : String(err);
      const kept = o.isTransient(err);
      if (kept) {
        failuresInRow++;
        entries = inFlight.concat(entries.slice(head));
        head = 0;
      } else dropped += inFlight.length;
      o.onError(err, kept);
    }
    inFlight = [];
    writing = false;
    dropOldest();
    settle(failed);
    if (failuresInRow > 0) sendIn(Math.min(o.retry.maxMs, o.retry.initialMs * 2 ** (failuresInRow - 1)));
    else if (waiting() >= o.batchSize || waiters.length > 0) sendNow();
    // Batches are cut every flushIntervalMs however long the last took to write: a crash loses
    // what was queued since the last cut, one interval of rows and the time to write them.
    else if (waiting() > 0) sendIn(Math.max(0, lastSentAt + o.flushIntervalMs - o.clock.now()));
  };

  return {
    push(item) {
      entries.push({ seq: pushed++, item });
      dropOldest();
      // While a batch is out or a retry waits, the end of that batch or the retry sends the next.
      if (!writing && failuresInRow === 0) sendIn(waiting() >= o.batchSize ? 0 : o.flushIntervalMs);
    },
    flush() {
      if (stopped || (waiting() === 0 && !writing)) return Promise.resolve();
      const done = new Promise<void>((resolve) => waiters.push({ seq: pushed, resolve }));
      if (!writing) sendNow();
      return done;
    },
    health: () => ({ pending: waiting() + inFlight.length, dropped, writeErrors, ...(lastError !== undefined && { lastError }) }),
    stop() {
      stopped = true;
      cancelTimer();
    },
  };
}
