// The PromQL evaluator: instant and range queries over a SeriesWindow with Prometheus 3 semantics
// (5m lookback, left-open windows, staleness, offset/@, step-aligned subqueries, delayed __name__ removal).

import type { AtModifier, Expr, MatrixSelector, Subquery, VectorSelector } from './ast.js';
import { Annotations } from './annotations.js';
import { evalAggregate } from './aggregations.js';
import { evalBinary, evalUnary } from './binary.js';
import { PromQLEvalError } from './errors.js';
import { evalCall } from './functions.js';
import { LabelSet, compareLabelSets, type Labels } from './labels.js';
import { compileMatcher } from './matchers.js';
import { withHint, type NativeHistogram } from './native-histogram.js';
import { parseExpr } from './parser.js';
import { upperBound, upperBoundOf, type SeriesWindow, type StoredSeries } from './series-window.js';
import { exprType } from './type-check.js';
import { Vector, scalar, type HistogramRange, type RangeSeries, type RangeVector, type Value } from './values.js';

export interface EngineOptions {
  window: SeriesWindow;
  /** How far back an instant selector looks for a sample; Prometheus's default is 5 minutes. */
  lookbackMs?: number;
  /** Step of subqueries written without one (`x[1h:]`); Prometheus uses the global evaluation interval. */
  subqueryStepMs?: number;
}

export interface Sample {
  labels: Labels;
  /** The float value; 0 when the sample is a native histogram. */
  value: number;
  histogram?: NativeHistogram;
}

export interface Point {
  t: number;
  v: number;
}

export interface HistogramPoint {
  t: number;
  h: NativeHistogram;
}

export interface Series {
  labels: Labels;
  /** Float samples. */
  points: Point[];
  /** Native histogram samples, present only when the series has any. */
  histograms?: HistogramPoint[];
}

export interface QueryAnnotations {
  warnings: string[];
  infos: string[];
}

export type QueryResult =
  | { type: 'vector'; samples: Sample[]; annotations: QueryAnnotations }
  | { type: 'scalar'; value: number; annotations: QueryAnnotations }
  | { type: 'matrix'; series: Series[]; annotations: QueryAnnotations }
  | { type: 'string'; value: string; annotations: QueryAnnotations };

export interface Engine {
  instant(expr: Expr | string, tMs: number): QueryResult;
  range(expr: Expr | string, startMs: number, endMs: number, stepMs: number): QueryResult;
}

export function createEngine(options: EngineOptions): Engine {
  const lookbackMs = options.lookbackMs ?? 5 * 60_000;
  const subqueryStepMs = options.subqueryStepMs ?? 60_000;
  const prepare = (expr: Expr | string): { e: Expr; source: string } =>
    typeof expr === 'string' ? { e: parseExpr(expr), source: expr } : { e: expr, source: '' };
  return {
    instant(expr, tMs) {
      const { e, source } = prepare(expr);
      const ev = new Evaluator(options.window, lookbackMs, subqueryStepMs, tMs, tMs, 0, source);
      return ev.finishInstant(ev.eval(e, tMs));
    },
    range(expr, startMs, endMs, stepMs) {
      const { e, source } = prepare(expr);
      const t = exprType(e);
      if (t !== 'scalar' && t !== 'vector') {
        throw new PromQLEvalError(`invalid expression type "${t === 'matrix' ? 'range vector' : t}" for range query, must be Scalar or instant Vector`);
      }
      if (stepMs <= 0) throw new PromQLEvalError('zero or negative query resolution step widths are not accepted');
      if (endMs < startMs) throw new PromQLEvalError('end timestamp must not be before start time');
      const ev = new Evaluator(options.window, lookbackMs, subqueryStepMs, startMs, endMs, stepMs, source);
      return ev.runRange(e, startMs, endMs, stepMs);
    },
  };
}

/** State of one query: caches that are valid only while the window is not appended to. */
export class Evaluator {
  readonly annotations: Annotations;
  private readonly selected = new Map<VectorSelector, StoredSeries[]>();
  private readonly subqueryCache = new Map<Subquery, Map<number, Vector>>();

  constructor(
    private readonly window: SeriesWindow,
    readonly lookbackMs: number,
    private readonly subqueryStepMs: number,
    readonly startMs: number,
    readonly endMs: number,
    /** Step of the range query; 0 for an instant query. */
    readonly stepMs: number,
    readonly source: string,
  ) {
    this.annotations = new Annotations(source);
  }

  get isRangeQuery(): boolean {
    return this.stepMs > 0;
  }

  eval(e: Expr, t: number): Value {
    switch (e.kind) {
      case 'NumberLiteral':
        return scalar(e.value);
      case 'StringLiteral':
        return { kind: 'string', s: e.value };
      case 'Paren':
        return this.eval(e.expr, t);
      case 'VectorSelector':
        return this.instantSelect(e, t);
      case 'MatrixSelector':
        return this.rangeSelect(e, t);
      case 'Subquery':
        return this.subquery(e, t);
      case 'Call':
        return evalCall(this, e, t);
      case 'Aggregate':
        return evalAggregate(this, e, t);
      case 'Binary':
        return evalBinary(this, e, t);
      case 'Unary':
        return evalUnary(e, this.eval(e.expr, t));
    }
  }

  /** Evaluates an expression that type-checked as an instant vector. */
  evalVector(e: Expr, t: number): Vector {
    const v = this.eval(e, t);
    if (v.kind !== 'vector') throw new PromQLEvalError(`expected instant vector, got ${v.kind}`);
    return v;
  }

  evalScalar(e: Expr, t: number): number {
    const v = this.eval(e, t);
    if (v.kind !== 'scalar') throw new PromQLEvalError(`expected scalar, got ${v.kind}`);
    return v.v;
  }

  evalRangeArg(e: Expr, t: number): RangeVector {
    const v = this.eval(e, t);
    if (v.kind !== 'matrix') throw new PromQLEvalError(`expected range vector, got ${v.kind}`);
    return v;
  }

  refTime(at: AtModifier | null, offset: number, t: number): number {
    let base = t;
    if (at !== null) base = at.kind === 'time' ? at.ms : at.kind === 'start' ? this.startMs : this.endMs;
    return base - offset;
  }

  private series(sel: VectorSelector): StoredSeries[] {
    let s = this.selected.get(sel);
    if (!s) {
      s = this.window.select(sel.matchers.map(compileMatcher));
      this.selected.set(sel, s);
    }
    return s;
  }

  instantSelect(sel: VectorSelector, t: number): Vector {
    const ref = this.refTime(sel.at, sel.offset, t);
    const minT = ref - this.lookbackMs;
    const out = new Vector();
    const ts: number[] = [];
    for (const s of this.series(sel)) {
      const end = s.head + s.len;
      // Newest sample in (ref - lookback, ref].
      const i = upperBound(s.ts, s.head, end, ref) - 1;
      let st = i < s.head ? -Infinity : (s.ts[i] as number);
      let h: NativeHistogram | undefined;
      if (s.histograms !== null) {
        const hts = s.histograms.ts;
        const j = upperBoundOf(hts, 0, hts.length, ref) - 1;
        if (j >= 0 && (hts[j] as number) > st) {
          st = hts[j] as number;
          h = s.histograms.hs[j];
        }
      }
      if (st <= minT) continue;
      if (s.stale.length > 0 && isStaleAfter(s.stale, st, ref)) continue;
      if (h !== undefined) out.pushHistogram(s.labels, h, false);
      else out.push(s.labels, s.vs[i] as number, false);
      ts.push(st);
    }
    out.ts = ts;
    return out;
  }

  rangeSelect(m: MatrixSelector, t: number): RangeVector {
    const end = this.refTime(m.vector.at, m.vector.offset, t);
    const start = end - m.range;
    const series: RangeSeries[] = [];
    for (const s of this.series(m.vector)) {
      const stop = s.head + s.len;
      const lo = upperBound(s.ts, s.head, stop, start);
      const hi = upperBound(s.ts, lo, stop, end);
      let h: HistogramRange | null = null;
      if (s.histograms !== null) {
        const hts = s.histograms.ts;
        const hlo = upperBoundOf(hts, 0, hts.length, start);
        const hhi = upperBoundOf(hts, hlo, hts.length, end);
        if (hhi > hlo) h = { ts: hts, hs: s.histograms.hs, lo: hlo, hi: hhi };
      }
      if (hi > lo || h !== null) series.push({ ls: s.labels, drop: false, ts: s.ts, vs: s.vs, lo, hi, h });
    }
    return { kind: 'matrix', series, start, end, range: m.range };
  }

  subquery(sq: Subquery, t: number): RangeVector {
    const end = this.refTime(sq.at, sq.offset, t);
    const start = end - sq.range;
    const step = sq.step ?? this.subqueryStepMs;
    // Inner steps sit on absolute multiples of the step, strictly after the window start.
    let first = Math.floor(start / step) * step;
    if (first <= start) first += step;
    let cache = this.subqueryCache.get(sq);
    if (!cache) {
      cache = new Map();
      this.subqueryCache.set(sq, cache);
    }
    const acc = new Map<string, SubquerySeries>();
    for (let ti = first; ti <= end; ti += step) {
      let v = cache.get(ti);
      if (!v) {
        v = this.evalVector(sq.expr, ti);
        if (cache.size < 100_000) cache.set(ti, v);
      }
      for (let i = 0; i < v.length; i++) {
        const ls = v.ls[i] as LabelSet;
        const drop = v.drop[i] as boolean;
        const key = drop ? `d${ls.key}` : ls.key;
        let s = acc.get(key);
        if (!s) {
          s = { ls, drop, ts: [], vs: [], hts: null, hs: null, lastSampleT: NaN };
          acc.set(key, s);
        }
        let h = v.hs === null ? undefined : v.hs[i];
        if (h !== undefined) {
          // A raw sample seen again through the lookback is the same observation, not a second counter reset.
          if (h.hint === 'reset' && v.ts !== null && s.lastSampleT === v.ts[i]) h = withHint(h, 'not_reset');
          if (v.ts !== null) s.lastSampleT = v.ts[i] as number;
          (s.hts ??= []).push(ti);
          (s.hs ??= []).push(h);
          continue;
        }
        s.ts.push(ti);
        s.vs.push(v.vs[i] as number);
      }
    }
    const series: RangeSeries[] = [];
    for (const s of acc.values()) {
      const h = s.hts === null || s.hs === null ? null : { ts: s.hts, hs: s.hs, lo: 0, hi: s.hts.length };
      series.push({ ls: s.ls, drop: s.drop, ts: Float64Array.from(s.ts), vs: Float64Array.from(s.vs), lo: 0, hi: s.ts.length, h });
    }
    return { kind: 'matrix', series, start, end, range: sq.range };
  }

  finishInstant(v: Value): QueryResult {
    const annotations = this.collectAnnotations();
    switch (v.kind) {
      case 'scalar':
        return { type: 'scalar', value: v.v, annotations };
      case 'string':
        return { type: 'string', value: v.s, annotations };
      case 'vector': {
        const samples: Sample[] = [];
        const seen = new Set<string>();
        for (let i = 0; i < v.length; i++) {
          const ls = v.drop[i] ? (v.ls[i] as LabelSet).withoutName() : (v.ls[i] as LabelSet);
          if (seen.has(ls.key)) throw new PromQLEvalError('vector cannot contain metrics with the same labelset');
          seen.add(ls.key);
          const h = v.hs === null ? undefined : v.hs[i];
          if (h !== undefined) samples.push({ labels: ls.toRecord(), value: 0, histogram: h });
          else samples.push({ labels: ls.toRecord(), value: v.vs[i] as number });
        }
        return { type: 'vector', samples, annotations };
      }
      case 'matrix': {
        const series: Series[] = [];
        const seen = new Set<string>();
        for (const s of v.series) {
          const ls = s.drop ? s.ls.withoutName() : s.ls;
          if (seen.has(ls.key)) throw new PromQLEvalError('vector cannot contain metrics with the same labelset');
          seen.add(ls.key);
          const points: Point[] = [];
          for (let i = s.lo; i < s.hi; i++) points.push({ t: s.ts[i] as number, v: s.vs[i] as number });
          const out: Series = { labels: ls.toRecord(), points };
          if (s.h !== null) {
            const hr = s.h;
            out.histograms = [];
            for (let i = hr.lo; i < hr.hi; i++) out.histograms.push({ t: hr.ts[i] as number, h: hr.hs[i] as NativeHistogram });
          }
          series.push(out);
        }
        return { type: 'matrix', series, annotations };
      }
    }
  }

  runRange(e: Expr, startMs: number, endMs: number, stepMs: number): QueryResult {
    const acc = new Map<string, Acc>();
    const stepKeys = new Set<string>();
    for (let t = startMs; t <= endMs; t += stepMs) {
      const v = this.eval(e, t);
      if (v.kind === 'scalar') {
        addPoint(acc, LabelSet.EMPTY, t, v.v);
        continue;
      }
      if (v.kind !== 'vector') throw new PromQLEvalError(`unexpected ${v.kind} result in range query`);
      stepKeys.clear();
      for (let i = 0; i < v.length; i++) {
        const ls = v.drop[i] ? (v.ls[i] as LabelSet).withoutName() : (v.ls[i] as LabelSet);
        if (stepKeys.has(ls.key)) throw new PromQLEvalError('vector cannot contain metrics with the same labelset');
        stepKeys.add(ls.key);
        const h = v.hs === null ? undefined : v.hs[i];
        if (h !== undefined) addHistogramPoint(acc, ls, t, h);
        else addPoint(acc, ls, t, v.vs[i] as number);
      }
    }
    const series = [...acc.values()]
      .sort((a, b) => compareLabelSets(a.ls, b.ls))
      .map((s): Series => (s.histograms === null ? { labels: s.ls.toRecord(), points: s.points } : { labels: s.ls.toRecord(), points: s.points, histograms: s.histograms }));
    return { type: 'matrix', series, annotations: this.collectAnnotations() };
  }

  private collectAnnotations(): QueryAnnotations {
    return { warnings: [...this.annotations.warnings], infos: [...this.annotations.infos] };
  }
}

/** One series of a subquery's result while it is collected step by step. */
interface SubquerySeries {
  ls: LabelSet;
  drop: boolean;
  ts: number[];
  vs: number[];
  hts: number[] | null;
  hs: NativeHistogram[] | null;
  /** Timestamp of the raw sample behind the last histogram point (instant selectors only). */
  lastSampleT: number;
}

interface Acc {
  ls: LabelSet;
  points: Point[];
  histograms: HistogramPoint[] | null;
}

function accFor(acc: Map<string, Acc>, ls: LabelSet): Acc {
  let s = acc.get(ls.key);
  if (!s) {
    s = { ls, points: [], histograms: null };
    acc.set(ls.key, s);
  }
  return s;
}

function addPoint(acc: Map<string, Acc>, ls: LabelSet, t: number, v: number): void {
  accFor(acc, ls).points.push({ t, v });
}

function addHistogramPoint(acc: Map<string, Acc>, ls: LabelSet, t: number, h: NativeHistogram): void {
  (accFor(acc, ls).histograms ??= []).push({ t, h });
}

/** True if a staleness marker lies after the sample at `sampleT` and no later than `ref`. */
function isStaleAfter(stale: number[], sampleT: number, ref: number): boolean {
  // Markers are few; scan from the newest.
  for (let i = stale.length - 1; i >= 0; i--) {
    const t = stale[i] as number;
    if (t <= ref) return t > sampleT;
  }
  return false;
}
