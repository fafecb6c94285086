// The typed PromQL syntax tree healthmon evaluates; built from lezer-promql's concrete tree by parser.ts.
// Durations and timestamps are integer milliseconds; `pos` is a [start, end) offset range in the source.

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export interface PosRange {
  start: number;
  end: number;
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** `@ <ts>` in ms, or `@ start()` / `@ end()` resolved against the outermost query range. */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export type AggregateOp =
  | 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar'
  | 'topk' | 'bottomk' | 'count_values' | 'quantile' | 'limitk' | 'limit_ratio';

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** true for `on(...)`, false for `ignoring(...)` or no clause. */
  on: boolean;
  labels: string[];
  /** Extra labels copied from the "one" side by group_left/group_right. */
  include: string[];
}

interface Node {
  pos: PosRange;
}

export interface NumberLiteral extends Node {
  kind: 'NumberLiteral';
  value: number;
}

export interface StringLiteral extends Node {
  kind: 'StringLiteral';
  value: string;
}

export interface VectorSelector extends Node {
  kind: 'VectorSelector';
  /** Metric name if written before the braces (it is also present in `matchers`). */
  name: string | null;
  matchers: LabelMatcher[];
  offset: number;
  at: AtModifier | null;
}

export interface MatrixSelector extends Node {
  kind: 'MatrixSelector';
  /** Offset and `@` of the range live on this inner selector, as in Prometheus. */
  vector: VectorSelector;
  range: number;
}

export interface Subquery extends Node {
  kind: 'Subquery';
  expr: Expr;
  range: number;
  /** null = the engine's default subquery step. */
  step: number | null;
  offset: number;
  at: AtModifier | null;
}

export interface Call extends Node {
  kind: 'Call';
  func: string;
  args: Expr[];
}

export interface Aggregate extends Node {
  kind: 'Aggregate';
  op: AggregateOp;
  expr: Expr;
  param: Expr | null;
  grouping: string[];
  without: boolean;
}

export interface Binary extends Node {
  kind: 'Binary';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  bool: boolean;
  matching: VectorMatching;
}

export interface Unary extends Node {
  kind: 'Unary';
  op: '-' | '+';
  expr: Expr;
}

export interface Paren extends Node {
  kind: 'Paren';
  expr: Expr;
}

export type Expr =
  | NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | Subquery
  | Call | Aggregate | Binary | Unary | Paren;

export const COMPARISON_OPS: ReadonlySet<string> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const SET_OPS: ReadonlySet<string> = new Set(['and', 'or', 'unless']);

export function isComparison(op: BinaryOp): op is ComparisonOp {
  return COMPARISON_OPS.has(op);
}

export function isSetOp(op: BinaryOp): op is SetOp {
  return SET_OPS.has(op);
}
