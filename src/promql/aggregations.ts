// Aggregation operators (sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk, count_values,
// quantile) with by/without grouping; groups are emitted in order of first appearance, like Prometheus.

import type { Aggregate } from './ast.js';
import type { Evaluator } from './engine.js';
import { PromQLEvalError } from './errors.js';
import { formatFloatG, formatFloatPlain, kahanSumInc, quantile } from './float-math.js';
import { LabelSet, METRIC_NAME } from './labels.js';
import { Vector, type Value } from './values.js';

interface Group {
  ls: LabelSet;
  drop: boolean;
  count: number;
  value: number;
  c: number;
  mean: number;
  incremental: boolean;
  /** Sample indices, for topk/bottomk/quantile. */
  members: number[];
}

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

  if (e.op === 'count_values') return countValues(v, key, labels, label);

  if ((e.op === 'topk' || e.op === 'bottomk') && Number.isNaN(param)) {
    throw new PromQLEvalError('Parameter value is NaN');
  }
  if (e.op === 'quantile' && (Number.isNaN(param) || param < 0 || param > 1)) {
    ev.annotations.warn(`quantile value should be between 0 and 1, got ${formatFloatG(param)}`, (e.param ?? e).pos);
  }

  const groups = new Map<string, Group>();
  const order: Group[] = [];
  for (let i = 0; i < v.length; i++) {
    const ls = v.ls[i] as LabelSet;
    const f = v.vs[i] as number;
    const k = key(ls);
    let g = groups.get(k);
    if (!g) {
      g = { ls: labels(ls), drop: false, count: 1, value: f, c: 0, mean: f, incremental: false, members: [i] };
      // NaN or ±Inf makes the variance undefined from the start, as in Prometheus.
      if (e.op === 'stddev' || e.op === 'stdvar') g.value = Number.isFinite(f) ? 0 : NaN;
      groups.set(k, g);
      order.push(g);
      g.drop = (v.drop[i] as boolean) && g.ls.has(METRIC_NAME);
      continue;
    }
    if (v.drop[i] && g.ls.has(METRIC_NAME)) g.drop = true;
    g.count++;
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
    const value = formatFloatPlain(v.vs[i] as number);
    const k = `${key(ls)}\xfe${value}`;
    const g = groups.get(k);
    if (g) g.n++;
    else groups.set(k, { ls: labels(ls).with(label, value), n: 1 });
  }
  const out = new Vector();
  for (const g of groups.values()) out.push(g.ls, g.n, false);
  return out;
}
