// aggregate() and series() for every store: the span's steps are planned into raw, hourly and
// daily pieces (./span-plan.ts), and the store merges each row it reads into the step holding it.
import type { Aggregate, HistoryStore, Resolution, Span } from './history.js';
import { emptyAggregate } from './latency-buckets.js';
import { RESOLUTIONS } from './periods.js';
import { planSpans } from './span-plan.js';

/** Where a row of `check` at `at` (a result's time or a rollup's start) is to be merged. */
export type MergeTarget = (check: string, at: number) => Aggregate;

/** What a store reads for aggregate() and series(); `checks` undefined means every check. */
export interface HistorySource {
  /** Adds each raw result in the span to its target. */
  scanRaw(span: Span, checks: readonly string[] | undefined, into: MergeTarget): void;
  /** Merges each rollup starting in the span into its target. */
  scanRollups(resolution: Resolution, span: Span, checks: readonly string[] | undefined, into: MergeTarget): void;
}

/** A bound on steps per check: each is an Aggregate with a full bucket array. */
const MAX_SERIES_STEPS = 10_000;

export function createHistoryQueries(source: HistorySource): Pick<HistoryStore, 'aggregate' | 'series'> {
  const series = (span: Span, stepMs: number, checks?: readonly string[]): Map<string, Aggregate[]> => {
    if (!(stepMs > 0)) throw new RangeError(`series step must be positive, got ${stepMs}`);
    const steps = Math.max(0, Math.ceil((span.until - span.since) / stepMs));
    if (steps > MAX_SERIES_STEPS) throw new RangeError(`series of ${steps} steps; at most ${MAX_SERIES_STEPS}`);
    const out = new Map<string, Aggregate[]>();
    const row = (check: string) => {
      let r = out.get(check);
      if (!r) out.set(check, (r = Array.from({ length: steps }, emptyAggregate)));
      return r;
    };
    for (const c of checks ?? []) row(c);
    const into: MergeTarget = (check, at) => row(check)[Math.floor((at - span.since) / stepMs)]!;
    const plan = planSpans(stepSpans(span, stepMs, steps));
    for (const piece of plan.raw) source.scanRaw(piece, checks, into);
    for (const r of RESOLUTIONS) for (const piece of plan[r]) source.scanRollups(r, piece, checks, into);
    return checks ? out : new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  };
  return {
    series,
    aggregate(span, checks) {
      const out = new Map<string, Aggregate>();
      for (const [check, [whole]] of series(span, Math.max(1, span.until - span.since), checks)) out.set(check, whole ?? emptyAggregate());
      return out;
    },
  };
}

function* stepSpans(span: Span, stepMs: number, steps: number): Generator<Span> {
  for (let i = 0; i < steps; i++) yield { since: span.since + i * stepMs, until: Math.min(span.since + (i + 1) * stepMs, span.until) };
}
