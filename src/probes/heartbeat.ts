// The heartbeat kind, for cron jobs and batch work, as Healthchecks.io users expect: the job
// pings healthmon (POST /ping/<check>, /ping/<check>/start, /ping/<check>/fail) and the check
// fails when no success arrives within period + grace, when a started run does not finish
// within grace, or when the job reports failure. Judged at every run of the check.
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { duration } from '../config/fields.js';
import { isoSeconds } from './dial.js';
import type { ProbeContext, ProbeKind } from './types.js';

export interface HeartbeatSettings {
  /** How often the job runs. */
  periodMs: number;
  /** How late a ping may be, and how long a started run may take. */
  graceMs: number;
}

const schema = z
  .strictObject({
    period: duration().refine((ms) => ms > 0, { message: 'expected a duration above zero' }),
    grace: duration().optional(),
  })
  .transform((b): HeartbeatSettings => ({ periodMs: b.period, graceMs: b.grace ?? 60_000 }));

async function probeHeartbeat(s: HeartbeatSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const now = ctx.now();
  const p = ctx.pushes.state(ctx.check, now);
  const observations: Observation[] = [];
  if (p.success !== undefined) observations.push({ metric: 'healthmon_heartbeat_last_success_timestamp_seconds', value: p.success / 1000 });
  if (p.lastRunMs !== undefined) observations.push({ metric: 'healthmon_heartbeat_run_duration_seconds', value: p.lastRunMs / 1000 });
  const fail = (reason: 'heartbeat_missed' | 'job_failed', message: string): ProbeOutcome => ({ ok: false, reason, message, phases: {}, observations });
  if (p.last === 'fail') return fail('job_failed', `the job reported a failure at ${isoSeconds(p.fail!)}`);
  if (p.last === 'start' && now - p.start! > s.graceMs) {
    return fail('heartbeat_missed', `a run started at ${isoSeconds(p.start!)} and has not finished within the grace of ${s.graceMs / 1000}s`);
  }
  const since = p.success ?? p.watchedSince;
  if (now - since > s.periodMs + s.graceMs) {
    const what = p.success === undefined ? `no ping since healthmon started watching at ${isoSeconds(since)}` : `last ping at ${isoSeconds(since)}`;
    return fail('heartbeat_missed', `${what}; expected one every ${s.periodMs / 1000}s (+${s.graceMs / 1000}s grace)`);
  }
  return { ok: true, phases: {}, observations };
}

export const heartbeatKind: ProbeKind<HeartbeatSettings> = {
  kind: 'heartbeat',
  schema,
  probe: probeHeartbeat,
  target: (s) => `ping every ${s.periodMs / 1000}s`,
  metrics: [
    { name: 'healthmon_heartbeat_last_success_timestamp_seconds', help: 'When the job last pinged success, in unix seconds.' },
    { name: 'healthmon_heartbeat_run_duration_seconds', help: 'How long the last run took, from its start ping to its success ping.' },
  ],
};
