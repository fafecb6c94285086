// The history store's contract: every check result at full resolution for a while, hourly and
// daily rollups for long, and the events worth a timeline (status changes, remediation runs,
// alerts). Writes are queued and never block or fail the caller; reads are for reports, the API
// and the status page. One contract, two implementations (SQLite and in-memory), one test suite.
import type { CheckStatus } from '../state/check-state.js';

/** One run of a check, as history keeps it. */
export interface HistoryResult {
  check: string;
  /** When the run started, epoch ms. */
  at: number;
  durationMs: number;
  ok: boolean;
  /** The check's status after this result, when it had one. */
  status?: CheckStatus;
  /** A FailureReason when the run failed. */
  reason?: string;
  message?: string;
}

export type HistoryEventKind = 'status' | 'remediation' | 'alert';

/** Something that happened to a check at a moment: a status change, a remediation run, an alert. */
export interface HistoryEvent {
  /** The check the event is about; '' for alerts not tied to one check. */
  check: string;
  at: number;
  kind: HistoryEventKind;
  /** status: the new status; remediation: 'succeeded' | 'failed' | 'skipped'; alert: 'firing' | 'resolved'. */
  state: string;
  message?: string;
  /** Small structured detail: the previous status, the command's exit code, the alert's labels. */
  data?: Record<string, unknown>;
}

export type Resolution = 'hour' | 'day';

/** Counts and latency over some span, mergeable: percentiles come from the bucket counts. */
export interface Aggregate {
  count: number;
  failures: number;
  latencySumMs: number;
  /** Infinity / -Infinity when count is 0. */
  latencyMinMs: number;
  latencyMaxMs: number;
  /** Counts per bucket of LATENCY_BOUNDS_MS (./latency-buckets.ts), the last one open-ended. */
  buckets: number[];
}

export interface Rollup extends Aggregate {
  check: string;
  resolution: Resolution;
  /** Start of the hour or day (UTC), epoch ms. */
  start: number;
}

/** A half-open span [since, until) of epoch ms. */
export interface Span {
  since: number;
  until: number;
}

export interface Retention {
  /** How long every result is kept (storage.retention.raw, default 7d). */
  rawMs: number;
  /** How long hourly and daily rollups are kept (storage.retention.rollup, default 400d). */
  rollupMs: number;
}

export interface HistoryHealth {
  /** Results and events queued but not yet written. */
  pending: number;
  /** Dropped because the queue was full while the disk could not keep up. */
  dropped: number;
  /** Write batches that failed (disk full, locked, …); their rows stay queued and are retried. */
  writeErrors: number;
  lastError?: string;
}

export interface HistoryStore {
  /** Queues one result; returns at once and never throws, whatever the disk does. */
  append(result: HistoryResult): void;
  /** Queues one event; as append. */
  appendEvent(event: HistoryEvent): void;
  /** Resolves once everything queued before the call is written (or has failed to be). */
  flush(): Promise<void>;
  /** One check's results in the span, oldest first; at most `limit` (the newest ones). */
  results(check: string, span: Span, limit?: number): HistoryResult[];
  /** Rollups in the span (by start), of one check or all, ordered by check then start. */
  rollups(resolution: Resolution, span: Span, check?: string): Rollup[];
  /**
   * Per check, everything recorded in the span merged into one Aggregate: raw results where they
   * are kept, hourly then daily rollups beyond, so 30 days of 1,000 checks is quick.
   */
  aggregate(span: Span, checks?: readonly string[]): Map<string, Aggregate>;
  /** Per check, one Aggregate per step in the span (e.g. per day for the status page's bar). */
  series(span: Span, stepMs: number, checks?: readonly string[]): Map<string, Aggregate[]>;
  /** Events in the span, newest first, optionally of one check or kind; at most `limit`. */
  events(span: Span, filter?: { check?: string; kind?: HistoryEventKind; limit?: number }): HistoryEvent[];
  /** Drops what retention no longer keeps, in small steps; resolves to the rows removed. */
  prune(now: number): Promise<number>;
  health(): HistoryHealth;
  /** Flushes and closes. */
  close(): Promise<void>;
}
