// Splitting checks between replicas: a check belongs to shard FNV-1a-32(name) mod count, so every
// replica given the same config and a different index probes a disjoint share, all of them
// together probe every check once, and a check stays on its replica as others are added or removed.
import type { CheckSpec } from './config.js';

export interface Shard {
  index: number;
  count: number;
}

const encoder = new TextEncoder();

/** The shard a check name belongs to, out of `count`. */
export function shardOf(name: string, count: number): number {
  let h = 0x811c9dc5;
  for (const b of encoder.encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h % count;
}

/** The checks this replica runs: all of them without a shard. */
export function ownedChecks(checks: readonly CheckSpec[], shard: Shard | undefined): CheckSpec[] {
  return shard === undefined || shard.count === 1 ? [...checks] : checks.filter((c) => shardOf(c.name, shard.count) === shard.index);
}
