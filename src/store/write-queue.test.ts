import { describe, expect, it } from 'vitest';
import { createFakeClock, settle } from '../../test/helpers/fake-clock.js';
import { createWriteQueue, type WriteQueueOptions } from './write-queue.js';

class Transient extends Error {}

function setup(overrides: Partial<WriteQueueOptions<number>> = {}) {
  const clock = createFakeClock();
  const written: number[][] = [];
  const log: string[] = [];
  const disk: { failWith?: Error; gate?: Promise<void> } = {};
  const queue = createWriteQueue<number>({
    clock,
    async write(batch) {
      await disk.gate;
      if (disk.failWith) throw disk.failWith;
      written.push(batch);
    },
    isTransient: (err) => err instanceof Transient,
    flushIntervalMs: 1000,
    batchSize: 4,
    maxPending: 10,
    retry: { initialMs: 100, maxMs: 400 },
    onError: (err, kept) => log.push(`error ${(err as Error).message} kept=${kept}`),
    onRecovered: () => log.push('recovered'),
    ...overrides,
  });
  const push = (from: number, to: number) => {
    for (let i = from; i <= to; i++) queue.push(i);
  };
  return { clock, queue, written, log, disk, push };
}

describe('write queue', () => {
  it('writes what waits every interval, at once when a batch is full, a batch at a time', async () => {
    const { clock, queue, written, push } = setup();
    push(1, 3);
    await clock.advance(999);
    expect(written).toEqual([]);
    expect(queue.health().pending).toBe(3);
    await clock.advance(1);
    expect(written).toEqual([[1, 2, 3]]);
    push(4, 12);
    await clock.advance(0);
    expect(written).toEqual([[1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    // The rest follows one interval after the last batch was cut.
    await clock.advance(999);
    expect(written).toHaveLength(3);
    await clock.advance(1);
    expect(written.at(-1)).toEqual([12]);
    expect(queue.health()).toEqual({ pending: 0, dropped: 0, writeErrors: 0 });
  });

  it('keeps a batch that failed for a passing reason and retries it first, backing off', async () => {
    const { clock, queue, written, log, disk, push } = setup();
    disk.failWith = new Transient('database is locked');
    push(1, 2);
    await clock.advance(1000);
    expect(queue.health()).toEqual({ pending: 2, dropped: 0, writeErrors: 1, lastError: 'database is locked' });
    push(3, 3);
    await clock.advance(100);
    await clock.advance(200);
    expect(queue.health().writeErrors).toBe(3);
    // Backoff doubles up to retry.maxMs.
    await clock.advance(399);
    expect(queue.health().writeErrors).toBe(3);
    await clock.advance(1);
    expect(queue.health().writeErrors).toBe(4);
    disk.failWith = undefined;
    await clock.advance(400);
    expect(written).toEqual([[1, 2, 3]]);
    expect(queue.health()).toMatchObject({ pending: 0, dropped: 0, writeErrors: 4 });
    expect(log).toEqual([...Array(4).fill('error database is locked kept=true'), 'recovered']);
  });

  it('drops a batch that can never be written, and goes on with the next', async () => {
    const { clock, queue, written, log, disk, push } = setup();
    disk.failWith = new Error('CHECK constraint failed');
    push(1, 4);
    await clock.advance(0);
    disk.failWith = undefined;
    push(5, 5);
    await clock.advance(1000);
    expect(written).toEqual([[5]]);
    expect(queue.health()).toMatchObject({ pending: 0, dropped: 4, writeErrors: 1 });
    expect(log).toEqual(['error CHECK constraint failed kept=false']);
  });

  it('drops the oldest while the disk cannot keep up, never the batch being written', async () => {
    const { clock, queue, written, disk, push } = setup({ maxPending: 6 });
    let open!: () => void;
    disk.gate = new Promise((resolve) => (open = resolve));
    push(1, 4);
    await clock.advance(0);
    push(5, 9);
    expect(queue.health()).toMatchObject({ pending: 6, dropped: 3 });
    disk.gate = undefined;
    open();
    await clock.advance(1000);
    expect(written).toEqual([[1, 2, 3, 4], [8, 9]]);
  });

  it('flush() waits for what was pushed before it, or for the next failure', async () => {
    const { clock, queue, written, disk, push } = setup();
    await queue.flush();
    push(1, 5);
    let flushed = false;
    const done = queue.flush().then(() => (flushed = true));
    push(6, 6);
    await clock.advance(0);
    expect(flushed).toBe(true);
    await done;
    expect(written).toEqual([[1, 2, 3, 4], [5, 6]]);

    disk.failWith = new Transient('disk I/O error');
    push(7, 7);
    const failed = queue.flush();
    await clock.advance(0);
    await failed;
    expect(queue.health()).toMatchObject({ pending: 1, writeErrors: 1 });
    // flush() tries again at once, backoff or not.
    disk.failWith = undefined;
    const retried = queue.flush();
    await clock.advance(0);
    await retried;
    expect(queue.health().pending).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stops its timers, leaving what waits pending', async () => {
    const { clock, queue, written, push } = setup();
    push(1, 2);
    queue.stop();
    await clock.advance(5000);
    await queue.flush();
    expect(written).toEqual([]);
    expect(queue.health().pending).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });
});
