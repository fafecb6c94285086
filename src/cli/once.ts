// `healthmon once`: every check once, a table for people or JSON for machines, and an exit code
// for cron and CI.
import type { CheckSpec } from '../config/config.js';
import type { CheckResult } from '../core/check-result.js';
import { nextCheckState, initialCheckState, type CheckStatus } from '../state/check-state.js';

export interface OnceRow {
  check: string;
  kind: string;
  critical: boolean;
  status: CheckStatus;
  duration_ms: number;
  attempts: number;
  reason: string | null;
  message: string | null;
}

/** One run decides: thresholds are for flapping across runs, which a single run does not have. */
export function onceRows(specs: readonly CheckSpec[], results: readonly CheckResult[]): OnceRow[] {
  return results.map((r, i) => {
    const spec = specs[i]!;
    const state = nextCheckState(initialCheckState, r, { ...spec, failureThreshold: 1, successThreshold: 1 });
    return {
      check: r.check,
      kind: r.kind,
      critical: spec.critical,
      status: state.status!,
      duration_ms: Math.round(r.durationMs * 10) / 10,
      attempts: r.attempts,
      reason: r.reason ?? null,
      message: r.message ?? r.warning ?? null,
    };
  });
}

/** 0 when every critical check is up (every check, if none is marked critical), else 1. */
export function onceExitCode(rows: readonly OnceRow[]): 0 | 1 {
  const relevant = rows.some((r) => r.critical) ? rows.filter((r) => r.critical) : rows;
  return relevant.every((r) => r.status === 'healthy' || r.status === 'degraded') ? 0 : 1;
}

export function formatTable(rows: readonly OnceRow[]): string {
  const header = ['CHECK', 'KIND', 'STATUS', 'DURATION', 'REASON'];
  const body = rows.map((r) => [
    r.check,
    r.kind,
    r.status,
    `${r.duration_ms}ms`,
    r.reason ? `${r.reason}: ${r.message ?? ''}`.trim() : (r.message ?? ''),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => Math.min(row[c]!.length, c === 4 ? 200 : 60))));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}
