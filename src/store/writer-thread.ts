// The history writer's thread, seen from the main thread: better-sqlite3 is synchronous, so a
// locked or slow disk would stall the event loop (and every probe) for as long as it waits; the
// writes run in a worker_thread with its own connection instead, and are awaited as promises.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Retention } from './history.js';
import type { WriteBatch } from './history-writes.js';

export interface WriterOptions {
  /** The database file (the writer opens its own connection to it). */
  file: string;
  /** Caps the file's size, in pages, as a full disk would (for tests). */
  maxPageCount?: number;
}

/** What the main thread asks of the writer. */
type WriterCall = { type: 'write'; batch: WriteBatch } | { type: 'prune'; now: number; retention: Retention } | { type: 'close' };

export type WriterRequest = WriterCall & { id: number };

export type WriterReply = { id: number; value: number } | { id: number; error: { message: string; code?: string } };

export interface WriterThread {
  write(batch: WriteBatch): Promise<void>;
  prune(now: number, retention: Retention): Promise<number>;
  /** Closes the writer's connection and ends the thread. */
  close(): Promise<void>;
}

/** An error from the writer: SQLite's code (SQLITE_FULL, SQLITE_BUSY, …) when it has one. */
class WriterError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'WriterError';
  }
}

/** Errors that pass (a lock, a full or failing disk, the thread gone): worth retrying the batch. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof WriterError)) return false;
  return err.code === undefined || /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|PROTOCOL|NOMEM|INTERRUPT)/.test(err.code);
}

// dist runs the compiled entry. Run from src (vitest, tsx), the entry is TypeScript, and Node 20
// applies no module hooks in workers: there tsx's require hook loads it instead.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = fileURLToPath(new URL(`./history-writer.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url));

function newWorker(options: WriterOptions): Worker {
  if (!FROM_SOURCE) return new Worker(ENTRY, { workerData: options });
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).require(${JSON.stringify(ENTRY)}, ${JSON.stringify(ENTRY)})`, { eval: true, workerData: options });
}

/** Starts the thread on first use, and again after it died. */
export function startWriterThread(options: WriterOptions): WriterThread {
  let worker: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<number, { resolve(value: number): void; reject(err: Error): void }>();

  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const spawn = () => {
    const w = newWorker(options);
    w.on('message', (reply: WriterReply) => {
      const waiter = waiting.get(reply.id);
      waiting.delete(reply.id);
      if ('error' in reply) waiter?.reject(new WriterError(reply.error.message, reply.error.code));
      else waiter?.resolve(reply.value);
    });
    // What the thread threw arrives cloned: SQLite's errors as bare { code }.
    w.on('error', (err: Partial<Error> & { code?: string }) => failAll(new WriterError(`history writer failed: ${err.message ?? err.code}`, err.code)));
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new WriterError(`history writer exited (${code})`));
    });
    return w;
  };
  const call = (request: WriterCall) =>
    new Promise<number>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      (worker ??= spawn()).postMessage({ ...request, id } satisfies WriterRequest);
    });

  return {
    write: async (batch) => void (await call({ type: 'write', batch })),
    prune: (now, retention) => call({ type: 'prune', now, retention }),
    async close() {
      const w = worker;
      if (!w) return;
      const exited = new Promise((resolve) => w.once('exit', resolve));
      await call({ type: 'close' }).catch(() => {});
      await exited;
    },
  };
}
