import { describe, expect, it } from 'vitest';
import { healthScore, overallScore, type HealthScoreInput } from './health-score.js';

const base: HealthScoreInput = { availability: 1, latencyMs: 100, referenceMs: 200, consecutiveFailures: 0, failureThreshold: 3, down: false };

describe('healthScore', () => {
  it.each([
    // [what, input, score, components a/l/f]
    ['perfect', {}, 100, [1, 1, 1]],
    ['no evidence at all (never run)', { availability: undefined, latencyMs: undefined, referenceMs: undefined }, 100, [1, 1, 1]],
    // a = (0.99 − 0.9)/0.1 = 0.9 → 45; r = 1.5 → l = 0.75 → 18.75; f = 1 − 1/3 → 16.67; 80.42 → 80.4
    ['99 % up, 1.5× slower, one failure of three', { availability: 0.99, latencyMs: 300, consecutiveFailures: 1 }, 80.4, [0.9, 0.75, 2 / 3]],
    // a = 0.5 → 25; no latency → 25; down → 0
    ['95 % up and down now', { availability: 0.95, latencyMs: undefined, consecutiveFailures: 5, down: true }, 50, [0.5, 1, 0]],
    // at 90 % uptime, three times the reference, threshold reached: nothing left
    ['at every floor', { availability: 0.9, latencyMs: 600, consecutiveFailures: 3 }, 0, [0, 0, 0]],
    ['below the floors', { availability: 0.2, latencyMs: 6000, consecutiveFailures: 9 }, 0, [0, 0, 0]],
    // r = 2 → l = 0.5 → 12.5; 50 + 12.5 + 25
    ['twice the reference', { latencyMs: 400 }, 87.5, [1, 0.5, 1]],
    ['exactly the reference', { latencyMs: 200 }, 100, [1, 1, 1]],
    ['no reference yet', { referenceMs: undefined, latencyMs: 5000 }, 100, [1, 1, 1]],
    // a = 0.999 − 0.9 = 0.099/0.1 = 0.99 → 49.5
    ['99.9 % up', { availability: 0.999 }, 99.5, [0.99, 1, 1]],
  ] as const)('%s', (_what, over, score, [a, l, f]) => {
    const s = healthScore({ ...base, ...over });
    expect(s.score).toBe(score);
    expect(s.availability).toBeCloseTo(a, 12);
    expect(s.latency).toBeCloseTo(l, 12);
    expect(s.failures).toBeCloseTo(f, 12);
  });
});

describe('overallScore', () => {
  it('weighs critical checks three times', () => {
    // (3·40 + 100 + 100) / 5 = 64
    expect(overallScore([{ score: 40, critical: true }, { score: 100, critical: false }, { score: 100, critical: false }])).toBe(64);
    // (40 + 100 + 100) / 3 = 80
    expect(overallScore([{ score: 40, critical: false }, { score: 100, critical: false }, { score: 100, critical: false }])).toBe(80);
  });

  it('is 100 with no checks and rounds to one decimal', () => {
    expect(overallScore([])).toBe(100);
    // (3·90 + 80.5) / 4 = 87.625 → 87.6
    expect(overallScore([{ score: 90, critical: true }, { score: 80.5, critical: false }])).toBe(87.6);
  });
});
