import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it.each([
    ['0', 0],
    ['250ms', 250],
    ['5s', 5_000],
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it.each(['', '5', '1.5s', '1m1h', '1s1s', '5 s', '-5s', 's'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats largest units first, negatives with a sign', () => {
    expect(formatDuration(5_400_250)).toBe('1h30m250ms');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-300_000)).toBe('-5m');
  });
});
