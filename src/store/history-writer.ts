// The entry of the history writer thread (./writer-thread.ts): its own connection to the file,
// and every request from the main thread answered with a value or SQLite's error. A prune yields
// between its steps, so batches are written meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabaseFile } from './database.js';
import { createHistoryWrites } from './history-writes.js';
import type { WriterOptions, WriterReply, WriterRequest } from './writer-thread.js';

const options = workerData as WriterOptions;
const port = parentPort!;
const db = openDatabaseFile(options.file);
if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
const writes = createHistoryWrites(db);

const handle = async (request: WriterRequest): Promise<number> => {
  switch (request.type) {
    case 'write':
      writes.write(request.batch);
      return request.batch.results.length + request.batch.events.length;
    case 'prune':
      return writes.prune(request.now, request.retention);
    case 'close':
      db.close();
      return 0;
  }
};

port.on('message', (request: WriterRequest) => {
  handle(request)
    .then(
      (value) => port.postMessage({ id: request.id, value } satisfies WriterReply),
      (err: Error & { code?: string }) => port.postMessage({ id: request.id, error: { message: err.message, code: err.code } } satisfies WriterReply),
    )
    // Closing the port ends the thread, once the answer is out.
    .finally(() => request.type === 'close' && port.close());
});
