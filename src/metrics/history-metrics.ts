// The history store's health as series: rows waiting for the disk, rows dropped because it could
// not keep up, and write batches that failed (locked, full, failing disk). Read at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { HistoryHealth } from '../store/history.js';

/** `health` is undefined while no history is open (before start, or `once`): the series read 0. */
export function registerHistoryMetrics(registry: Registry, health: () => HistoryHealth | undefined): void {
  const registers = [registry];
  new Gauge({
    name: 'healthmon_history_pending',
    help: 'Results and events queued for the history database but not yet written.',
    registers,
    collect() {
      this.set(health()?.pending ?? 0);
    },
  });
  // Counters that mirror the store's own totals: set to its value at each scrape.
  const mirror = (name: string, help: string, value: (h: HistoryHealth) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        const h = health();
        this.reset();
        if (h) this.inc(value(h));
      },
    });
  mirror('healthmon_history_dropped_total', 'Results and events dropped because the history queue was full while the disk could not keep up.', (h) => h.dropped);
  mirror('healthmon_history_write_errors_total', 'History write batches that failed (database locked, disk full, I/O error); their rows stay queued and are retried.', (h) => h.writeErrors);
}
