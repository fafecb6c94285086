// Binary operators: arithmetic, comparison (filtering or `bool`) and set operators between scalars and
// vectors, with on/ignoring matching and group_left/group_right, plus unary minus.

import type { Binary, BinaryOp, Unary, VectorMatching } from './ast.js';
import { isComparison, isSetOp } from './ast.js';
import type { Evaluator } from './engine.js';
import { PromQLEvalError } from './errors.js';
import { goPow } from './float-math.js';
import { applyWithHistograms, type HistogramOpOutcome } from './histogram-binary.js';
import { LabelSet, METRIC_NAME } from './labels.js';
import { scaleHistogram, type NativeHistogram } from './native-histogram.js';
import { Vector, scalar, type Value } from './values.js';

const ARITHMETIC = new Set<BinaryOp>(['+', '-', '*', '/', '%', '^', 'atan2']);

/** Applies op to two floats; `keep` is false when a comparison filters the pair out. */
function apply(op: BinaryOp, l: number, r: number): { v: number; keep: boolean } {
  switch (op) {
    case '+': return { v: l + r, keep: true };
    case '-': return { v: l - r, keep: true };
    case '*': return { v: l * r, keep: true };
    case '/': return { v: l / r, keep: true };
    case '%': return { v: l % r, keep: true };
    case '^': return { v: goPow(l, r), keep: true };
    case 'atan2': return { v: Math.atan2(l, r), keep: true };
    case '==': return { v: l, keep: l === r };
    case '!=': return { v: l, keep: l !== r };
    case '>': return { v: l, keep: l > r };
    case '<': return { v: l, keep: l < r };
    case '>=': return { v: l, keep: l >= r };
    case '<=': return { v: l, keep: l <= r };
    default: throw new PromQLEvalError(`operator ${op} not allowed for scalar operations`);
  }
}

export function evalUnary(e: Unary, v: Value): Value {
  if (e.op === '+') return v;
  if (v.kind === 'scalar') return scalar(-v.v);
  if (v.kind !== 'vector') throw new PromQLEvalError('unary minus needs a scalar or instant vector');
  const out = new Vector();
  const hs = v.hs;
  for (let i = 0; i < v.length; i++) {
    const h = hs === null ? undefined : hs[i];
    if (h !== undefined) out.pushHistogram(v.ls[i] as LabelSet, scaleHistogram(h, -1), true);
    else out.push(v.ls[i] as LabelSet, -(v.vs[i] as number), true);
  }
  return out;
}

/** Applies `op` to two samples of which at least one may be a histogram; reports what Prometheus reports. */
function applySamples(
  ev: Evaluator, e: Binary, lf: number, rf: number, lh: NativeHistogram | undefined, rh: NativeHistogram | undefined,
): HistogramOpOutcome {
  if (lh === undefined && rh === undefined) {
    const r = apply(e.op, lf, rf);
    return { ok: true, v: r.v, h: undefined, keep: r.keep };
  }
  const r = applyWithHistograms(e.op, lf, rf, lh, rh);
  const note = r.ok ? r.note : r;
  if (note?.info !== undefined) ev.annotations.info(note.info, e.pos);
  if (note?.warn !== undefined) ev.annotations.warn(note.warn, e.pos);
  return r;
}

export function evalBinary(ev: Evaluator, e: Binary, t: number): Value {
  const lhs = ev.eval(e.lhs, t);
  const rhs = ev.eval(e.rhs, t);
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    const { v, keep } = apply(e.op, lhs.v, rhs.v);
    return scalar(isComparison(e.op) ? (keep ? 1 : 0) : v);
  }
  if (lhs.kind === 'vector' && rhs.kind === 'scalar') {
    return lhs.hs === null ? vectorScalar(e, lhs, rhs.v, false) : histogramVectorScalar(ev, e, lhs, rhs.v, false);
  }
  if (lhs.kind === 'scalar' && rhs.kind === 'vector') {
    return rhs.hs === null ? vectorScalar(e, rhs, lhs.v, true) : histogramVectorScalar(ev, e, rhs, lhs.v, true);
  }
  if (lhs.kind !== 'vector' || rhs.kind !== 'vector') {
    throw new PromQLEvalError('binary expression must contain only scalar and instant vector types');
  }
  if (isSetOp(e.op)) return setOp(e.op, e.matching, lhs, rhs);
  return vectorVector(ev, e, lhs, rhs);
}

/** vectorScalar for vectors holding native histograms. */
function histogramVectorScalar(ev: Evaluator, e: Binary, vec: Vector, s: number, scalarOnLeft: boolean): Vector {
  const out = new Vector();
  const comparison = isComparison(e.op);
  const dropName = ARITHMETIC.has(e.op) || e.bool;
  for (let i = 0; i < vec.length; i++) {
    const x = vec.vs[i] as number;
    const h = vec.histogramAt(i);
    const r = scalarOnLeft ? applySamples(ev, e, s, x, undefined, h) : applySamples(ev, e, x, s, h, undefined);
    if (!r.ok) continue;
    const drop = (vec.drop[i] as boolean) || dropName;
    if (e.bool) out.push(vec.ls[i] as LabelSet, r.keep ? 1 : 0, drop);
    else if (!r.keep) continue;
    else if (comparison) out.pushFrom(vec, i, vec.ls[i] as LabelSet, drop);
    else if (r.h !== undefined) out.pushHistogram(vec.ls[i] as LabelSet, r.h, drop);
    else out.push(vec.ls[i] as LabelSet, r.v, drop);
  }
  return out;
}

function vectorScalar(e: Binary, vec: Vector, s: number, scalarOnLeft: boolean): Vector {
  const out = new Vector();
  const comparison = isComparison(e.op);
  const dropName = ARITHMETIC.has(e.op) || e.bool;
  for (let i = 0; i < vec.length; i++) {
    const x = vec.vs[i] as number;
    const r = scalarOnLeft ? apply(e.op, s, x) : apply(e.op, x, s);
    // A comparison keeps the vector's value even when the scalar is written first.
    let v = comparison ? x : r.v;
    if (e.bool) v = r.keep ? 1 : 0;
    else if (!r.keep) continue;
    out.push(vec.ls[i] as LabelSet, v, (vec.drop[i] as boolean) || dropName);
  }
  return out;
}

/** Key under which two series match: the `on` labels, or all labels but the ignored ones and __name__. */
export function signatureFn(m: VectorMatching): (ls: LabelSet) => string {
  if (m.on) {
    const names = [...new Set(m.labels)].sort();
    return (ls) => {
      let k = '';
      for (const n of names) k += `${ls.get(n)}\xff`;
      return k;
    };
  }
  if (m.labels.length === 0) return (ls) => ls.withoutName().key;
  const skip = new Set([...m.labels, METRIC_NAME]);
  return (ls) => ls.filter((n) => !skip.has(n)).key;
}

function matchLabels(ls: LabelSet, m: VectorMatching): LabelSet {
  if (m.on) return ls.filter((n) => m.labels.includes(n));
  return ls.filter((n) => n !== METRIC_NAME && !m.labels.includes(n));
}

function setOp(op: BinaryOp, m: VectorMatching, lhs: Vector, rhs: Vector): Vector {
  const sig = signatureFn(m);
  const out = new Vector();
  if (op === 'or') {
    const leftSigs = new Set<string>();
    for (let i = 0; i < lhs.length; i++) {
      leftSigs.add(sig(lhs.ls[i] as LabelSet));
      out.pushFrom(lhs, i, lhs.ls[i] as LabelSet, lhs.drop[i] as boolean);
    }
    for (let i = 0; i < rhs.length; i++) {
      if (!leftSigs.has(sig(rhs.ls[i] as LabelSet))) out.pushFrom(rhs, i, rhs.ls[i] as LabelSet, rhs.drop[i] as boolean);
    }
    return out;
  }
  const rightSigs = new Set<string>();
  for (let i = 0; i < rhs.length; i++) rightSigs.add(sig(rhs.ls[i] as LabelSet));
  const wantPresent = op === 'and';
  for (let i = 0; i < lhs.length; i++) {
    if (rightSigs.has(sig(lhs.ls[i] as LabelSet)) === wantPresent) {
      out.pushFrom(lhs, i, lhs.ls[i] as LabelSet, lhs.drop[i] as boolean);
    }
  }
  return out;
}

function vectorVector(ev: Evaluator, e: Binary, lhs: Vector, rhs: Vector): Vector {
  const m = e.matching;
  const swapped = m.card === 'one-to-many';
  const many = swapped ? rhs : lhs;
  const one = swapped ? lhs : rhs;
  const sig = signatureFn(m);
  const out = new Vector();
  if (many.length === 0 || one.length === 0) return out;

  const oneBySig = new Map<string, number>();
  for (let i = 0; i < one.length; i++) {
    const ls = one.ls[i] as LabelSet;
    const s = sig(ls);
    const prev = oneBySig.get(s);
    if (prev !== undefined) {
      const side = swapped ? 'left' : 'right';
      throw new PromQLEvalError(
        `found duplicate series for the match group ${matchLabels(ls, m).toString()} on the ${side} hand-side of the operation: ` +
          `[${(one.ls[prev] as LabelSet).toString()}, ${ls.toString()}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    oneBySig.set(s, i);
  }

  const comparison = isComparison(e.op);
  const dropName = ARITHMETIC.has(e.op) || e.bool;
  const oneToOne = m.card === 'one-to-one';
  const withHistograms = many.hs !== null || one.hs !== null;
  const matched = new Map<string, Set<string> | null>();
  for (let i = 0; i < many.length; i++) {
    const mls = many.ls[i] as LabelSet;
    const s = sig(mls);
    const j = oneBySig.get(s);
    if (j === undefined) continue;
    // Ambiguous one-to-one matches are errors even when the comparison would filter them out.
    const seen = matched.get(s);
    if (oneToOne) {
      if (seen !== undefined) {
        throw new PromQLEvalError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      }
      matched.set(s, null);
    }
    const mv = many.vs[i] as number;
    const ov = one.vs[j] as number;
    let h: NativeHistogram | undefined;
    let v: number;
    if (withHistograms) {
      const mh = many.histogramAt(i);
      const oh = one.histogramAt(j);
      const r = swapped ? applySamples(ev, e, ov, mv, oh, mh) : applySamples(ev, e, mv, ov, mh, oh);
      if (!r.ok) continue;
      v = r.v;
      h = r.h;
      if (e.bool) {
        v = r.keep ? 1 : 0;
        h = undefined;
      } else if (!r.keep) continue;
      if (comparison && !e.bool) {
        v = swapped ? ov : mv;
        h = swapped ? oh : mh;
      }
    } else {
      const r = swapped ? apply(e.op, ov, mv) : apply(e.op, mv, ov);
      v = r.v;
      if (e.bool) v = r.keep ? 1 : 0;
      else if (!r.keep) continue;
      if (comparison && !e.bool) v = swapped ? ov : mv;
    }
    const ls = resultLabels(mls, one.ls[j] as LabelSet, m);
    if (!oneToOne) {
      let set = seen ?? null;
      if (set === null) {
        set = new Set();
        matched.set(s, set);
      } else if (set.has(ls.key)) {
        throw new PromQLEvalError('multiple matches for labels: grouping labels must ensure unique matches');
      }
      set.add(ls.key);
    }
    if (h !== undefined) out.pushHistogram(ls, h, (many.drop[i] as boolean) || dropName);
    else out.push(ls, v, (many.drop[i] as boolean) || dropName);
  }
  return out;
}

function resultLabels(many: LabelSet, one: LabelSet, m: VectorMatching): LabelSet {
  let ls = many;
  if (m.card === 'one-to-one') {
    ls = m.on ? ls.filter((n) => m.labels.includes(n)) : m.labels.length > 0 ? ls.filter((n) => !m.labels.includes(n)) : ls;
  }
  for (const n of m.include) ls = ls.with(n, one.get(n));
  return ls;
}
