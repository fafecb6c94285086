// `healthmon report` and `healthmon dashboard` as commands: their arguments checked before the
// config is read (bad usage exits 2 whatever the config), the history opened read-only, the
// output written to stdout or, whole or not at all, to --out.
import { randomUUID } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { HealthmonConfig } from '../config/config.js';
import { ownedChecks } from '../config/shard.js';
import { buildDashboard, renderDashboard } from './dashboard.js';
import { buildReport, REPORT_FORMATS, REPORT_PERIODS, reportRequest, type ReportFormat, type ReportRequest } from './report.js';
import type { HistoryStore } from '../store/history.js';
import { openHistoryReadOnly } from './report-history.js';
import { renderReport } from './report-render.js';

export interface CommandIo {
  now(): number;
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface ReportArgs {
  /** Positionals after `report` (or after `--report`): at most a period. */
  rest: readonly string[];
  format?: string;
  out?: string;
  since?: string;
  /** `--json`: the same as `--format json`. */
  json?: boolean;
}

export interface ReportPlan {
  request: ReportRequest;
  format: ReportFormat;
  out?: string;
}

export const DEFAULT_REPORT_FORMAT: ReportFormat = 'markdown';

export function planReport(args: ReportArgs, now: number): ReportPlan | { error: string } {
  if (args.rest.length > 1) return { error: `report: unexpected "${args.rest.slice(1).join(' ')}"; usage: report [daily|weekly] [--since D] [--format F] [--out FILE]` };
  const period = args.rest[0];
  if (period !== undefined && !Object.hasOwn(REPORT_PERIODS, period)) return { error: `report: unknown period "${period}"; expected daily or weekly` };
  let format: ReportFormat = DEFAULT_REPORT_FORMAT;
  if (args.format !== undefined) {
    if (!(REPORT_FORMATS as readonly string[]).includes(args.format)) return { error: `--format: expected one of ${REPORT_FORMATS.join(', ')}, got "${args.format}"` };
    format = args.format as ReportFormat;
    if (args.json && format !== 'json') return { error: `--json and --format ${format} disagree; give one of them` };
  } else if (args.json) format = 'json';
  if (args.out === '') return { error: '--out: expected a file name' };
  const request = reportRequest({ ...(period !== undefined && { period }), ...(args.since !== undefined && { since: args.since }), now });
  if ('error' in request) return request;
  return { request, format, ...(args.out !== undefined && { out: args.out }) };
}

export function planDashboard(args: ReportArgs): { out?: string } | { error: string } {
  if (args.rest.length > 0) return { error: `dashboard: unexpected "${args.rest.join(' ')}"; usage: dashboard [--out FILE]` };
  if (args.format !== undefined && args.format !== 'json') return { error: `--format: the dashboard is JSON only, got "${args.format}"` };
  if (args.since !== undefined) return { error: '--since: the dashboard has no span (uptime is over 24h); use report --since' };
  if (args.out === '') return { error: '--out: expected a file name' };
  return args.out !== undefined ? { out: args.out } : {};
}

/** Writes next to the target and renames, so a reader never sees half a report. */
function writeOut(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${randomUUID()}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function emit(text: string, out: string | undefined, io: CommandIo, what: string): number {
  if (out === undefined) {
    io.stdout(text);
    return 0;
  }
  try {
    writeOut(out, text);
  } catch (err) {
    io.stderr(`cannot write ${out}: ${(err as Error).message}\n`);
    return 1;
  }
  io.stderr(`${what} written to ${out}\n`);
  return 0;
}

/** Opens the history read-only for `use` (without it, and its path, when there is none yet), closing it after; 1 when it cannot be read. */
function withHistory(storagePath: string, io: CommandIo, use: (history: HistoryStore | undefined, missing?: string) => number): number {
  let opened;
  try {
    opened = openHistoryReadOnly(storagePath);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return 1;
  }
  if ('missing' in opened) return use(undefined, opened.missing);
  try {
    return use(opened.history);
  } finally {
    opened.close();
  }
}

/** 0 written; 1 no history (or it cannot be read, or --out cannot be written). */
export function runReport(config: HealthmonConfig, plan: ReportPlan, io: CommandIo): number {
  return withHistory(config.storagePath, io, (history, missing) => {
    if (!history) {
      io.stderr(`no history at ${missing}: run healthmon first (storage.path is ${config.storagePath})\n`);
      return 1;
    }
    const report = buildReport({ history, checks: ownedChecks(config.checks, config.shard), request: plan.request, now: io.now() });
    return emit(renderReport(report, plan.format), plan.out, io, 'report');
  });
}

/** 0 written (every check unknown, and a warning, when there is no history yet); 1 unreadable history or --out. */
export function runDashboard(config: HealthmonConfig, plan: { out?: string }, io: CommandIo): number {
  return withHistory(config.storagePath, io, (history, missing) => {
    if (!history) io.stderr(`no history at ${missing}: every check is unknown (run healthmon first)\n`);
    const dashboard = buildDashboard({ history, checks: ownedChecks(config.checks, config.shard), now: io.now() });
    return emit(renderDashboard(dashboard), plan.out, io, 'dashboard');
  });
}
