// How far back in time an expression reads, so the series window keeps exactly what the rules
// need: the longest range (with its offset, through nested subqueries) plus the lookback.
import type { Expr } from '../promql/index.js';

/**
 * The span before the evaluation time that `e` reads samples from, in ms. Selectors pinned with
 * `@` read fixed instants and are not counted: the window cannot keep all history for them.
 */
export function spanOf(e: Expr, lookbackMs: number): number {
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
      return 0;
    case 'VectorSelector':
      return Math.max(0, e.offset) + lookbackMs;
    case 'MatrixSelector':
      return Math.max(0, e.vector.offset) + e.range;
    case 'Subquery':
      // The inner expression is evaluated at every step of the range, the earliest `range` back.
      return Math.max(0, e.offset) + e.range + spanOf(e.expr, lookbackMs);
    case 'Call':
      return Math.max(0, ...e.args.map((a) => spanOf(a, lookbackMs)));
    case 'Aggregate':
      return Math.max(spanOf(e.expr, lookbackMs), e.param ? spanOf(e.param, lookbackMs) : 0);
    case 'Binary':
      return Math.max(spanOf(e.lhs, lookbackMs), spanOf(e.rhs, lookbackMs));
    case 'Unary':
    case 'Paren':
      return spanOf(e.expr, lookbackMs);
  }
}
