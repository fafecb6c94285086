import { describe, expect, it } from 'vitest';
import { spec } from '../../test/helpers/specs.js';
import { ownedChecks, shardOf } from './shard.js';

describe('shards', () => {
  const checks = Array.from({ length: 300 }, (_, i) => spec(`check-${i}`));

  it('gives every check to exactly one of n replicas, in roughly even shares', () => {
    for (const count of [2, 3, 5]) {
      const shares = Array.from({ length: count }, (_, index) => ownedChecks(checks, { index, count }).map((c) => c.name));
      const all = shares.flat();
      expect(new Set(all).size).toBe(checks.length);
      expect(all).toHaveLength(checks.length);
      for (const share of shares) expect(share.length).toBeGreaterThan(checks.length / count / 2);
    }
  });

  it('is stable: the same name lands on the same shard in every process (FNV-1a 32)', () => {
    // FNV-1a 32 of "" is the offset basis; of "a" is 0xe40c292c.
    expect(shardOf('', 2 ** 32 - 1)).toBe(0x811c9dc5 % (2 ** 32 - 1));
    expect(shardOf('a', 2 ** 32 - 1)).toBe(0xe40c292c);
    expect(shardOf('api', 7)).toBe(shardOf('api', 7));
  });

  it('runs everything without a shard or with one shard', () => {
    expect(ownedChecks(checks, undefined)).toHaveLength(300);
    expect(ownedChecks(checks, { index: 0, count: 1 })).toHaveLength(300);
  });
});
