// Implementations of PromQL functions. Instant-vector functions map samples; range functions reduce each
// series' window. Per Prometheus 3, functions mark __name__ for removal instead of removing it at once.

import type { Call, Expr, LabelMatcher } from './ast.js';
import type { Evaluator } from './engine.js';
import { PromQLEvalError } from './errors.js';
import { formatFloatG, kahanSumInc, linearRegression, quantile } from './float-math.js';
import { HistogramAccumulator } from './histogram-accumulator.js';
import { histogramFraction, histogramQuantile, histogramQuantiles } from './histogram-functions.js';
import { LabelSet, METRIC_NAME, compareLabelSets } from './labels.js';
import { detectReset, histogramsEqual, scaleHistogram, type NativeHistogram } from './native-histogram.js';
import { histogramVariance } from './native-histogram-stats.js';
import { histogramIncrease, histogramInstantValue, type Report } from './native-histogram-range.js';
import { translateRegex } from './re2-to-js.js';
import { Vector, scalar, type HistogramRange, type RangeSeries, type RangeVector, type Value } from './values.js';

type Fn = (ev: Evaluator, call: Call, t: number) => Value;

export function evalCall(ev: Evaluator, call: Call, t: number): Value {
  const fn = FUNCTIONS[call.func];
  if (!fn) throw new PromQLEvalError(`function ${JSON.stringify(call.func)} is not supported`);
  return fn(ev, call, t);
}

function arg(call: Call, i: number): Expr {
  const a = call.args[i];
  if (!a) throw new PromQLEvalError(`missing argument ${i + 1} in call to ${call.func}`);
  return a;
}

// ---- instant-vector helpers ----

function mapValues(op: (x: number) => number): Fn {
  return (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    const out = new Vector();
    const hs = v.hs;
    for (let i = 0; i < v.length; i++) {
      // Native histograms are not numbers: these functions drop them.
      if (hs !== null && hs[i] !== undefined) continue;
      out.push(v.ls[i] as LabelSet, op(v.vs[i] as number), true);
    }
    return out;
  };
}

/** True if sample i of `v` is a native histogram. */
function isHistogram(v: Vector, i: number): boolean {
  return v.hs !== null && v.hs[i] !== undefined;
}

function metricName(s: RangeSeries): string {
  return s.ls.get(METRIC_NAME);
}

function reporter(ev: Evaluator, e: Expr): Report {
  return {
    warn: (msg) => ev.annotations.warn(msg, e.pos),
    info: (msg) => ev.annotations.info(msg, e.pos),
  };
}

function dateFn(op: (d: Date) => number): Fn {
  return (ev, call, t) => {
    const out = new Vector();
    if (call.args.length === 0) {
      out.push(LabelSet.EMPTY, op(new Date(Math.trunc(t / 1000) * 1000)), false);
      return out;
    }
    const v = ev.evalVector(arg(call, 0), t);
    for (let i = 0; i < v.length; i++) {
      const secs = v.vs[i] as number;
      if (!Number.isFinite(secs) || isHistogram(v, i)) continue;
      out.push(v.ls[i] as LabelSet, op(new Date(Math.trunc(secs) * 1000)), true);
    }
    return out;
  };
}

function daysInMonth(d: Date): number {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

// ---- range-vector helpers ----

type Reduce = (s: RangeSeries, rv: RangeVector, ev: Evaluator, call: Call, t: number) => number | null;

/** Produces the output (if any) for a series that has native histogram samples in the window. */
type OnHistograms = (s: RangeSeries, h: HistogramRange, out: Vector, ev: Evaluator, call: Call) => void;

/**
 * Reduces each series' window to one value; `null` means no output for that series. Series with native
 * histograms go to `onHistograms`; by default their floats alone are reduced, reporting the ignored histograms.
 */
function overTime(reduce: Reduce, keepName = false, rangeArg = 0, onHistograms?: OnHistograms): Fn {
  return (ev, call, t) => {
    const rv = ev.evalRangeArg(arg(call, rangeArg), t);
    const out = new Vector();
    for (const s of rv.series) {
      if (s.h !== null) {
        if (onHistograms) onHistograms(s, s.h, out, ev, call);
        else if (s.hi > s.lo) {
          ev.annotations.info(`ignored histograms in a range containing both floats and histograms for metric name ${JSON.stringify(metricName(s))}`, arg(call, 0).pos);
          const v = reduce(s, rv, ev, call, t);
          if (v !== null) out.push(s.ls, v, keepName ? s.drop : true);
        }
        continue;
      }
      if (s.hi <= s.lo) continue;
      const v = reduce(s, rv, ev, call, t);
      if (v !== null) out.push(s.ls, v, keepName ? s.drop : true);
    }
    return out;
  };
}

/** The newest (or oldest) sample of a window holding histograms: a float or a histogram, whichever is later. */
function edgeSample(s: RangeSeries, h: HistogramRange, newest: boolean): WindowSample & { t: number } {
  const hi = newest ? h.hi - 1 : h.lo;
  const ht = h.ts[hi] as number;
  if (s.hi > s.lo) {
    const fi = newest ? s.hi - 1 : s.lo;
    const ft = s.ts[fi] as number;
    if (newest ? ft > ht : ft < ht) return { t: ft, v: s.vs[fi] as number };
  }
  return { t: ht, v: 0, h: h.hs[hi] as NativeHistogram };
}

function mixWarning(ev: Evaluator, s: RangeSeries, e: Expr): void {
  ev.annotations.warn(`encountered a mix of histograms and floats for metric name ${JSON.stringify(metricName(s))}`, e.pos);
}

/** sum_over_time/avg_over_time of a window of histograms; a mix with floats has no result. */
function accumulateOverTime(averaging: boolean): OnHistograms {
  return (s, h, out, ev, call) => {
    const e = arg(call, 0);
    if (s.hi > s.lo) {
      mixWarning(ev, s, e);
      return;
    }
    const acc = new HistogramAccumulator(averaging);
    for (let i = h.lo; i < h.hi; i++) acc.add(h.hs[i] as NativeHistogram);
    if (acc.counterResetCollision) ev.annotations.warn('conflicting counter resets during histogram aggregation', e.pos);
    if (acc.reconciled) ev.annotations.info('mismatched custom buckets were reconciled during aggregation', e.pos);
    if (acc.incompatible) {
      ev.annotations.warn(`vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(metricName(s))}`, e.pos);
      return;
    }
    const r = averaging ? acc.average() : acc.total();
    if (r !== null) out.pushHistogram(s.ls, r, true);
  };
}

/** A float (`v`) or native histogram (`h`) sample of a window. */
interface WindowSample {
  v: number;
  h?: NativeHistogram;
}

/** Floats and histograms of a window merged in time order, for changes() and resets(). */
function mergedSamples(s: RangeSeries, h: HistogramRange): WindowSample[] {
  const out: WindowSample[] = [];
  let i = s.lo;
  let j = h.lo;
  while (i < s.hi || j < h.hi) {
    if (j >= h.hi || (i < s.hi && (s.ts[i] as number) < (h.ts[j] as number))) out.push({ v: s.vs[i++] as number });
    else out.push({ v: 0, h: h.hs[j++] as NativeHistogram });
  }
  return out;
}

/** Counts consecutive sample pairs that `differ` (changes, resets) in a window holding histograms. */
function countTransitions(differ: (prev: WindowSample, cur: WindowSample) => boolean): OnHistograms {
  return (s, h, out) => {
    const all = mergedSamples(s, h);
    let n = 0;
    for (let i = 1; i < all.length; i++) if (differ(all[i - 1] as WindowSample, all[i] as WindowSample)) n++;
    out.push(s.ls, n, true);
  };
}

function values(s: RangeSeries): number[] {
  const out: number[] = new Array(s.hi - s.lo);
  for (let i = s.lo; i < s.hi; i++) out[i - s.lo] = s.vs[i] as number;
  return out;
}

function sumOf(s: RangeSeries): number {
  let sum = 0, c = 0;
  for (let i = s.lo; i < s.hi; i++) [sum, c] = kahanSumInc(s.vs[i] as number, sum, c);
  return sum === Infinity || sum === -Infinity ? sum : sum + c;
}

function avgOf(s: RangeSeries): number {
  let sum = s.vs[s.lo] as number;
  let count = 1, mean = 0, c = 0;
  let incremental = false;
  for (let i = s.lo + 1; i < s.hi; i++) {
    const f = s.vs[i] as number;
    count++;
    if (!incremental) {
      const [ns, nc] = kahanSumInc(f, sum, c);
      if (ns !== Infinity && ns !== -Infinity) {
        sum = ns;
        c = nc;
        continue;
      }
      // The running sum would overflow: switch to an incremental mean from here on.
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, c] = kahanSumInc(f / count, q * mean, q * c);
  }
  return incremental ? mean + c : sum / count + c / count;
}

function varianceOf(s: RangeSeries): number {
  let count = 0, mean = 0, cMean = 0, aux = 0, cAux = 0;
  for (let i = s.lo; i < s.hi; i++) {
    const f = s.vs[i] as number;
    count++;
    const delta = f - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (f - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];

/** Prometheus's extrapolatedRate for rate(), increase() and delta(). */
function extrapolatedRate(isCounter: boolean, isRate: boolean): Fn {
  return (ev, call, t) => {
    const rangeArg = arg(call, 0);
    const rv = ev.evalRangeArg(rangeArg, t);
    const out = new Vector();
    for (const s of rv.series) {
      const n = s.hi - s.lo;
      if (isCounter && n > 0) {
        const name = s.ls.get(METRIC_NAME);
        if (name !== '' && !COUNTER_SUFFIXES.some((suf) => name.endsWith(suf))) {
          ev.annotations.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`, rangeArg.pos);
        }
      }
      if (s.h !== null) {
        if (n > 0) mixWarning(ev, s, rangeArg);
        else histogramRate(ev, rv, s, s.h, isCounter, isRate, rangeArg, out);
        continue;
      }
      if (n < 2) continue;
      const first = s.vs[s.lo] as number;
      const last = s.vs[s.hi - 1] as number;
      let result = last - first;
      if (isCounter) {
        let prev = first;
        for (let i = s.lo + 1; i < s.hi; i++) {
          const cur = s.vs[i] as number;
          if (cur < prev) result += prev;
          prev = cur;
        }
      }
      const factor = extrapolationFactor(rv, s.ts[s.lo] as number, s.ts[s.hi - 1] as number, n, isCounter ? first : -1, result, isRate);
      out.push(s.ls, result * factor, true);
    }
    return out;
  };
}

/**
 * How much to scale the increase between the first and last sample of a window to cover the whole window:
 * all the way to a boundary that is close enough (1.1 average intervals), else half an interval. `counterStart`
 * is the counter's first value (negative for gauges): a counter is not extrapolated below zero.
 */
function extrapolationFactor(
  rv: RangeVector, firstT: number, lastT: number, n: number, counterStart: number, increase: number, isRate: boolean,
): number {
  let durationToStart = (firstT - rv.start) / 1000;
  let durationToEnd = (rv.end - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const avgInterval = sampledInterval / (n - 1);
  const threshold = avgInterval * 1.1;
  if (durationToStart >= threshold) durationToStart = avgInterval / 2;
  if (increase > 0 && counterStart >= 0) {
    const durationToZero = sampledInterval * (counterStart / increase);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avgInterval / 2;
  const factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  return isRate ? factor / (rv.range / 1000) : factor;
}

/** rate/increase/delta of a window of histograms, extrapolated like the float case. */
function histogramRate(
  ev: Evaluator, rv: RangeVector, s: RangeSeries, hr: HistogramRange, isCounter: boolean, isRate: boolean, rangeArg: Expr, out: Vector,
): void {
  const n = hr.hi - hr.lo;
  if (n < 2) return;
  const points = hr.hs.slice(hr.lo, hr.hi);
  const increase = histogramIncrease(points, isCounter, metricName(s), reporter(ev, rangeArg));
  if (increase === null) return;
  const firstCount = (points[0] as NativeHistogram).count;
  const factor = extrapolationFactor(rv, hr.ts[hr.lo] as number, hr.ts[hr.hi - 1] as number, n, isCounter ? firstCount : -1, increase.count, isRate);
  out.pushHistogram(s.ls, scaleHistogram(increase, factor), true);
}

/** irate/idelta when the window holds histograms: the last two samples must both be histograms. */
function histogramInstant(isRate: boolean): OnHistograms {
  return (s, h, out, ev, call) => {
    const e = arg(call, 0);
    const n = s.hi - s.lo + h.hi - h.lo;
    if (n < 2) return;
    // The last two samples across floats and histograms.
    const last: (WindowSample & { t: number })[] = [];
    for (let i = Math.max(s.lo, s.hi - 2); i < s.hi; i++) last.push({ t: s.ts[i] as number, v: s.vs[i] as number });
    for (let i = Math.max(h.lo, h.hi - 2); i < h.hi; i++) last.push({ t: h.ts[i] as number, v: 0, h: h.hs[i] as NativeHistogram });
    last.sort((a, b) => a.t - b.t);
    const [a, b] = last.slice(-2) as [WindowSample & { t: number }, WindowSample & { t: number }];
    const interval = b.t - a.t;
    if (interval === 0) return;
    if (a.h === undefined && b.h === undefined) {
      let v = b.v;
      if (!isRate || !(b.v < a.v)) v = b.v - a.v;
      if (isRate) v /= interval / 1000;
      out.push(s.ls, v, true);
      return;
    }
    if (a.h === undefined || b.h === undefined) {
      mixWarning(ev, s, e);
      return;
    }
    const r = histogramInstantValue(a.h, b.h, interval, isRate, metricName(s), reporter(ev, e));
    if (r !== null) out.pushHistogram(s.ls, r, true);
  };
}

function instantValue(isRate: boolean): Fn {
  return overTime((s) => {
    if (s.hi - s.lo < 2) return null;
    const prevT = s.ts[s.hi - 2] as number;
    const lastT = s.ts[s.hi - 1] as number;
    const prev = s.vs[s.hi - 2] as number;
    const last = s.vs[s.hi - 1] as number;
    const interval = lastT - prevT;
    if (interval === 0) return null;
    // For irate, a decrease is a counter reset and the new value is the increase.
    let v = last;
    if (!isRate || !(last < prev)) v = last - prev;
    if (isRate) v /= interval / 1000;
    return v;
  }, false, 0, histogramInstant(isRate));
}

function tsOfExtreme(pick: (candidate: number, best: number) => boolean): Fn {
  return overTime((s) => {
    let bestI = s.lo;
    for (let i = s.lo + 1; i < s.hi; i++) {
      const v = s.vs[i] as number;
      const best = s.vs[bestI] as number;
      if (Number.isNaN(best) || pick(v, best)) bestI = i;
    }
    return (s.ts[bestI] as number) / 1000;
  });
}

// ---- absent ----

function absentLabels(e: Expr): LabelSet {
  let matchers: LabelMatcher[] = [];
  if (e.kind === 'VectorSelector') matchers = e.matchers;
  else if (e.kind === 'MatrixSelector') matchers = e.vector.matchers;
  else return LabelSet.EMPTY;
  // Historic behaviour: a label constrained twice, or not by equality, is left out.
  const rec: Record<string, string> = {};
  const has = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.op === '=' && !has.has(m.name)) {
      rec[m.name] = m.value;
      has.add(m.name);
    } else {
      delete rec[m.name];
    }
  }
  return LabelSet.fromRecord(rec);
}

// ---- label functions ----

function checkLabelName(fn: string, name: string, what: string): void {
  if (name === '' || name.includes('\ufffd')) throw new PromQLEvalError(`invalid ${what} label name in ${fn}(): ${name}`);
}

/** Go's regexp.Expand template rules: $1, ${1}, $name, ${name}, $$. */
function expandTemplate(tpl: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i] as string;
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = tpl[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | null = null;
    let end = i + 1;
    if (next === '{') {
      const close = tpl.indexOf('}', i + 2);
      const inner = close < 0 ? '' : tpl.slice(i + 2, close);
      if (close >= 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(tpl.slice(i + 1));
      if (mm) {
        name = mm[0];
        end = i + 1 + name.length;
      }
    }
    if (name === null) {
      out += '$';
      continue;
    }
    if (/^\d+$/.test(name)) out += m[Number(name)] ?? '';
    else out += m.groups?.[name] ?? '';
    i = end - 1;
  }
  return out;
}

const labelReplace: Fn = (ev, call, t) => {
  const v = ev.evalVector(arg(call, 0), t);
  const str = (i: number): string => {
    const e = arg(call, i);
    return e.kind === 'StringLiteral' ? e.value : String((ev.eval(e, t) as { s?: string }).s ?? '');
  };
  const dst = str(1), repl = str(2), src = str(3), reStr = str(4);
  let re: RegExp;
  try {
    const { source, unicode } = translateRegex(reStr);
    re = new RegExp(`^(?:${source})$`, unicode ? 'su' : 's');
  } catch {
    throw new PromQLEvalError(`invalid regular expression in label_replace(): ${reStr}`);
  }
  checkLabelName('label_replace', dst, 'destination');
  const out = new Vector();
  for (let i = 0; i < v.length; i++) {
    const ls = v.ls[i] as LabelSet;
    const m = re.exec(ls.get(src));
    if (!m) {
      out.pushFrom(v, i, ls, v.drop[i] as boolean);
      continue;
    }
    const res = expandTemplate(repl, m);
    out.pushFrom(v, i, ls.with(dst, res), dst === METRIC_NAME ? false : (v.drop[i] as boolean));
  }
  return out;
};

const labelJoin: Fn = (ev, call, t) => {
  const v = ev.evalVector(arg(call, 0), t);
  const strs = call.args.slice(1).map((e) => (e.kind === 'StringLiteral' ? e.value : ''));
  const [dst = '', sep = '', ...srcs] = strs;
  checkLabelName('label_join', dst, 'destination');
  for (const s of srcs) checkLabelName('label_join', s, 'source');
  const out = new Vector();
  for (let i = 0; i < v.length; i++) {
    const ls = v.ls[i] as LabelSet;
    const joined = srcs.map((s) => ls.get(s)).join(sep);
    out.pushFrom(v, i, ls.with(dst, joined), dst === METRIC_NAME ? false : (v.drop[i] as boolean));
  }
  return out;
};

// ---- sorting ----

function sortBy(cmp: (a: number, b: number, av: number, bv: number) => number): Fn {
  return (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    if (ev.isRangeQuery) {
      ev.annotations.warn(`sort is ineffective for range queries since results are always ordered by labels`, call.pos);
    }
    // sort and sort_desc order floats; native histograms are dropped.
    const idx = v.ls.map((_, i) => i).filter((i) => !isHistogram(v, i));
    idx.sort((a, b) => cmp(a, b, v.vs[a] as number, v.vs[b] as number));
    const out = new Vector();
    for (const i of idx) out.push(v.ls[i] as LabelSet, v.vs[i] as number, v.drop[i] as boolean);
    return out;
  };
}

/** Natural ordering: digit runs compare numerically (Prometheus uses natsort for sort_by_label). */
function natCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const dx = /^\d/.test(x), dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x), ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

function sortByLabel(desc: boolean): Fn {
  return (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    if (ev.isRangeQuery) {
      ev.annotations.warn(`sort is ineffective for range queries since results are always ordered by labels`, call.pos);
    }
    const names = call.args.slice(1).map((e) => (e.kind === 'StringLiteral' ? e.value : ''));
    const idx = v.ls.map((_, i) => i);
    idx.sort((a, b) => {
      const la = v.ls[a] as LabelSet, lb = v.ls[b] as LabelSet;
      for (const n of names) {
        const c = natCompare(la.get(n), lb.get(n));
        if (c !== 0) return desc ? -c : c;
      }
      const c = compareLabelSets(la, lb);
      return desc ? -c : c;
    });
    const out = new Vector();
    for (const i of idx) out.pushFrom(v, i, v.ls[i] as LabelSet, v.drop[i] as boolean);
    return out;
  };
}

// ---- quantile parameter checks ----

function checkQuantile(ev: Evaluator, q: number, e: Expr): void {
  if (Number.isNaN(q) || q < 0 || q > 1) {
    ev.annotations.warn(`quantile value should be between 0 and 1, got ${formatFloatG(q)}`, e.pos);
  }
}

function clampFn(ev: Evaluator, call: Call, t: number, lo: number, hi: number): Vector {
  const v = ev.evalVector(arg(call, 0), t);
  const out = new Vector();
  if (hi < lo) return out;
  for (let i = 0; i < v.length; i++) {
    if (isHistogram(v, i)) continue;
    out.push(v.ls[i] as LabelSet, Math.max(lo, Math.min(hi, v.vs[i] as number)), true);
  }
  return out;
}

/** A function of native histogram samples; float samples are ignored, as in Prometheus. */
function histogramStat(f: (h: NativeHistogram) => number): Fn {
  return (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    const out = new Vector();
    const hs = v.hs;
    if (hs === null) return out;
    for (let i = 0; i < v.length; i++) {
      const h = hs[i];
      if (h !== undefined) out.push(v.ls[i] as LabelSet, f(h), true);
    }
    return out;
  };
}

const FUNCTIONS: Record<string, Fn> = {
  abs: mapValues(Math.abs),
  ceil: mapValues(Math.ceil),
  floor: mapValues(Math.floor),
  exp: mapValues(Math.exp),
  sqrt: mapValues(Math.sqrt),
  ln: mapValues(Math.log),
  log2: mapValues(Math.log2),
  log10: mapValues(Math.log10),
  sgn: mapValues((x) => (x < 0 ? -1 : x > 0 ? 1 : x)),
  sin: mapValues(Math.sin), cos: mapValues(Math.cos), tan: mapValues(Math.tan),
  asin: mapValues(Math.asin), acos: mapValues(Math.acos), atan: mapValues(Math.atan),
  sinh: mapValues(Math.sinh), cosh: mapValues(Math.cosh), tanh: mapValues(Math.tanh),
  asinh: mapValues(Math.asinh), acosh: mapValues(Math.acosh), atanh: mapValues(Math.atanh),
  deg: mapValues((x) => (x * 180) / Math.PI),
  rad: mapValues((x) => (x * Math.PI) / 180),
  pi: () => scalar(Math.PI),
  time: (_ev, _call, t) => scalar(t / 1000),
  // The query's bounds and step (experimental); an instant query has start = end and a step of 0.
  start: (ev) => scalar(ev.startMs / 1000),
  end: (ev) => scalar(ev.endMs / 1000),
  range: (ev) => scalar((ev.endMs - ev.startMs) / 1000),
  step: (ev) => scalar(ev.stepMs / 1000),
  min_of: (ev, call, t) => scalar(Math.min(ev.evalScalar(arg(call, 0), t), ev.evalScalar(arg(call, 1), t))),
  max_of: (ev, call, t) => scalar(Math.max(ev.evalScalar(arg(call, 0), t), ev.evalScalar(arg(call, 1), t))),

  round: (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    const toNearest = call.args[1] ? ev.evalScalar(call.args[1], t) : 1;
    const inv = 1 / toNearest;
    const out = new Vector();
    for (let i = 0; i < v.length; i++) {
      if (isHistogram(v, i)) continue;
      out.push(v.ls[i] as LabelSet, Math.floor((v.vs[i] as number) * inv + 0.5) / inv, true);
    }
    return out;
  },
  clamp: (ev, call, t) => clampFn(ev, call, t, ev.evalScalar(arg(call, 1), t), ev.evalScalar(arg(call, 2), t)),
  clamp_min: (ev, call, t) => {
    const lo = ev.evalScalar(arg(call, 1), t);
    const v = ev.evalVector(arg(call, 0), t);
    const out = new Vector();
    for (let i = 0; i < v.length; i++) if (!isHistogram(v, i)) out.push(v.ls[i] as LabelSet, Math.max(lo, v.vs[i] as number), true);
    return out;
  },
  clamp_max: (ev, call, t) => {
    const hi = ev.evalScalar(arg(call, 1), t);
    const v = ev.evalVector(arg(call, 0), t);
    const out = new Vector();
    for (let i = 0; i < v.length; i++) if (!isHistogram(v, i)) out.push(v.ls[i] as LabelSet, Math.min(hi, v.vs[i] as number), true);
    return out;
  },

  minute: dateFn((d) => d.getUTCMinutes()),
  hour: dateFn((d) => d.getUTCHours()),
  day_of_week: dateFn((d) => d.getUTCDay()),
  day_of_month: dateFn((d) => d.getUTCDate()),
  day_of_year: dateFn(dayOfYear),
  days_in_month: dateFn(daysInMonth),
  month: dateFn((d) => d.getUTCMonth() + 1),
  year: dateFn((d) => d.getUTCFullYear()),

  timestamp: (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    const out = new Vector();
    for (let i = 0; i < v.length; i++) out.push(v.ls[i] as LabelSet, (v.ts ? (v.ts[i] as number) : t) / 1000, true);
    return out;
  },

  vector: (ev, call, t) => {
    const out = new Vector();
    out.push(LabelSet.EMPTY, ev.evalScalar(arg(call, 0), t), false);
    return out;
  },
  scalar: (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    // The single float sample, ignoring native histograms; NaN if there is none or more than one.
    let found = -1;
    for (let i = 0; i < v.length; i++) {
      if (isHistogram(v, i)) continue;
      if (found >= 0) return scalar(NaN);
      found = i;
    }
    return scalar(found >= 0 ? (v.vs[found] as number) : NaN);
  },

  absent: (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    const out = new Vector();
    if (v.length === 0) out.push(absentLabels(arg(call, 0)), 1, false);
    return out;
  },
  absent_over_time: (ev, call, t) => {
    const rv = ev.evalRangeArg(arg(call, 0), t);
    const out = new Vector();
    if (!rv.series.some((s) => s.hi > s.lo || s.h !== null)) out.push(absentLabels(arg(call, 0)), 1, false);
    return out;
  },
  present_over_time: overTime(() => 1, false, 0, (s, _h, out) => out.push(s.ls, 1, true)),

  rate: extrapolatedRate(true, true),
  increase: extrapolatedRate(true, false),
  delta: extrapolatedRate(false, false),
  irate: instantValue(true),
  idelta: instantValue(false),

  changes: overTime((s) => {
    let changes = 0;
    let prev = s.vs[s.lo] as number;
    for (let i = s.lo + 1; i < s.hi; i++) {
      const cur = s.vs[i] as number;
      if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
      prev = cur;
    }
    return changes;
  }, false, 0, countTransitions((a, b) => {
    if (a.h === undefined && b.h === undefined) return a.v !== b.v && !(Number.isNaN(a.v) && Number.isNaN(b.v));
    if (a.h === undefined || b.h === undefined) return true;
    return !histogramsEqual(a.h, b.h);
  })),
  resets: overTime((s) => {
    let resets = 0;
    let prev = s.vs[s.lo] as number;
    for (let i = s.lo + 1; i < s.hi; i++) {
      const cur = s.vs[i] as number;
      if (cur < prev) resets++;
      prev = cur;
    }
    return resets;
  }, false, 0, countTransitions((a, b) => {
    if (a.h === undefined && b.h === undefined) return b.v < a.v;
    if (a.h === undefined || b.h === undefined) return true;
    return detectReset(b.h, a.h);
  })),
  deriv: overTime((s) => (s.hi - s.lo < 2 ? null : linearRegression(s.ts, s.vs, s.lo, s.hi, s.ts[s.lo] as number)[0])),
  predict_linear: (ev, call, t) => {
    const duration = ev.evalScalar(arg(call, 1), t);
    return overTime((s) => {
      if (s.hi - s.lo < 2) return null;
      const [slope, intercept] = linearRegression(s.ts, s.vs, s.lo, s.hi, t);
      return slope * duration + intercept;
    })(ev, call, t);
  },
  double_exponential_smoothing: (ev, call, t) => {
    const sf = ev.evalScalar(arg(call, 1), t);
    const tf = ev.evalScalar(arg(call, 2), t);
    if (!(sf > 0 && sf < 1)) throw new PromQLEvalError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`);
    if (!(tf > 0 && tf < 1)) throw new PromQLEvalError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
    return overTime((s) => {
      const n = s.hi - s.lo;
      if (n < 2) return null;
      let s0 = 0;
      let s1 = s.vs[s.lo] as number;
      let b = (s.vs[s.lo + 1] as number) - s1;
      for (let i = 1; i < n; i++) {
        const x = sf * (s.vs[s.lo + i] as number);
        if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
        const y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
      }
      return s1;
    })(ev, call, t);
  },

  avg_over_time: overTime(avgOf, false, 0, accumulateOverTime(true)),
  sum_over_time: overTime(sumOf, false, 0, accumulateOverTime(false)),
  count_over_time: overTime((s) => s.hi - s.lo, false, 0, (s, h, out) => out.push(s.ls, s.hi - s.lo + h.hi - h.lo, true)),
  min_over_time: overTime((s) => {
    let m = s.vs[s.lo] as number;
    for (let i = s.lo + 1; i < s.hi; i++) {
      const v = s.vs[i] as number;
      if (v < m || Number.isNaN(m)) m = v;
    }
    return m;
  }),
  max_over_time: overTime((s) => {
    let m = s.vs[s.lo] as number;
    for (let i = s.lo + 1; i < s.hi; i++) {
      const v = s.vs[i] as number;
      if (v > m || Number.isNaN(m)) m = v;
    }
    return m;
  }),
  last_over_time: overTime((s) => s.vs[s.hi - 1] as number, true, 0, (s, h, out) => {
    const e = edgeSample(s, h, true);
    if (e.h !== undefined) out.pushHistogram(s.ls, e.h, s.drop);
    else out.push(s.ls, e.v, s.drop);
  }),
  first_over_time: overTime((s) => s.vs[s.lo] as number, true, 0, (s, h, out) => {
    const e = edgeSample(s, h, false);
    if (e.h !== undefined) out.pushHistogram(s.ls, e.h, s.drop);
    else out.push(s.ls, e.v, s.drop);
  }),
  ts_of_last_over_time: overTime((s) => (s.ts[s.hi - 1] as number) / 1000, false, 0, (s, h, out) => out.push(s.ls, edgeSample(s, h, true).t / 1000, true)),
  ts_of_first_over_time: overTime((s) => (s.ts[s.lo] as number) / 1000, false, 0, (s, h, out) => out.push(s.ls, edgeSample(s, h, false).t / 1000, true)),
  ts_of_min_over_time: tsOfExtreme((v, best) => v <= best),
  ts_of_max_over_time: tsOfExtreme((v, best) => v >= best),
  stddev_over_time: overTime((s) => Math.sqrt(varianceOf(s))),
  stdvar_over_time: overTime(varianceOf),
  quantile_over_time: (ev, call, t) => {
    const q = ev.evalScalar(arg(call, 0), t);
    checkQuantile(ev, q, arg(call, 0));
    return overTime((s) => quantile(q, values(s)), false, 1)(ev, call, t);
  },
  mad_over_time: overTime((s) => {
    const vals = values(s);
    if (vals.some(Number.isNaN)) return NaN;
    const median = quantile(0.5, vals);
    return quantile(0.5, vals.map((v) => Math.abs(v - median)));
  }),

  label_replace: labelReplace,
  label_join: labelJoin,

  sort: sortBy((_a, _b, x, y) => {
    // Ascending, NaN last.
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    return x - y;
  }),
  sort_desc: sortBy((_a, _b, x, y) => {
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    return y - x;
  }),
  sort_by_label: sortByLabel(false),
  sort_by_label_desc: sortByLabel(true),

  histogram_quantile: (ev, call, t) => {
    const q = ev.evalScalar(arg(call, 0), t);
    checkQuantile(ev, q, arg(call, 0));
    return histogramQuantile(ev, q, ev.evalVector(arg(call, 1), t), arg(call, 1));
  },
  histogram_quantiles: (ev, call, t) => {
    const v = ev.evalVector(arg(call, 0), t);
    const labelExpr = arg(call, 1);
    const label = labelExpr.kind === 'StringLiteral' ? labelExpr.value : '';
    const qs = call.args.slice(2).map((e) => {
      const q = ev.evalScalar(e, t);
      checkQuantile(ev, q, e);
      return q;
    });
    return histogramQuantiles(ev, qs, v, arg(call, 0), label);
  },
  histogram_count: histogramStat((h) => h.count),
  histogram_sum: histogramStat((h) => h.sum),
  histogram_avg: histogramStat((h) => h.sum / h.count),
  histogram_stddev: histogramStat((h) => Math.sqrt(histogramVariance(h))),
  histogram_stdvar: histogramStat(histogramVariance),
  histogram_fraction: (ev, call, t) => {
    const lower = ev.evalScalar(arg(call, 0), t);
    const upper = ev.evalScalar(arg(call, 1), t);
    return histogramFraction(ev, lower, upper, ev.evalVector(arg(call, 2), t), arg(call, 2));
  },
};

