// Maintenance windows: one-off (from … to, absolute) or weekly (days and a local time span in a
// time zone, so a window at 02:00 Europe/Berlin stays at 02:00 across daylight saving changes).
// Alerts matching an active window are muted, like Alertmanager's mute_time_intervals.
import type { CompiledMatcher } from './matchers.js';

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type MaintenanceWindow =
  | { name: string; matchers: readonly CompiledMatcher[]; kind: 'once'; startMs: number; endMs: number }
  | {
      name: string;
      matchers: readonly CompiledMatcher[];
      kind: 'weekly';
      days: ReadonlySet<Weekday>;
      /** Minutes after local midnight; an end at or before the start runs past midnight. */
      startMinute: number;
      endMinute: number;
      timeZone: string;
    };

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Weekday and minute of the day at `tMs` in `timeZone`. */
export function localTime(tMs: number, timeZone: string): { day: Weekday; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(tMs).map((p) => [p.type, p.value]));
  return { day: parts.weekday!.toLowerCase() as Weekday, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function windowActive(w: MaintenanceWindow, tMs: number): boolean {
  if (w.kind === 'once') return tMs >= w.startMs && tMs < w.endMs;
  const { day, minute } = localTime(tMs, w.timeZone);
  if (w.startMinute < w.endMinute) return w.days.has(day) && minute >= w.startMinute && minute < w.endMinute;
  // Past midnight: the evening part belongs to a listed day, the morning part to the day after one.
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
  return (w.days.has(day) && minute >= w.startMinute) || (w.days.has(yesterday) && minute < w.endMinute);
}
