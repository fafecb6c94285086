// The latest state of every check, plus the per-check counters and latency histogram that
// /metrics exposes. The one place results land before metrics, history and rules read them.
import type { CheckSpec } from '../config/config.js';
import type { CheckResult } from '../core/check-result.js';
import { initialCheckState, nextCheckState, type CheckState } from './check-state.js';

/** Bucket bounds (seconds) of healthmon_check_duration_seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

export interface CheckEntry {
  spec: CheckSpec;
  /** Bumped on every recorded result, so caches of what was derived from the entry can tell. */
  version: number;
  state: CheckState;
  successes: number;
  failures: number;
  /** Non-cumulative counts per bucket of DURATION_BUCKETS, plus one for +Inf. */
  durationBuckets: number[];
  durationSumSeconds: number;
}

export interface StateChange {
  entry: CheckEntry;
  previous: CheckState;
}

export interface StateStore {
  /** Makes the store hold exactly these checks; unchanged ones (same fingerprint) keep their state. */
  setChecks(specs: readonly CheckSpec[]): void;
  record(result: CheckResult): StateChange | undefined;
  get(name: string): CheckEntry | undefined;
  entries(): IterableIterator<CheckEntry>;
  size(): number;
}

export function createStateStore(): StateStore {
  const checks = new Map<string, CheckEntry>();
  return {
    setChecks(specs) {
      const keep = new Set(specs.map((s) => s.name));
      for (const name of checks.keys()) if (!keep.has(name)) checks.delete(name);
      for (const spec of specs) {
        const old = checks.get(spec.name);
        if (old && old.spec.fingerprint === spec.fingerprint) continue;
        checks.set(spec.name, freshEntry(spec));
      }
    },
    record(result) {
      const entry = checks.get(result.check);
      if (!entry) return undefined; // removed by a reload while it ran
      const previous = entry.state;
      entry.version++;
      entry.state = nextCheckState(previous, result, entry.spec);
      if (result.ok) entry.successes++;
      else entry.failures++;
      const seconds = result.durationMs / 1000;
      let bucket = DURATION_BUCKETS.findIndex((b) => seconds <= b);
      if (bucket === -1) bucket = DURATION_BUCKETS.length;
      entry.durationBuckets[bucket]!++;
      entry.durationSumSeconds += seconds;
      return { entry, previous };
    },
    get: (name) => checks.get(name),
    entries: () => checks.values(),
    size: () => checks.size,
  };
}

function freshEntry(spec: CheckSpec): CheckEntry {
  return {
    spec,
    version: 0,
    state: initialCheckState,
    successes: 0,
    failures: 0,
    durationBuckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
    durationSumSeconds: 0,
  };
}
