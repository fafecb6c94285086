// Internal value representations the evaluator passes between nodes, kept as parallel arrays to avoid
// allocating one object per sample per step. `drop` marks series whose __name__ is removed at the end (Prometheus 3).

import type { LabelSet } from './labels.js';
import type { NativeHistogram } from './native-histogram.js';

export class Vector {
  readonly kind = 'vector';
  ls: LabelSet[] = [];
  vs: number[] = [];
  drop: boolean[] = [];
  /** Sample timestamps, set only by instant selectors (read by timestamp()). */
  ts: number[] | null = null;
  /**
   * Native histogram samples by index (their `vs` entry is 0); null while the vector holds floats only, which
   * lets float code paths test once per vector instead of once per sample. May be shorter than the vector.
   */
  hs: (NativeHistogram | undefined)[] | null = null;

  get length(): number {
    return this.ls.length;
  }

  push(ls: LabelSet, v: number, drop: boolean): void {
    this.ls.push(ls);
    this.vs.push(v);
    this.drop.push(drop);
  }

  pushHistogram(ls: LabelSet, h: NativeHistogram, drop: boolean): void {
    (this.hs ??= [])[this.ls.length] = h;
    this.push(ls, 0, drop);
  }

  /** Pushes sample i of `from` (float or histogram) with the given labels and name-drop flag. */
  pushFrom(from: Vector, i: number, ls: LabelSet, drop: boolean): void {
    const h = from.hs?.[i];
    if (h !== undefined) this.pushHistogram(ls, h, drop);
    else this.push(ls, from.vs[i] as number, drop);
  }

  histogramAt(i: number): NativeHistogram | undefined {
    return this.hs?.[i];
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
  /** Native histogram samples in the window, [hlo, hhi) of hts/hhs; null for float-only series. */
  h: HistogramRange | null;
}

export interface HistogramRange {
  ts: readonly number[];
  hs: readonly NativeHistogram[];
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
