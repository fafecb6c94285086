// Reusable field schemas with the error texts users see: `expected X, got Y`.
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

/** Shows a config value the way the user wrote it, for error messages. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

/** A duration string ("5s", "1m30s") → milliseconds. */
export const duration = () =>
  z
    .unknown()
    .transform((value, ctx): number => {
      const ms = typeof value === 'string' ? parseDuration(value) : undefined;
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like "5s", got ${shown(value)}` });
        return z.NEVER;
      }
      return ms;
    });

/** A byte size: a number, or a string like "10MiB", "512KB", "1GB" → bytes. */
export const byteSize = () =>
  z.unknown().transform((value, ctx): number => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a size like "10MiB" or a number of bytes, got ${shown(value)}` });
      return z.NEVER;
    }
    return bytes;
  });

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(value.trim());
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase() || 'b'];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** A ratio in (0, 1]: a number like 0.999, or a percentage like "99.9%". */
export const ratio = () =>
  z.unknown().transform((value, ctx): number => {
    const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*%$/.exec(value.trim()) : null;
    const r = m ? Number(m[1]) / 100 : typeof value === 'number' ? value : NaN;
    if (!(r > 0 && r <= 1)) {
      ctx.addIssue({ code: 'custom', message: `expected a ratio like 0.999 or a percentage like "99.9%" (above 0, at most 100%), got ${shown(value)}` });
      return z.NEVER;
    }
    return r;
  });

/** A regular expression given as a string, compiled at load. */
export const regex = () =>
  z.unknown().transform((value, ctx): RegExp => {
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected a regular expression, got ${shown(value)}` });
      return z.NEVER;
    }
    try {
      return new RegExp(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression ${shown(value)}: ${(err as Error).message}` });
      return z.NEVER;
    }
  });

/** A label set: names as Prometheus allows them, string values. */
export const labelSet = () =>
  z.record(
    z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'label names must match [a-zA-Z_][a-zA-Z0-9_]*' }),
    z.string({ error: (iss) => `expected a string label value, got ${shown(iss.input)}` }),
  );

/** A secret string (a password): a number is taken as its digits; a message never shows the value. */
export const secretString = () =>
  z.unknown().transform((value, ctx): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    ctx.addIssue({ code: 'custom', message: `expected a string, got ${Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`}` });
    return z.NEVER;
  });
