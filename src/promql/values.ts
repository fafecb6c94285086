// Internal value representations the evaluator passes between nodes, kept as parallel arrays to avoid
// allocating one object per sample per step. `drop` marks series whose __name__ is removed at the end (Prometheus 3).

import type { LabelSet } from './labels.js';

export class Vector {
  readonly kind = 'vector';
  ls: LabelSet[] = [];
  vs: number[] = [];
  drop: boolean[] = [];
  /** Sample timestamps, set only by instant selectors (read by timestamp()). */
  ts: number[] | null = null;

  get length(): number {
    return this.ls.length;
  }

  push(ls: LabelSet, v: number, drop: boolean): void {
    this.ls.push(ls);
    this.vs.push(v);
    this.drop.push(drop);
  }
}

export interface Scalar {
  kind: 'scalar';
  v: number;
}

export interface Str {
  kind: 'string';
  s: string;
}

/**
 * One series' samples inside a range window: indices [lo, hi) of ts/vs (often the window's own arrays).
 * Always Float64Array so the per-sample loops in range functions stay monomorphic.
 */
export interface RangeSeries {
  ls: LabelSet;
  drop: boolean;
  ts: Float64Array;
  vs: Float64Array;
  lo: number;
  hi: number;
}

export interface RangeVector {
  kind: 'matrix';
  series: RangeSeries[];
  /** The window is (start, end]; range = end - start. */
  start: number;
  end: number;
  range: number;
}

export type Value = Vector | Scalar | Str | RangeVector;

export function scalar(v: number): Scalar {
  return { kind: 'scalar', v };
}
