// The one shape every probe kind has. Adding a kind means one file exporting a ProbeKind and
// one entry in ./index.ts; nothing else in the program knows about kinds.
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import type { ProbeOutcome } from '../core/check-result.js';
import type { PushLog } from './push-log.js';

export interface ProbeContext {
  /** Aborted when the attempt's deadline passes (reason: a TimeoutError) or on shutdown. */
  signal: AbortSignal;
  /** Milliseconds this attempt may take in all. */
  timeoutMs: number;
  /** Epoch milliseconds: the run's clock, for judging dates such as certificate expiry. */
  now(): number;
  logger: Logger;
  /** The check's name, for kinds that keep state per check. */
  check: string;
  /** What jobs pushed to healthmon, for passive kinds (heartbeat). */
  pushes: PushLog;
}

export type ProbeFn<S> = (settings: S, ctx: ProbeContext) => Promise<ProbeOutcome>;

/** A gauge a kind may emit, labelled `check`, `kind` and `labels`. */
export interface MetricSpec {
  name: string;
  help: string;
  labels?: readonly string[];
}

export interface ProbeKind<S = unknown> {
  kind: string;
  /** Validates the kind's block (`http:`, `tcp:` …) and turns it into settings. Unknown keys are errors. */
  schema: ZodType<S>;
  probe: ProbeFn<S>;
  /** A short, human description of what is probed, for healthmon_check_info{target} and tables. */
  target(settings: S): string;
  metrics: readonly MetricSpec[];
}
