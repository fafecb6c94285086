// Adapter from lezer-promql's error-tolerant concrete tree to healthmon's typed AST (ast.ts).
// Any error node becomes a PromQLParseError; parseExpr also runs the type checker, as Prometheus's parser does.

import type { SyntaxNode } from '@lezer/common';
import { parser as lezer } from '@prometheus-io/lezer-promql';
import type {
  AggregateOp, AtModifier, BinaryOp, Expr, LabelMatcher, MatchOp, VectorMatching, VectorSelector,
} from './ast.js';
import { PromQLParseError } from './errors.js';
import { METRIC_NAME } from './labels.js';
import { parseNumberText, parseUnitDuration, unquoteString } from './literals.js';
import { compileMatcher } from './matchers.js';
import { checkTypes } from './type-check.js';

const BINARY_OPS: Record<string, BinaryOp> = {
  Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^', Atan2: 'atan2',
  Eql: '==', Neq: '!=', Gtr: '>', Lss: '<', Gte: '>=', Lte: '<=',
  And: 'and', Or: 'or', Unless: 'unless',
};

const MATCH_OPS: Record<string, MatchOp> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

const PARAM_AGGREGATES = new Set<AggregateOp>(['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);

const EXPERIMENTAL_NODES: Record<string, string> = {
  AnchoredExpr: 'the anchored modifier',
  SmoothedExpr: 'the smoothed modifier',
  FillModifier: 'fill modifiers',
  TrimUpper: 'the </ operator',
  TrimLower: 'the >/ operator',
};

/** Parses and type-checks a PromQL expression. */
export function parseExpr(text: string): Expr {
  const expr = parseSyntax(text);
  checkTypes(expr, text);
  return expr;
}

/** Parses without type checking (for tools that want to report type errors separately). */
export function parseSyntax(text: string): Expr {
  let tree = lezer.parse(text);
  const renamed = new Map<number, string>();
  for (;;) {
    // lezer-promql rejects a trailing-dot number ("2."), which Prometheus accepts; blank the dot and retry.
    const fixed = lenientNumbers(tree.topNode, text);
    if (fixed !== null) {
      text = fixed;
      tree = lezer.parse(text);
      continue;
    }
    // lezer-promql knows min_of/max_of only inside durations; parse the call under a stand-in name.
    const at = pairFunctionCall(tree.topNode, text);
    if (at !== null) {
      renamed.set(at, text.slice(at, at + STAND_IN.length));
      text = text.slice(0, at) + STAND_IN + text.slice(at + STAND_IN.length);
      tree = lezer.parse(text);
      continue;
    }
    break;
  }
  reportSyntaxErrors(tree.topNode, text);
  const top = tree.topNode.firstChild;
  if (top === null) throw new PromQLParseError('no expression found in input', text, 0);
  return new Converter(text, renamed).expr(top);
}

/** Prometheus's experimental scalar functions of two scalars; both names are as long as the stand-in. */
const PAIR_FUNCTIONS = new Set(['min_of', 'max_of']);
const STAND_IN = 'scalar';

/** Offset of a min_of/max_of call that lezer-promql failed to parse, if the first syntax error is one. */
function pairFunctionCall(root: SyntaxNode, text: string): number | null {
  const cursor = root.cursor();
  do {
    if (cursor.type.isError) {
      const prev = cursor.node.prevSibling;
      if (prev?.name === 'Identifier' && text[cursor.from] === '(' && PAIR_FUNCTIONS.has(text.slice(prev.from, prev.to))) {
        return prev.from;
      }
      return null;
    }
  } while (cursor.next());
  return null;
}

function lenientNumbers(root: SyntaxNode, text: string): string | null {
  const cursor = root.cursor();
  do {
    if (cursor.type.isError) {
      const p = cursor.from;
      if (text[p] === '.' && /[0-9]/.test(text[p - 1] ?? '') && !/[0-9]/.test(text[p + 1] ?? '')) {
        return `${text.slice(0, p)} ${text.slice(p + 1)}`;
      }
      return null;
    }
  } while (cursor.next());
  return null;
}

function reportSyntaxErrors(root: SyntaxNode, text: string): void {
  const cursor = root.cursor();
  do {
    if (cursor.type.isError) {
      const node = cursor.node;
      const prev = node.prevSibling;
      const isCall = prev?.name === 'Identifier' && text[node.from] === '(';
      const at = isCall && prev ? prev.from : node.from;
      throw new PromQLParseError(describeError(node, text), text, at);
    }
  } while (cursor.next());
}

function describeError(node: SyntaxNode, text: string): string {
  const prev = node.prevSibling;
  if (prev?.name === 'Identifier' && text[node.from] === '(') {
    return `unknown function with name ${JSON.stringify(text.slice(prev.from, prev.to))}`;
  }
  const rest = text.slice(node.from).trimStart();
  if (rest === '') return 'unexpected end of input';
  const tok = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*|\d[\w.]*|"[^"]*"?|'[^']*'?|.)/.exec(rest)?.[0] ?? rest[0];
  if (/^["'`]/.test(tok ?? '') && !(tok as string).endsWith(tok?.[0] as string)) return 'unterminated quoted string';
  return `unexpected ${JSON.stringify(tok)}`;
}

/**
 * lezer-promql applies a postfix range or subquery to a whole unparenthesised binary or unary expression
 * ("a / b[5m:]"); Prometheus applies it to the operand right before it, so rebuild it there.
 */
function rebindPostfix(e: Expr, make: (operand: Expr) => Expr): Expr {
  if (e.kind === 'Binary') return { ...e, rhs: rebindPostfix(e.rhs, make) };
  if (e.kind === 'Unary') return { ...e, expr: rebindPostfix(e.expr, make) };
  return make(e);
}

class Converter {
  /** `renamed`: offsets of function names parsed under a stand-in, with their real names. */
  constructor(
    private readonly src: string,
    private readonly renamed: ReadonlyMap<number, string> = new Map(),
  ) {}

  private text(n: SyntaxNode): string {
    return this.src.slice(n.from, n.to);
  }

  private fail(msg: string, n: SyntaxNode | number, unsupported = false): never {
    throw new PromQLParseError(msg, this.src, typeof n === 'number' ? n : n.from, { unsupported });
  }

  private children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c !== null; c = c.nextSibling) out.push(c);
    return out;
  }

  private exprChildren(n: SyntaxNode): SyntaxNode[] {
    return this.children(n).filter((c) => c.type.is('Expr'));
  }

  expr(n: SyntaxNode): Expr {
    const pos = { start: n.from, end: n.to };
    const experimental = EXPERIMENTAL_NODES[n.name];
    if (experimental !== undefined) this.fail(`${experimental} is an experimental feature healthmon does not support`, n, true);
    switch (n.name) {
      case 'NumberDurationLiteral': {
        const v = parseNumberText(this.text(n));
        if (v === null) this.fail(`bad number or duration syntax: ${JSON.stringify(this.text(n))}`, n);
        return { kind: 'NumberLiteral', value: v, pos };
      }
      case 'StringLiteral':
        return { kind: 'StringLiteral', value: this.string(n), pos };
      case 'ParenExpr': {
        const inner = this.exprChildren(n)[0];
        if (!inner) this.fail('unexpected ")"', n);
        return { kind: 'Paren', expr: this.expr(inner), pos };
      }
      case 'UnaryExpr': {
        const opNode = n.getChild('UnaryOp');
        const inner = this.exprChildren(n)[0];
        if (!opNode || !inner) this.fail('unexpected unary expression', n);
        const op = this.text(opNode) === '-' ? '-' : '+';
        const e = this.expr(inner);
        // Prometheus folds a sign into a number literal ("-1" is one literal).
        if (e.kind === 'NumberLiteral') return { kind: 'NumberLiteral', value: op === '-' ? -e.value : e.value, pos };
        return { kind: 'Unary', op, expr: e, pos };
      }
      case 'BinaryExpr':
        return this.binary(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'FunctionCall':
        return this.call(n);
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector': {
        const inner = this.exprChildren(n)[0];
        const dur = n.getChild('DurationExpr');
        if (!inner || !dur) this.fail('unexpected range', n);
        const range = this.duration(dur);
        if (range <= 0) this.fail(`cannot use a range of ${this.text(dur)}: the range must be positive`, dur);
        return rebindPostfix(this.expr(inner), (vec) => {
          if (vec.kind !== 'VectorSelector') this.fail('ranges only allowed for vector selectors', n);
          if (vec.offset !== 0 || vec.at !== null) this.fail('no offset modifiers allowed before range', n);
          return { kind: 'MatrixSelector', vector: vec, range, pos: { start: vec.pos.start, end: n.to } };
        });
      }
      case 'SubqueryExpr': {
        const inner = this.exprChildren(n)[0];
        const durs = n.getChildren('DurationExpr');
        if (!inner || !durs[0]) this.fail('unexpected subquery', n);
        const range = this.duration(durs[0]);
        const step = durs[1] ? this.duration(durs[1]) : null;
        if (range <= 0) this.fail(`cannot use a range of ${this.text(durs[0])}: the range must be positive`, durs[0]);
        if (step !== null && step <= 0) this.fail(`cannot use a step of ${this.text(durs[1] as SyntaxNode)}: the step must be positive`, durs[1] as SyntaxNode);
        return rebindPostfix(this.expr(inner), (e) => ({
          kind: 'Subquery', expr: e, range, step, offset: 0, at: null, pos: { start: e.pos.start, end: n.to },
        }));
      }
      case 'OffsetExpr': {
        const inner = this.exprChildren(n)[0];
        const dur = n.getChild('OffsetDurationExpr');
        if (!inner || !dur) this.fail('unexpected offset', n);
        const e = this.expr(inner);
        const target = this.modifierTarget(e, 'offset', n);
        if (target.offset !== 0) this.fail('offset may not be set multiple times', n);
        target.offset = this.offsetDuration(dur);
        return { ...e, pos };
      }
      case 'StepInvariantExpr': {
        const inner = this.exprChildren(n)[0];
        if (!inner) this.fail('unexpected @', n);
        const e = this.expr(inner);
        const target = this.modifierTarget(e, '@', n);
        if (target.at !== null) this.fail('@ <timestamp> may not be set multiple times', n);
        target.at = this.atModifier(n, inner);
        return { ...e, pos };
      }
      default:
        return this.fail(`unexpected ${JSON.stringify(this.text(n))}`, n);
    }
  }

  /** offset and @ attach to a selector, the selector inside a range, or a subquery. */
  private modifierTarget(e: Expr, what: string, n: SyntaxNode): { offset: number; at: AtModifier | null } {
    if (e.kind === 'VectorSelector' || e.kind === 'Subquery') return e;
    if (e.kind === 'MatrixSelector') return e.vector;
    // lezer-promql attaches a trailing modifier to a whole binary or unary expression ("a + b offset 1m");
    // Prometheus binds it to the operand right before it.
    if (e.kind === 'Binary') return this.modifierTarget(e.rhs, what, n);
    if (e.kind === 'Unary') return this.modifierTarget(e.expr, what, n);
    return this.fail(`${what} modifier must be preceded by an instant vector selector or range vector selector or a subquery`, n);
  }

  private atModifier(n: SyntaxNode, inner: SyntaxNode): AtModifier {
    let seenAt = false;
    for (let c = inner.nextSibling; c !== null; c = c.nextSibling) {
      if (c.name === 'At') {
        seenAt = true;
        continue;
      }
      if (!seenAt) continue;
      if (c.name === 'AtModifierPreprocessors') {
        return c.getChild('AtStart') ? { kind: 'start' } : { kind: 'end' };
      }
      if (c.name === 'NumberDurationLiteral') {
        const v = parseNumberText(this.text(c));
        if (v === null || !Number.isFinite(v)) this.fail(`invalid timestamp for @ modifier: ${this.text(c)}`, c);
        return { kind: 'time', ms: Math.round(v * 1000) };
      }
      if (c.name === 'UnaryExpr') {
        const lit = c.getChild('NumberDurationLiteral');
        const v = lit ? parseNumberText(this.text(lit)) : null;
        if (v === null || !Number.isFinite(v)) this.fail(`invalid timestamp for @ modifier: ${this.text(c)}`, c);
        return { kind: 'time', ms: Math.round((this.text(c).trimStart().startsWith('-') ? -v : v) * 1000) };
      }
    }
    return this.fail('unexpected @ modifier', n);
  }

  private duration(n: SyntaxNode): number {
    const lit = n.getChild('NumberDurationLiteralInDurationContext');
    if (!lit || n.firstChild?.nextSibling) {
      this.fail('duration expressions are an experimental feature healthmon does not support', n, true);
    }
    const text = this.text(lit);
    const ms = parseUnitDuration(text) ?? (() => {
      const v = parseNumberText(text);
      return v === null || !Number.isFinite(v) ? null : Math.round(v * 1000);
    })();
    if (ms === null) this.fail(`bad duration syntax: ${JSON.stringify(text)}`, n);
    return ms;
  }

  private offsetDuration(n: SyntaxNode): number {
    const first = n.firstChild;
    if (first?.name === 'UnaryOp') {
      const inner = n.getChild('OffsetDurationExpr');
      if (!inner) this.fail('bad offset', n);
      const v = this.offsetDuration(inner);
      return this.text(first) === '-' ? -v : v;
    }
    return this.duration(n);
  }

  private string(n: SyntaxNode): string {
    try {
      return unquoteString(this.text(n));
    } catch (err) {
      return this.fail((err as Error).message, n);
    }
  }

  private binary(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const exprs = kids.filter((c) => c.type.is('Expr'));
    const opNode = kids.find((c) => BINARY_OPS[c.name] !== undefined || EXPERIMENTAL_NODES[c.name] !== undefined);
    const lhsNode = exprs[0];
    const rhsNode = exprs[1];
    if (!opNode || !lhsNode || !rhsNode) this.fail('malformed binary expression', n);
    const experimental = EXPERIMENTAL_NODES[opNode.name];
    if (experimental !== undefined) this.fail(`${experimental} is an experimental feature healthmon does not support`, opNode, true);
    if (n.getChild('FillModifier')) this.fail('fill modifiers are an experimental feature healthmon does not support', n, true);
    const op = BINARY_OPS[opNode.name] as BinaryOp;
    const matching: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };
    const clause = n.getChild('MatchingModifierClause');
    if (clause) {
      const groupings = clause.getChildren('GroupingLabels');
      matching.on = clause.getChild('On') !== null;
      matching.labels = groupings[0] ? this.groupingLabels(groupings[0]) : [];
      if (clause.getChild('GroupLeft')) matching.card = 'many-to-one';
      if (clause.getChild('GroupRight')) matching.card = 'one-to-many';
      if (matching.card !== 'one-to-one' && groupings[1]) matching.include = this.groupingLabels(groupings[1]);
    }
    if (op === 'and' || op === 'or' || op === 'unless') {
      if (matching.card === 'one-to-one') matching.card = 'many-to-many';
    }
    return {
      kind: 'Binary', op, lhs: this.expr(lhsNode), rhs: this.expr(rhsNode),
      bool: n.getChild('BoolModifier') !== null, matching, pos: { start: n.from, end: n.to },
    };
  }

  private groupingLabels(n: SyntaxNode): string[] {
    const out: string[] = [];
    for (let c = n.firstChild; c !== null; c = c.nextSibling) {
      if (c.name === 'LabelName') out.push(this.text(c));
      else if (c.name === 'QuotedLabelName' || c.name === 'StringLiteral') {
        const s = c.name === 'StringLiteral' ? c : c.getChild('StringLiteral');
        if (s) out.push(this.string(s));
      }
    }
    return out;
  }

  private aggregate(n: SyntaxNode): Expr {
    const opNode = n.getChild('AggregateOp');
    const body = n.getChild('FunctionCallBody');
    if (!opNode || !body) this.fail('malformed aggregation', n);
    const op = this.text(opNode).toLowerCase() as AggregateOp;
    const args = this.exprChildren(body);
    const wantParam = PARAM_AGGREGATES.has(op);
    const want = wantParam ? 2 : 1;
    if (args.length !== want) {
      this.fail(`wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`, body);
    }
    const modifier = n.getChild('AggregateModifier');
    const grouping = modifier?.getChild('GroupingLabels');
    return {
      kind: 'Aggregate', op,
      param: wantParam ? this.expr(args[0] as SyntaxNode) : null,
      expr: this.expr(args[want - 1] as SyntaxNode),
      grouping: grouping ? this.groupingLabels(grouping) : [],
      without: modifier?.getChild('Without') !== null && modifier !== null,
      pos: { start: n.from, end: n.to },
    };
  }

  private call(n: SyntaxNode): Expr {
    const id = n.getChild('FunctionIdentifier');
    const body = n.getChild('FunctionCallBody');
    if (!id || !body) this.fail('malformed function call', n);
    const func = this.renamed.get(id.from) ?? this.text(id);
    return { kind: 'Call', func, args: this.exprChildren(body).map((c) => this.expr(c)), pos: { start: n.from, end: n.to } };
  }

  private vectorSelector(n: SyntaxNode): VectorSelector {
    const ident = n.getChild('Identifier');
    const name = ident ? this.text(ident) : null;
    const matchers: LabelMatcher[] = [];
    const list = n.getChild('LabelMatchers');
    if (list) {
      for (let c = list.firstChild; c !== null; c = c.nextSibling) {
        if (c.name === 'QuotedLabelName') {
          // {"metric.name"} is a name, written as a bare quoted string.
          const s = c.getChild('StringLiteral');
          if (s) matchers.push({ name: METRIC_NAME, op: '=', value: this.string(s) });
          continue;
        }
        if (c.name !== 'UnquotedLabelMatcher' && c.name !== 'QuotedLabelMatcher') continue;
        const ln = c.getChild('LabelName') ?? c.getChild('QuotedLabelName')?.getChild('StringLiteral');
        const mo = c.getChild('MatchOp')?.firstChild;
        const val = c.getChild('StringLiteral');
        if (!ln || !mo || !val) this.fail('malformed label matcher', c);
        const labelName = ln.name === 'StringLiteral' ? this.string(ln) : this.text(ln);
        const op = MATCH_OPS[mo.name];
        if (!op) this.fail(`unexpected ${JSON.stringify(this.text(mo))} in label matching`, mo);
        const m: LabelMatcher = { name: labelName, op, value: this.string(val) };
        try {
          compileMatcher(m);
        } catch (err) {
          this.fail((err as Error).message, val);
        }
        matchers.push(m);
      }
    }
    const nameMatchers = matchers.filter((m) => m.name === METRIC_NAME && m.op === '=');
    let metricName = name;
    if (name !== null) {
      const dup = matchers.find((m) => m.name === METRIC_NAME);
      if (dup) this.fail(`metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(dup.value)}`, n);
      matchers.unshift({ name: METRIC_NAME, op: '=', value: name });
    } else if (nameMatchers.length > 1 && list?.firstChild?.name === 'QuotedLabelName') {
      this.fail(`metric name must not be set twice: ${JSON.stringify(nameMatchers[0]?.value)} or ${JSON.stringify(nameMatchers[1]?.value)}`, n);
    } else if (nameMatchers.length === 1) {
      metricName = nameMatchers[0]?.value ?? null;
    }
    // A selector that matches every series (all matchers accept "") would be a full scan; Prometheus forbids it.
    const nonEmpty = matchers.some((m) => !compileMatcher(m).matches(''));
    if (!nonEmpty) this.fail('vector selector must contain at least one non-empty matcher', n);
    return { kind: 'VectorSelector', name: metricName, matchers, offset: 0, at: null, pos: { start: n.from, end: n.to } };
  }
}
