import { describe, expect, it } from 'vitest';
import { planSpans } from './span-plan.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2024, 0, 1);
const span = (since: number, until: number) => ({ since: T0 + since, until: T0 + until });

describe('span plan', () => {
  it('reads whole days from daily rollups, whole hours from hourly ones, the edges raw', () => {
    expect(planSpans([span(-90 * 60_000, 2 * D + 5 * H + 7)])).toEqual({
      raw: [span(-90 * 60_000, -H), span(2 * D + 5 * H, 2 * D + 5 * H + 7)],
      hour: [span(-H, 0), span(2 * D, 2 * D + 5 * H)],
      day: [span(0, 2 * D)],
    });
  });

  it('reads a span inside one hour raw, and one of whole hours from hourly rollups', () => {
    expect(planSpans([span(H + 1, 2 * H - 1)])).toEqual({ raw: [span(H + 1, 2 * H - 1)], hour: [], day: [] });
    expect(planSpans([span(H, 3 * H)])).toEqual({ raw: [], hour: [span(H, 3 * H)], day: [] });
    expect(planSpans([span(5, 5)])).toEqual({ raw: [], hour: [], day: [] });
  });

  it('plans each step apart and joins adjacent pieces', () => {
    expect(planSpans([span(0, D), span(D, 2 * D), span(2 * D, 2 * D + 30 * 60_000), span(2 * D + 30 * 60_000, 2 * D + H)])).toEqual({
      raw: [span(2 * D, 2 * D + H)],
      hour: [],
      day: [span(0, 2 * D)],
    });
    // Steps of 90 minutes from midnight: every other step boundary falls inside an hour.
    expect(planSpans([span(0, 90 * 60_000), span(90 * 60_000, 3 * H)])).toEqual({
      raw: [span(H, 2 * H)],
      hour: [span(0, H), span(2 * H, 3 * H)],
      day: [],
    });
  });
});
