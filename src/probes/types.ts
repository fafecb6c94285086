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
  /**
   * Set for checks registered through the API: why the network policy refuses an address, or
   * undefined. The dialer asks it for every address it is about to connect to, so neither a
   * redirect nor a name that resolves differently later reaches a refused network.
   */
  refuseAddress?(address: string): string | undefined;
}

export type ProbeFn<S> = (settings: S, ctx: ProbeContext) => Promise<ProbeOutcome>;

/** A series a kind may emit, labelled `check`, `kind` and `labels`; a gauge unless it says counter. */
export interface MetricSpec {
  name: string;
  help: string;
  labels?: readonly string[];
  /** A counter's name ends in `_total`; OpenMetrics shows its family without the suffix. */
  type?: 'gauge' | 'counter';
}

export interface ProbeKind<S = unknown> {
  kind: string;
  /** Validates the kind's block (`http:`, `tcp:` …) and turns it into settings. Unknown keys are errors. */
  schema: ZodType<S>;
  probe: ProbeFn<S>;
  /** A short, human description of what is probed, for healthmon_check_info{target} and tables. */
  target(settings: S): string;
  metrics: readonly MetricSpec[];
  /**
   * For GET /probe?target=…: the fields of the kind's block a target string fills in, as
   * blackbox_exporter takes targets; kinds without a target (heartbeat, exec …) leave it out.
   */
  fromTarget?(target: string): Record<string, unknown>;
  /**
   * Load-time work a schema cannot do because it is asynchronous or needs the config file's
   * directory, such as importing a plug-in module. loadConfigAsync runs it after the schema
   * passed, once per check of the kind; its issues become config errors under the kind's block.
   */
  prepare?(settings: S, ctx: PrepareContext): Promise<Prepared<S>>;
  /**
   * Runs programs or code on healthmon's host (exec, plugin). Such checks come from the config
   * file only: the API refuses them, as a token must not be a way to run commands.
   */
  runsCode?: boolean;
}

export interface PrepareContext {
  /** The config file's directory: relative paths in a kind's block are resolved against it. */
  baseDir: string;
}

export type Prepared<S> =
  /** `version` changes when what was loaded changed (a module's file), so a reload restarts the check. */
  | { ok: true; settings: S; version?: string }
  /** Paths are relative to the kind's block: `['module']` is reported as `checks[i].plugin.module`. */
  | { ok: false; issues: Array<{ path: Array<string | number>; message: string }> };
