import { describe, expect, it } from 'vitest';
import { PromQLParseError } from './errors.js';
import { parseExpr } from './parser.js';
import { exprType } from './type-check.js';

function parseError(text: string): PromQLParseError {
  try {
    parseExpr(text);
  } catch (err) {
    if (err instanceof PromQLParseError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseExpr accepts', () => {
  it.each([
    ['up', 'vector'],
    ['rate(http_requests_total{job="api"}[5m])', 'vector'],
    ['sum by (job) (rate(x_total[5m])) > 0.5', 'vector'],
    ['histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))', 'vector'],
    ['predict_linear(node_filesystem_avail_bytes[6h], 4*3600) < 0', 'vector'],
    ['absent(up{job="j"})', 'vector'],
    ['a * on(instance) group_left(version) foo_info', 'vector'],
    ['max_over_time(rate(x[5m])[1h:1m] offset 1d)', 'vector'],
    ['x @ start()', 'vector'],
    ['x[5m] @ 100 offset -1m', 'matrix'],
    ['1 + 2 * 3 ^ 2', 'scalar'],
    ['1 > bool 2', 'scalar'],
    ['"text"', 'string'],
    ['{__name__=~"a|b", job!=""}', 'vector'],
    ['{"metric.with.dots", "label.x"="y"}', 'vector'],
    ['count_values("value", up)', 'vector'],
    ['topk(3, x) without (instance)', 'vector'],
    ['label_replace(up, "dst", "$1", "src", "(.*)")', 'vector'],
    ['time()', 'scalar'],
    ['minute()', 'vector'],
    ['round(x, 0.5)', 'vector'],
    ['0x1f + 1_000 + 1h + Inf + NaN', 'scalar'],
    ['limitk(2, x) + limit_ratio(0.5, x)', 'vector'],
    ['histogram_quantiles(h, "q", 0.5, 0.9)', 'vector'],
    ['end() - start() + range() * step()', 'scalar'],
    ['min_of(1, max_of(2, time()))', 'scalar'],
  ])('%s → %s', (text, type) => {
    expect(exprType(parseExpr(text))).toBe(type);
  });
});

describe('parseExpr rejects', () => {
  it.each([
    ['rate(foo)', '1:6', 'expected type range vector in call to function "rate", got instant vector'],
    ['sum(rate(foo[5m]), 2)', '1:4', 'wrong number of arguments for aggregate expression provided, expected 1, got 2'],
    ['topk(x, y)', '1:6', 'expected type scalar in aggregation parameter, got instant vector'],
    ['count_values(1, y)', '1:14', 'expected type string in aggregation parameter, got scalar'],
    ['1 > 2', '1:2', 'comparisons between scalars must use BOOL modifier'],
    ['a + bool b', '1:2', 'bool modifier can only be used on comparison operators'],
    ['a and 1', '1:1', 'set operator "and" not allowed in binary scalar expression'],
    ['a and on(x) group_left b', '1:1', 'no grouping allowed for "and" operation'],
    ['x[5m] + 1', '1:1', 'binary expression must contain only scalar and instant vector types'],
    ['{a=""}', '1:1', 'vector selector must contain at least one non-empty matcher'],
    ['foo{__name__="bar"}', '1:1', 'metric name must not be set twice: "foo" or "bar"'],
    ['abs(x, y)', '1:1', 'expected 1 argument(s) in call to "abs", got 2'],
    ['label_join(x, "a")', '1:1', 'expected at least 3 argument(s) in call to "label_join", got 2'],
    ['round(x, 1, 2)', '1:1', 'expected at most 2 argument(s) in call to "round", got 3'],
    ['(a + b)[5m]', '1:1', 'ranges only allowed for vector selectors'],
    ['sum(x) offset 5m', '1:1', 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['x[5m][10m:1m]', '1:1', 'subquery is only allowed on instant vector, got range vector instead'],
    ['-"a"', '1:1', 'unary expression only allowed on expressions of type scalar or instant vector'],
    ['foo(bar)', '1:1', 'unknown function with name "foo"'],
    ['rate(foo', '1:9', 'unexpected end of input'],
    ['sum(x) by (a', '1:13', 'unexpected end of input'],
    ['x{a=~"("}', '1:6', 'invalid regular expression'],
    // A trailing range or subquery binds to the operand before it, not to the whole binary expression.
    ['a / b[1h:5m]', '1:5', 'binary expression must contain only scalar and instant vector types'],
    ['-x[5m]', '1:1', 'unary expression only allowed on expressions of type scalar or instant vector'],
  ])('%s', (text, pos, msg) => {
    const err = parseError(text);
    expect(`${err.position.line}:${err.position.column}`).toBe(pos);
    expect(err.detail).toContain(msg);
    expect(err.message).toBe(`${pos}: parse error: ${err.detail}`);
  });

  it('reports positions on later lines', () => {
    const err = parseError('sum(\n  rate(foo)\n)');
    expect(err.position).toEqual({ line: 2, column: 8 });
  });

  it('flags experimental syntax as unsupported rather than invalid', () => {
    expect(parseError('rate(x[5m] anchored)').unsupported).toBe(true);
    expect(parseError('info(x)').unsupported).toBe(true);
    expect(parseError('rate(x)').unsupported).toBe(false);
  });
});

describe('AST shape', () => {
  it('binds offset and @ to the nearest selector, as Prometheus does', () => {
    const e = parseExpr('a offset 1m + b @ 100');
    expect(e.kind).toBe('Binary');
    if (e.kind !== 'Binary') return;
    expect(e.lhs).toMatchObject({ kind: 'VectorSelector', name: 'a', offset: 60_000, at: null });
    expect(e.rhs).toMatchObject({ kind: 'VectorSelector', name: 'b', offset: 0, at: { kind: 'time', ms: 100_000 } });
  });

  it('parses matching clauses and subqueries', () => {
    const e = parseExpr('a / ignoring(x) group_right(y) b');
    expect(e).toMatchObject({
      kind: 'Binary', op: '/',
      matching: { card: 'one-to-many', on: false, labels: ['x'], include: ['y'] },
    });
    expect(parseExpr('max_over_time(b[1h:5m] offset 2m)')).toMatchObject({
      kind: 'Call', args: [{ kind: 'Subquery', range: 3_600_000, step: 300_000, offset: 120_000 }],
    });
  });

  it('makes ^ right-associative and binds it tighter than unary minus', () => {
    expect(parseExpr('2 ^ 3 ^ 2')).toMatchObject({ kind: 'Binary', op: '^', rhs: { kind: 'Binary', op: '^' } });
    expect(parseExpr('-x ^ 2')).toMatchObject({ kind: 'Unary', op: '-', expr: { kind: 'Binary', op: '^' } });
  });

  it('unescapes strings and folds signs into number literals', () => {
    expect(parseExpr('"a\\tb\\u00e9"')).toMatchObject({ kind: 'StringLiteral', value: 'a\tbé' });
    expect(parseExpr('`raw\\n`')).toMatchObject({ kind: 'StringLiteral', value: 'raw\\n' });
    expect(parseExpr('-1.5e3')).toMatchObject({ kind: 'NumberLiteral', value: -1500 });
  });
});
