// Binary operators on samples where at least one side is a native histogram (Prometheus's vectorElemBinop):
// histogram ± histogram, histogram * or / scalar, scalar * histogram, and (in)equality of histograms. Every other
// combination has no result and is reported as an info.

import type { BinaryOp } from './ast.js';
import {
  addHistograms, compact, divideHistogram, histogramsEqual, scaleHistogram, subHistograms, type NativeHistogram,
} from './native-histogram.js';

export type HistogramOpOutcome =
  | { ok: true; v: number; h: NativeHistogram | undefined; keep: boolean; note?: { info?: string; warn?: string } }
  | { ok: false; info?: string; warn?: string };

function incompatible(l: NativeHistogram | undefined, op: BinaryOp, r: NativeHistogram | undefined): HistogramOpOutcome {
  const type = (h: NativeHistogram | undefined): string => (h === undefined ? 'float' : 'histogram');
  return { ok: false, info: `incompatible sample types encountered for binary operator "${op}": ${type(l)} ${op} ${type(r)}` };
}

/** Applies `op` where `lh`/`rh` (if set) replace the float operands `lf`/`rf`; both floats is not handled here. */
export function applyWithHistograms(
  op: BinaryOp, lf: number, rf: number, lh: NativeHistogram | undefined, rh: NativeHistogram | undefined,
): HistogramOpOutcome {
  if (lh === undefined && rh !== undefined) {
    if (op === '*') return { ok: true, v: 0, h: compact(scaleHistogram(rh, lf)), keep: true };
    return incompatible(lh, op, rh);
  }
  if (lh !== undefined && rh === undefined) {
    if (op === '*') return { ok: true, v: 0, h: compact(scaleHistogram(lh, rf)), keep: true };
    if (op === '/') return { ok: true, v: 0, h: compact(divideHistogram(lh, rf)), keep: true };
    return incompatible(lh, op, rh);
  }
  if (lh === undefined || rh === undefined) return incompatible(lh, op, rh);
  if (op === '+' || op === '-') {
    const r = op === '+' ? addHistograms(lh, rh) : subHistograms(lh, rh);
    if (r === null) return { ok: false, warn: `incompatible bucket layout encountered for binary operator ${op}` };
    const what = op === '+' ? 'addition' : 'subtraction';
    const note = {
      ...(r.counterResetCollision ? { warn: `conflicting counter resets during histogram ${what}` } : {}),
      ...(r.boundsReconciled ? { info: `mismatched custom buckets were reconciled during ${what}` } : {}),
    };
    return { ok: true, v: 0, h: compact(r.h), keep: true, note };
  }
  if (op === '==' || op === '!=') {
    const equal = histogramsEqual(compact(lh), compact(rh));
    return { ok: true, v: 0, h: lh, keep: op === '==' ? equal : !equal };
  }
  return incompatible(lh, op, rh);
}
