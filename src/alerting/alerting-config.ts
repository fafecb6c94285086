// The `alerting:` block of healthmon.yaml, in Alertmanager's shape where Alertmanager has one
// (route, receivers with <kind>_configs, inhibit_rules, silences) plus maintenance windows.
// Validated with the rest of the config; every problem carries its path.
import { z } from 'zod';
import { duration, shown } from '../config/fields.js';
import type { ConfigIssue, IssuePath } from '../config/issues.js';
import { isValidTimeZone, WEEKDAYS, type MaintenanceWindow, type Weekday } from './maintenance.js';
import { parseMatchers, type CompiledMatcher } from './matchers.js';
import { childKey, type Route } from './route.js';

const matchers = () =>
  z.array(z.string()).transform((list, ctx): CompiledMatcher[] => {
    try {
      return parseMatchers(list);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

const timestamp = () =>
  z.unknown().transform((value, ctx): number => {
    const ms = typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `expected an RFC 3339 time like "2026-12-01T02:00:00Z", got ${shown(value)}` });
      return z.NEVER;
    }
    return ms;
  });

const clockTime = () =>
  z.unknown().transform((value, ctx): number => {
    const m = typeof value === 'string' ? /^([01]\d|2[0-4]):([0-5]\d)$/.exec(value) : null;
    const minute = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    if (!m || minute > 24 * 60) {
      ctx.addIssue({ code: 'custom', message: `expected a time of day like "02:30", got ${shown(value)}` });
      return z.NEVER;
    }
    return minute;
  });

interface RawRoute {
  receiver?: string | undefined;
  group_by?: string[] | undefined;
  group_wait?: number | undefined;
  group_interval?: number | undefined;
  repeat_interval?: number | undefined;
  matchers?: CompiledMatcher[] | undefined;
  continue?: boolean | undefined;
  escalate?: { after: number; receiver: string } | undefined;
  routes?: RawRoute[] | undefined;
}

const routeSchema: z.ZodType<RawRoute, unknown> = z.lazy(() =>
  z.strictObject({
    receiver: z.string().min(1).optional(),
    group_by: z.array(z.string().regex(/^([a-zA-Z_][a-zA-Z0-9_]*|\.\.\.)$/, { message: 'expected a label name or "..."' })).optional(),
    group_wait: duration().optional(),
    group_interval: duration().optional(),
    repeat_interval: duration().optional(),
    matchers: matchers().optional(),
    continue: z.boolean().optional(),
    escalate: z.strictObject({ after: duration(), receiver: z.string().min(1) }).optional(),
    routes: z.array(routeSchema).optional(),
  }),
);

const inhibitSchema = z.strictObject({
  name: z.string().optional(),
  source_matchers: matchers(),
  target_matchers: matchers(),
  equal: z.array(z.string()).optional(),
});

const silenceSchema = z.strictObject({
  matchers: matchers().refine((m) => m.length > 0, 'a silence needs at least one matcher'),
  starts_at: timestamp().optional(),
  ends_at: timestamp(),
  created_by: z.string().optional(),
  comment: z.string().optional(),
});

const weekday = z.enum(WEEKDAYS);

const maintenanceSchema = z.strictObject({
  name: z.string().min(1),
  matchers: matchers().optional(),
  start: timestamp().optional(),
  end: timestamp().optional(),
  weekdays: z.array(weekday).min(1).optional(),
  start_time: clockTime().optional(),
  end_time: clockTime().optional(),
  time_zone: z.string().optional(),
});

/** The block's shape; receivers' kind blocks are checked by each kind's own schema. */
export const alertingSchema = z.strictObject({
  route: routeSchema.optional(),
  receivers: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
  inhibit_rules: z.array(inhibitSchema).optional(),
  silences: z.array(silenceSchema).optional(),
  maintenance_windows: z.array(maintenanceSchema).optional(),
});

export type AlertingFile = z.output<typeof alertingSchema>;

export interface ReceiverConfig {
  name: string;
  /** Kind blocks, in the order written: e.g. [{kind: 'slack', settings}]. */
  integrations: { kind: string; settings: unknown }[];
}

export interface InhibitRule {
  name: string | undefined;
  source: readonly CompiledMatcher[];
  target: readonly CompiledMatcher[];
  equal: readonly string[];
}

export interface ConfigSilence {
  matchers: readonly CompiledMatcher[];
  startsAt: number | undefined;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface AlertingConfig {
  route: Route;
  receivers: ReceiverConfig[];
  inhibitRules: InhibitRule[];
  silences: ConfigSilence[];
  maintenanceWindows: MaintenanceWindow[];
}

/** Alertmanager's defaults. */
export const ROUTE_DEFAULTS = { groupWaitMs: 30_000, groupIntervalMs: 5 * 60_000, repeatIntervalMs: 4 * 3_600_000 } as const;

export interface ReceiverKindSchema {
  schema: z.ZodType;
}

/** Resolves the validated block: defaults and inheritance applied, receivers checked. */
export function resolveAlerting(
  file: AlertingFile | undefined,
  kinds: Readonly<Record<string, ReceiverKindSchema>>,
  issues: ConfigIssue[],
  fromZod: (issue: z.core.$ZodIssue, prefix: IssuePath) => ConfigIssue[],
): AlertingConfig {
  const base: IssuePath = ['alerting'];
  const receivers: ReceiverConfig[] = [];
  const names = new Set<string>();
  (file?.receivers ?? []).forEach((raw, i) => {
    const path = [...base, 'receivers', i];
    if (names.has(raw.name)) issues.push({ path: [...path, 'name'], message: `duplicate receiver name "${raw.name}"` });
    names.add(raw.name);
    const integrations: ReceiverConfig['integrations'] = [];
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'name') continue;
      const kind = key.endsWith('_configs') ? key.slice(0, -'_configs'.length) : undefined;
      if (kind === undefined || !(kind in kinds)) {
        const known = Object.keys(kinds).sort().map((k) => `${k}_configs`).join(', ');
        issues.push({ path: [...path, key], key, message: `unknown key "${key}"; a receiver has a name and any of ${known}` });
        continue;
      }
      if (!Array.isArray(value)) {
        issues.push({ path: [...path, key], message: `expected a list, got ${shown(value)}` });
        continue;
      }
      value.forEach((block, j) => {
        const parsed = kinds[kind]!.schema.safeParse(block, { reportInput: true });
        if (parsed.success) integrations.push({ kind, settings: parsed.data });
        else issues.push(...parsed.error.issues.flatMap((iss) => fromZod(iss, [...path, key, j])));
      });
    }
    receivers.push({ name: raw.name, integrations });
  });

  const rawRoute = file?.route ?? (receivers.length > 0 ? { receiver: receivers[0]!.name } : undefined);
  const checkReceiver = (name: string | undefined, path: IssuePath) => {
    if (name !== undefined && !names.has(name)) issues.push({ path, message: `no receiver named "${name}"` });
  };
  const resolveRoute = (raw: RawRoute, parent: Route | undefined, path: IssuePath): Route => {
    checkReceiver(raw.receiver, [...path, 'receiver']);
    if (raw.escalate) checkReceiver(raw.escalate.receiver, [...path, 'escalate', 'receiver']);
    const groupIntervalMs = raw.group_interval ?? parent?.groupIntervalMs ?? ROUTE_DEFAULTS.groupIntervalMs;
    const repeat = raw.repeat_interval ?? parent?.repeatIntervalMs ?? ROUTE_DEFAULTS.repeatIntervalMs;
    const ms = raw.matchers ?? [];
    const children: Route[] = [];
    const route: Route = {
      receiver: raw.receiver ?? parent?.receiver ?? '',
      groupBy: raw.group_by ? (raw.group_by.includes('...') ? 'all' : raw.group_by) : (parent?.groupBy ?? []),
      groupWaitMs: raw.group_wait ?? parent?.groupWaitMs ?? ROUTE_DEFAULTS.groupWaitMs,
      groupIntervalMs,
      // As Alertmanager: a repeat happens at a group flush, so it is rounded up to a multiple of group_interval.
      repeatIntervalMs: Math.ceil(repeat / groupIntervalMs) * groupIntervalMs,
      matchers: ms,
      continue: raw.continue ?? false,
      escalate: raw.escalate ? { afterMs: raw.escalate.after, receiver: raw.escalate.receiver } : undefined,
      routes: children,
      key: childKey(parent?.key, ms),
    };
    (raw.routes ?? []).forEach((r, i) => children.push(resolveRoute(r, route, [...path, 'routes', i])));
    return route;
  };
  if (rawRoute && rawRoute.receiver === undefined) issues.push({ path: [...base, 'route', 'receiver'], message: 'the root route needs a receiver' });
  if (rawRoute?.matchers && rawRoute.matchers.length > 0) issues.push({ path: [...base, 'route', 'matchers'], message: 'the root route matches every alert; it takes no matchers' });
  const route = rawRoute ? resolveRoute(rawRoute, undefined, [...base, 'route']) : resolveRoute({ receiver: undefined }, undefined, [...base, 'route']);

  const maintenanceWindows: MaintenanceWindow[] = [];
  (file?.maintenance_windows ?? []).forEach((w, i) => {
    const path = [...base, 'maintenance_windows', i];
    const ms = w.matchers ?? [];
    const weekly = w.weekdays !== undefined || w.start_time !== undefined || w.end_time !== undefined;
    const once = w.start !== undefined || w.end !== undefined;
    if (weekly === once) {
      issues.push({ path, message: 'a maintenance window is either one-off (start, end) or weekly (weekdays, start_time, end_time, time_zone)' });
      return;
    }
    if (once) {
      if (w.start === undefined || w.end === undefined || w.end <= w.start) {
        issues.push({ path, message: 'a one-off maintenance window needs a start and a later end' });
        return;
      }
      maintenanceWindows.push({ name: w.name, matchers: ms, kind: 'once', startMs: w.start, endMs: w.end });
      return;
    }
    const timeZone = w.time_zone ?? 'UTC';
    if (!isValidTimeZone(timeZone)) {
      issues.push({ path: [...path, 'time_zone'], message: `unknown time zone ${JSON.stringify(timeZone)}; expected an IANA name like "Europe/Berlin"` });
      return;
    }
    if (w.weekdays === undefined || w.start_time === undefined || w.end_time === undefined) {
      issues.push({ path, message: 'a weekly maintenance window needs weekdays, start_time and end_time' });
      return;
    }
    maintenanceWindows.push({
      name: w.name, matchers: ms, kind: 'weekly', days: new Set<Weekday>(w.weekdays), startMinute: w.start_time, endMinute: w.end_time % (24 * 60), timeZone,
    });
  });

  return {
    route,
    receivers,
    inhibitRules: (file?.inhibit_rules ?? []).map((r) => ({ name: r.name, source: r.source_matchers, target: r.target_matchers, equal: r.equal ?? [] })),
    silences: (file?.silences ?? []).map((s) => ({ matchers: s.matchers, startsAt: s.starts_at, endsAt: s.ends_at, createdBy: s.created_by ?? 'config', comment: s.comment ?? '' })),
    maintenanceWindows,
  };
}
