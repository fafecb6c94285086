// How far back in time each selector of an expression reads, so the series window keeps what the
// rules need and no more: a metric read over [6h] keeps 6 hours, the others keep the lookback.
import type { Expr, VectorSelector } from '../promql/index.js';
import type { RuleGroupDef } from './rule-file.js';

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

/** A group as far as the window cares: its rules, how often and how far back it evaluates them. */
export interface GroupReach {
  def: Pick<RuleGroupDef, 'rules'>;
  intervalMs: number;
  queryOffsetMs: number;
}

/**
 * What the window keeps for these groups: every series the lookback plus an interval; a metric
 * some rule reads further back (rate(x[1h]), predict_linear(y[6h])) that long, and only that one.
 */
export function windowRetention(groups: readonly GroupReach[], lookbackMs: number): { retentionMs: number; byName: Map<string, number> } {
  let retentionMs = lookbackMs + Math.max(0, ...groups.map((g) => g.intervalMs + g.queryOffsetMs));
  const byName = new Map<string, number>();
  for (const g of groups) {
    for (const r of g.def.rules) {
      for (const reach of selectorReach(r.expr, lookbackMs)) {
        const span = reach.spanMs + g.intervalMs + g.queryOffsetMs;
        if (reach.name === undefined) retentionMs = Math.max(retentionMs, span);
        else byName.set(reach.name, Math.max(byName.get(reach.name) ?? 0, span));
      }
    }
  }
  for (const [name, span] of byName) if (span <= retentionMs) byName.delete(name);
  return { retentionMs, byName };
}
