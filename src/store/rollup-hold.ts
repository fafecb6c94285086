// The current hour's rollup changes, held on the main thread between writes. A batch's results
// are of checks far apart in the rollups' key order, so updating the rollups with every batch
// rewrote the same few dozen pages each second; held, they are written every `everyMs`, when the
// hour ends and on flush, and reads add them meanwhile (mergeInto), so no read is stale. While
// any are held, the writes name their hour in history_rollup_lag: a crash loses the changes but
// not the raw results, and the next open rebuilds that hour from them (./rollup-repair.ts).
import type { HistoryResult } from './history.js';
import { periodStart } from './periods.js';
import { createRollupDeltas, type RollupDelta, type RollupDeltas } from './rollup-deltas.js';

/** The rollup side of one write. */
export interface RollupWritePlan {
  /** The writer leaves results of this hour out of the rollups: their changes are held here. */
  holdHour: number | null;
  /** Held changes written with the batch. */
  rollups: RollupDelta[];
  /** The hour to record in history_rollup_lag with the batch; null clears it. */
  lag: number | null;
}

export interface RollupHold {
  /**
   * Plans the rollup side of the next write; one at a time, each settled with whether it was
   * written. `applyAll` writes everything held (a flush, a close, the timer).
   */
  plan(results: readonly HistoryResult[], now: number, applyAll: boolean): RollupWritePlan & { settle(written: boolean): void };
  /** When the held changes are due, epoch ms; undefined when none are held. */
  dueAt(): number | undefined;
  mergeInto: RollupDeltas['mergeInto'];
}

export function createRollupHold(options: { enabled: boolean; everyMs: number }): RollupHold {
  let held = createRollupDeltas();
  let heldHour: number | undefined;
  let heldSince = 0;
  let planned = false;

  return {
    plan(results, now, applyAll) {
      if (planned) throw new Error('a rollup write plan is still unsettled');
      planned = true;
      const hour = periodStart('hour', now);
      const due = held.size > 0 && (heldHour !== hour || now - heldSince >= options.everyMs);
      if (!options.enabled || applyAll || due) {
        // Everything goes with this batch: what was held, and the batch's own results, which the
        // writer rolls up. Out of the reads meanwhile: for the write's few ms they miss the
        // changes rather than count them twice.
        const sent = { held, heldHour, heldSince };
        held = createRollupDeltas();
        heldHour = undefined;
        return {
          holdHour: null,
          rollups: [...sent.held.values()],
          lag: null,
          settle(written) {
            planned = false;
            if (!written) ({ held, heldHour, heldSince } = sent);
          },
        };
      }
      const fresh = createRollupDeltas();
      for (const r of results) if (periodStart('hour', r.at) === hour) fresh.add(r.check, r.at, r.durationMs, r.ok);
      return {
        holdHour: hour,
        rollups: [],
        lag: fresh.size > 0 || held.size > 0 ? hour : null,
        settle(written) {
          planned = false;
          // Read only once their raw results are written.
          if (!written || fresh.size === 0) return;
          if (held.size === 0) {
            held = fresh;
            heldHour = hour;
            heldSince = now;
          } else held.addAll(fresh);
        },
      };
    },
    dueAt: () => (held.size > 0 ? heldSince + options.everyMs : undefined),
    mergeInto: (resolution, span, checks, into) => held.mergeInto(resolution, span, checks, into),
  };
}
