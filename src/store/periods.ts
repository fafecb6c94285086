// The UTC hours and days that rollups cover. Epoch ms has no leap seconds, so a UTC day is
// always 86,400,000 ms and both periods are plain multiples since the epoch.
import type { Resolution } from './history.js';

export const RESOLUTIONS = ['hour', 'day'] as const satisfies readonly Resolution[];

export const RESOLUTION_MS = { hour: 3_600_000, day: 86_400_000 } as const satisfies Record<Resolution, number>;

/** Start of the hour or day that holds `at`. */
export function periodStart(resolution: Resolution, at: number): number {
  const len = RESOLUTION_MS[resolution];
  return Math.floor(at / len) * len;
}

/** Rollups starting at or before this lie wholly before `cutoff`, so retention drops them. */
export function lastExpiredStart(resolution: Resolution, cutoff: number): number {
  return cutoff - RESOLUTION_MS[resolution];
}
