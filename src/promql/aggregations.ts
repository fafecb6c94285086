// Aggregation operators (sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk, limitk, limit_ratio,
// count_values, quantile) with by/without grouping; groups are emitted in order of first appearance, like
// Prometheus. sum and avg add native histograms; the value-ranking operators ignore them with an info.

import type { Aggregate, AggregateOp } from './ast.js';
import type { Evaluator } from './engine.js';
import { PromQLEvalError } from './errors.js';
import { formatFloatG, formatFloatPlain, kahanSumInc, quantile } from './float-math.js';
import { HistogramAccumulator } from './histogram-accumulator.js';
import { LabelSet, METRIC_NAME } from './labels.js';
import { histogramString, type NativeHistogram } from './native-histogram.js';
import { Vector, type Value } from './values.js';

interface Group {
  ls: LabelSet;
  drop: boolean;
  count: number;
  value: number;
  c: number;
  mean: number;
  incremental: boolean;
  /** Sample indices, for topk/bottomk/quantile/limitk/limit_ratio. */
  members: number[];
  /** sum/avg of the group's native histograms, created by the first one. */
  histograms: HistogramAccumulator | null;
  hasFloat: boolean;
}

/** Operators that skip native histogram samples (with an info annotation). */
const IGNORES_HISTOGRAMS = new Set<AggregateOp>(['min', 'max', 'stddev', 'stdvar', 'quantile', 'topk', 'bottomk']);

type KeyFn = (ls: LabelSet) => string;
type LabelsFn = (ls: LabelSet) => LabelSet;

function grouping(e: Aggregate): { key: KeyFn; labels: LabelsFn } {
  if (e.without) {
    const drop = new Set([...e.grouping, METRIC_NAME]);
    const labels: LabelsFn = (ls) => ls.filter((n) => !drop.has(n));
    return { key: (ls) => labels(ls).key, labels };
  }
  if (e.grouping.length === 0) return { key: () => '', labels: () => LabelSet.EMPTY };
  const names = [...new Set(e.grouping)].sort();
  return {
    key: (ls) => {
      let k = '';
      for (const n of names) k += `${ls.get(n)}\xff`;
      return k;
    },
    labels: (ls) => ls.filter((n) => names.includes(n)),
  };
}

export function evalAggregate(ev: Evaluator, e: Aggregate, t: number): Value {
  let param = NaN;
  let label = '';
  if (e.param) {
    if (e.op === 'count_values') {
      const p = ev.eval(e.param, t);
      label = p.kind === 'string' ? p.s : '';
      if (label === '' || label.includes('\ufffd')) throw new PromQLEvalError(`invalid label name ${JSON.stringify(label)}`);
    } else {
      param = ev.evalScalar(e.param, t);
    }
  }
  const v = ev.evalVector(e.expr, t);
  const { key, labels } = grouping(e);

  if (e.op === 'count_values') {
    // The value label is set before grouping, and `by` groups by it too.
    const g = grouping(e.without ? e : { ...e, grouping: [...e.grouping, label] });
    return countValues(v, g.key, g.labels, label);
  }

  if ((e.op === 'topk' || e.op === 'bottomk' || e.op === 'limitk') && Number.isNaN(param)) {
    throw new PromQLEvalError('Parameter value is NaN');
  }
  if (e.op === 'limit_ratio') {
    if (Number.isNaN(param)) throw new PromQLEvalError('Ratio value is NaN');
    if (param < -1 || param > 1) {
      const capped = param < -1 ? -1 : 1;
      ev.annotations.warn(`ratio value should be between -1 and 1, got ${formatFloatG(param)}, capping to ${capped}`, (e.param ?? e).pos);
      param = capped;
    }
  }
  if (e.op === 'quantile' && (Number.isNaN(param) || param < 0 || param > 1)) {
    ev.annotations.warn(`quantile value should be between 0 and 1, got ${formatFloatG(param)}`, (e.param ?? e).pos);
  }

  const hs = v.hs;
  const skipHistograms = IGNORES_HISTOGRAMS.has(e.op);
  const groups = new Map<string, Group>();
  const order: Group[] = [];
  for (let i = 0; i < v.length; i++) {
    const ls = v.ls[i] as LabelSet;
    const h = hs === null ? undefined : hs[i];
    if (h !== undefined && skipHistograms) {
      const at = e.op === 'topk' || e.op === 'bottomk' ? e.pos : e.expr.pos;
      ev.annotations.info(`ignored histogram in ${e.op} aggregation`, at);
      continue;
    }
    const f = v.vs[i] as number;
    const k = key(ls);
    let g = groups.get(k);
    if (!g) {
      g = {
        ls: labels(ls), drop: false, count: 1, value: f, c: 0, mean: f, incremental: false, members: [i],
        histograms: null, hasFloat: h === undefined,
      };
      // NaN or ±Inf makes the variance undefined from the start, as in Prometheus.
      if (e.op === 'stddev' || e.op === 'stdvar') g.value = Number.isFinite(f) ? 0 : NaN;
      if (h !== undefined && (e.op === 'sum' || e.op === 'avg')) {
        g.histograms = new HistogramAccumulator(e.op === 'avg');
        g.histograms.add(h);
      }
      groups.set(k, g);
      order.push(g);
      g.drop = (v.drop[i] as boolean) && g.ls.has(METRIC_NAME);
      continue;
    }
    if (v.drop[i] && g.ls.has(METRIC_NAME)) g.drop = true;
    g.count++;
    if (h !== undefined && (e.op === 'sum' || e.op === 'avg')) {
      // A group that began with a float is dropped at the end anyway, so its histograms need no adding.
      if (g.histograms === null) g.histograms = new HistogramAccumulator(false);
      else if (g.hasFloat === false) addToGroup(ev, e, g, h, ls);
      continue;
    }
    if (h === undefined) g.hasFloat = true;
    switch (e.op) {
      case 'sum':
        [g.value, g.c] = kahanSumInc(f, g.value, g.c);
        break;
      case 'avg':
        accumulateAvg(g, f);
        break;
      case 'max':
        if (g.value < f || Number.isNaN(g.value)) g.value = f;
        break;
      case 'min':
        if (g.value > f || Number.isNaN(g.value)) g.value = f;
        break;
      case 'stddev':
      case 'stdvar': {
        const delta = f - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (f - g.mean);
        break;
      }
      default:
        g.members.push(i);
    }
  }

  const out = new Vector();
  if (e.op === 'limitk' || e.op === 'limit_ratio') {
    const k = Math.trunc(param);
    for (const g of order) {
      g.members.forEach((i, n) => {
        if (e.op === 'limitk' ? n >= k : !keepForRatio(v.ls[i] as LabelSet, param)) return;
        out.pushFrom(v, i, v.ls[i] as LabelSet, v.drop[i] as boolean);
      });
    }
    return out;
  }
  if (e.op === 'topk' || e.op === 'bottomk') {
    const k = Math.trunc(param);
    if (k < 1) return out;
    const top = e.op === 'topk';
    for (const g of order) {
      const sorted = [...g.members].sort((a, b) => {
        const x = v.vs[a] as number, y = v.vs[b] as number;
        // NaN ranks below every number in both directions, as in Prometheus's heaps.
        if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
        if (Number.isNaN(y)) return -1;
        return top ? y - x : x - y;
      });
      for (const i of sorted.slice(0, k)) out.push(v.ls[i] as LabelSet, v.vs[i] as number, v.drop[i] as boolean);
    }
    return out;
  }

  for (const g of order) {
    if (g.histograms !== null && (e.op === 'sum' || e.op === 'avg')) {
      const acc = g.histograms;
      if (g.hasFloat) {
        ev.annotations.warn('encountered a mix of histograms and floats for aggregation', e.expr.pos);
        continue;
      }
      if (acc.counterResetCollision) ev.annotations.warn('conflicting counter resets during histogram aggregation', e.expr.pos);
      if (acc.reconciled) ev.annotations.info('mismatched custom buckets were reconciled during aggregation', e.expr.pos);
      const h = e.op === 'sum' ? acc.total() : acc.average();
      if (h !== null) out.pushHistogram(g.ls, h, g.drop);
      continue;
    }
    let value: number;
    switch (e.op) {
      case 'sum':
        value = g.value + g.c;
        if (g.value === Infinity || g.value === -Infinity) value = g.value;
        break;
      case 'avg':
        value = g.incremental ? g.mean + g.c : g.value / g.count + g.c / g.count;
        break;
      case 'count':
        value = g.count;
        break;
      case 'group':
        value = 1;
        break;
      case 'stdvar':
        value = g.value / g.count;
        break;
      case 'stddev':
        value = Math.sqrt(g.value / g.count);
        break;
      case 'quantile':
        value = quantile(param, g.members.map((i) => v.vs[i] as number));
        break;
      case 'min':
      case 'max':
        value = g.value;
        break;
      default:
        throw new PromQLEvalError(`aggregation ${e.op} is not supported`);
    }
    out.push(g.ls, value, g.drop);
  }
  return out;
}

function addToGroup(ev: Evaluator, e: Aggregate, g: Group, h: NativeHistogram, ls: LabelSet): void {
  const acc = g.histograms as HistogramAccumulator;
  if (acc.incompatible) return;
  acc.add(h);
  if (acc.incompatible) {
    ev.annotations.warn(
      `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(ls.get(METRIC_NAME))}`,
      e.expr.pos,
    );
  }
}

/**
 * limit_ratio's deterministic sampling: a series is kept if its label hash, scaled to [0, 1), is below the ratio
 * (or, for a negative ratio, at or above 1 + ratio), so r and -(1 - r) select complementary sets.
 */
function keepForRatio(ls: LabelSet, ratio: number): boolean {
  const offset = labelHash(ls.key);
  return ratio >= 0 ? offset < ratio : offset >= 1 + ratio;
}

/** A 53-bit FNV-1a-style hash of the label key, scaled to [0, 1). */
function labelHash(key: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)) / 2 ** 53;
}

/** Direct mean with Kahan summation, switching to an incremental mean if the sum would overflow. */
function accumulateAvg(g: Group, f: number): void {
  if (!g.incremental) {
    const [ns, nc] = kahanSumInc(f, g.value, g.c);
    if (ns !== Infinity && ns !== -Infinity) {
      g.value = ns;
      g.c = nc;
      return;
    }
    g.incremental = true;
    g.mean = g.value / (g.count - 1);
    g.c /= g.count - 1;
  }
  const q = (g.count - 1) / g.count;
  [g.mean, g.c] = kahanSumInc(f / g.count, q * g.mean, q * g.c);
}

function countValues(v: Vector, key: KeyFn, labels: LabelsFn, label: string): Vector {
  const groups = new Map<string, { ls: LabelSet; n: number }>();
  for (let i = 0; i < v.length; i++) {
    const ls = v.ls[i] as LabelSet;
    const h = v.histogramAt(i);
    const value = h !== undefined ? histogramString(h, formatFloatG) : formatFloatPlain(v.vs[i] as number);
    const withValue = ls.with(label, value);
    const k = key(withValue);
    const g = groups.get(k);
    if (g) g.n++;
    else groups.set(k, { ls: labels(withValue), n: 1 });
  }
  const out = new Vector();
  for (const g of groups.values()) out.push(g.ls, g.n, false);
  return out;
}
