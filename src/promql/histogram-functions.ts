// histogram_quantile, histogram_quantiles and histogram_fraction over an instant vector that may hold classic
// histograms (`le` bucket series, grouped by their other labels) and native histograms side by side.

import type { Expr } from './ast.js';
import { bucketFraction, bucketQuantile, parseBucketBound, type Bucket } from './classic-histogram.js';
import type { Evaluator } from './engine.js';
import { formatOpenMetricsFloat } from './float-math.js';
import { LabelSet, METRIC_NAME } from './labels.js';
import type { NativeHistogram } from './native-histogram.js';
import { histogramFraction as nativeFraction, histogramQuantile as nativeQuantile, type StatNote } from './native-histogram-stats.js';
import { Vector } from './values.js';

interface ClassicGroup {
  /** Labels without `le` (and without the name, which the result drops). */
  ls: LabelSet;
  buckets: Bucket[];
  name: string;
}

interface NativeSample {
  ls: LabelSet;
  h: NativeHistogram;
}

interface Histograms {
  natives: NativeSample[];
  classic: ClassicGroup[];
}

/**
 * Splits the input into native histograms and classic bucket groups. A native histogram with the same labels as
 * a classic group (minus `le`) is ambiguous: both are dropped with a warning, as in Prometheus.
 */
function collect(ev: Evaluator, v: Vector, argExpr: Expr): Histograms {
  const groups = new Map<string, ClassicGroup>();
  const natives: NativeSample[] = [];
  for (let i = 0; i < v.length; i++) {
    const ls = v.ls[i] as LabelSet;
    const h = v.histogramAt(i);
    if (h !== undefined) {
      natives.push({ ls, h });
      continue;
    }
    const le = ls.get('le');
    const upper = parseBucketBound(le);
    if (upper === null) {
      ev.annotations.warn(`bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)} for metric name ${JSON.stringify(ls.get(METRIC_NAME))}`, argExpr.pos);
      continue;
    }
    const groupLs = ls.filter((n) => n !== 'le');
    let g = groups.get(groupLs.key);
    if (!g) {
      g = { ls: groupLs.withoutName(), buckets: [], name: ls.get(METRIC_NAME) };
      groups.set(groupLs.key, g);
    }
    g.buckets.push({ upper, count: v.vs[i] as number });
  }
  const kept: NativeSample[] = [];
  for (const n of natives) {
    if (groups.has(n.ls.key)) {
      ev.annotations.warn(`vector contains a mix of classic and native histograms for metric name ${JSON.stringify(n.ls.get(METRIC_NAME))}`, argExpr.pos);
      groups.delete(n.ls.key);
      continue;
    }
    kept.push(n);
  }
  return { natives: kept, classic: [...groups.values()] };
}

function reportNote(ev: Evaluator, note: StatNote | undefined, name: string, at: Expr): void {
  if (note === undefined) return;
  const suffix = name === '' ? '' : ` for metric name ${JSON.stringify(name)}`;
  const text = {
    nan_result: 'input to histogram_quantile has NaN observations, result is NaN',
    nan_skew: 'input to histogram_quantile has NaN observations, result is skewed higher',
    nan_excluded: 'input to histogram_fraction has NaN observations, which are excluded from all fractions',
  }[note];
  ev.annotations.info(`${text}${suffix}`, at.pos);
}

/** Quantiles of every histogram in `v`, one output sample per histogram and quantile. */
function quantiles(ev: Evaluator, qs: readonly number[], v: Vector, argExpr: Expr, label: string | null): Vector {
  const { natives, classic } = collect(ev, v, argExpr);
  const out = new Vector();
  qs.forEach((q) => {
    const withQ = (ls: LabelSet): LabelSet => (label === null ? ls : ls.with(label, formatOpenMetricsFloat(q)));
    for (const n of natives) {
      const r = nativeQuantile(q, n.h);
      reportNote(ev, r.note, n.ls.get(METRIC_NAME), argExpr);
      out.push(withQ(n.ls), r.value, true);
    }
    for (const g of classic) {
      const { value, forcedMonotonic } = bucketQuantile(q, g.buckets);
      if (forcedMonotonic) {
        ev.annotations.info(
          `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${JSON.stringify(g.name)}`,
          argExpr.pos,
        );
      }
      out.push(withQ(g.ls), value, false);
    }
  });
  return out;
}

export function histogramQuantile(ev: Evaluator, q: number, v: Vector, argExpr: Expr): Vector {
  return quantiles(ev, [q], v, argExpr, null);
}

/** histogram_quantiles(v, "label", q…): the quantiles as one series each, told apart by `label`. */
export function histogramQuantiles(ev: Evaluator, qs: readonly number[], v: Vector, argExpr: Expr, label: string): Vector {
  return quantiles(ev, qs, v, argExpr, label);
}

export function histogramFraction(ev: Evaluator, lower: number, upper: number, v: Vector, argExpr: Expr): Vector {
  const { natives, classic } = collect(ev, v, argExpr);
  const out = new Vector();
  for (const n of natives) {
    const r = nativeFraction(lower, upper, n.h);
    reportNote(ev, r.note, n.ls.get(METRIC_NAME), argExpr);
    out.push(n.ls, r.value, true);
  }
  for (const g of classic) out.push(g.ls, bucketFraction(lower, upper, g.buckets), false);
  return out;
}
