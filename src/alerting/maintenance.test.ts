import { describe, expect, it } from 'vitest';
import { localTime, windowActive, type MaintenanceWindow } from './maintenance.js';

type Weekly = Extract<MaintenanceWindow, { kind: 'weekly' }>;
const weekly = (days: Weekly['days'], start: number, end: number, timeZone: string): MaintenanceWindow =>
  ({ name: 'w', matchers: [], kind: 'weekly', days, startMinute: start, endMinute: end, timeZone });

describe('maintenance windows', () => {
  it('reads local weekday and time in a time zone, across daylight saving', () => {
    // 2026-03-28 is a Saturday; Berlin is UTC+1 then and UTC+2 from 2026-03-29 03:00.
    expect(localTime(Date.parse('2026-03-28T01:30:00Z'), 'Europe/Berlin')).toEqual({ day: 'saturday', minute: 150 });
    expect(localTime(Date.parse('2026-03-30T00:30:00Z'), 'Europe/Berlin')).toEqual({ day: 'monday', minute: 150 });
  });

  it('is active in a weekly window at local time, including past midnight', () => {
    const sat = weekly(new Set(['saturday']), 2 * 60, 4 * 60, 'Europe/Berlin');
    expect(windowActive(sat, Date.parse('2026-03-28T01:30:00Z'))).toBe(true); // 02:30 local
    expect(windowActive(sat, Date.parse('2026-03-28T03:30:00Z'))).toBe(false); // 04:30 local
    expect(windowActive(sat, Date.parse('2026-03-29T01:30:00Z'))).toBe(false); // Sunday
    const night = weekly(new Set(['friday']), 23 * 60, 60, 'UTC');
    expect(windowActive(night, Date.parse('2026-03-27T23:30:00Z'))).toBe(true); // Friday 23:30
    expect(windowActive(night, Date.parse('2026-03-28T00:30:00Z'))).toBe(true); // Saturday 00:30
    expect(windowActive(night, Date.parse('2026-03-28T23:30:00Z'))).toBe(false); // Saturday 23:30
  });

  it('is active in a one-off window from start, up to but not at its end', () => {
    const w: MaintenanceWindow = { name: 'o', matchers: [], kind: 'once', startMs: 1000, endMs: 2000 };
    expect([999, 1000, 1999, 2000].map((t) => windowActive(w, t))).toEqual([false, true, true, false]);
  });
});
