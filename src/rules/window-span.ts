// How far back in time each selector of an expression reads, so the series window keeps what the
// rules need and no more: a metric read over [6h] keeps 6 hours, the others keep the lookback.
import type { Expr, VectorSelector } from '../promql/index.js';

export interface Reach {
  /** The metric name the selector is pinned to, if it is (`__name__=` a literal). */
  name: string | undefined;
  /** How far before the evaluation time it reads, in ms. */
  spanMs: number;
}

/**
 * Every selector of `e` with its reach: its range or the lookback, plus its offset and those of
 * the subqueries around it. Selectors pinned with `@` read fixed instants and count as the lookback.
 */
export function selectorReach(e: Expr, lookbackMs: number, outerMs = 0, out: Reach[] = []): Reach[] {
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
      break;
    case 'VectorSelector':
      out.push({ name: nameOf(e), spanMs: outerMs + Math.max(0, e.offset) + lookbackMs });
      break;
    case 'MatrixSelector':
      out.push({ name: nameOf(e.vector), spanMs: outerMs + Math.max(0, e.vector.offset) + e.range });
      break;
    case 'Subquery':
      // The inner expression is evaluated at every step of the range, the earliest `range` back.
      selectorReach(e.expr, lookbackMs, outerMs + Math.max(0, e.offset) + e.range, out);
      break;
    case 'Call':
      for (const a of e.args) selectorReach(a, lookbackMs, outerMs, out);
      break;
    case 'Aggregate':
      selectorReach(e.expr, lookbackMs, outerMs, out);
      if (e.param) selectorReach(e.param, lookbackMs, outerMs, out);
      break;
    case 'Binary':
      selectorReach(e.lhs, lookbackMs, outerMs, out);
      selectorReach(e.rhs, lookbackMs, outerMs, out);
      break;
    case 'Unary':
    case 'Paren':
      selectorReach(e.expr, lookbackMs, outerMs, out);
      break;
  }
  return out;
}

function nameOf(s: VectorSelector): string | undefined {
  return s.matchers.find((m) => m.name === '__name__' && m.op === '=')?.value;
}
