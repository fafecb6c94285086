// Static type rules of PromQL (Prometheus's checkAST): argument types and counts, aggregation parameters,
// binary operator operand types, set-operator and `bool` restrictions. Errors carry the offending node's position.

import type { Expr, ValueType } from './ast.js';
import { isComparison, isSetOp } from './ast.js';
import { PromQLParseError } from './errors.js';
import { FUNCTION_SIGNATURES } from './function-signatures.js';

const DOCUMENTED: Record<ValueType, string> = {
  scalar: 'scalar', vector: 'instant vector', matrix: 'range vector', string: 'string',
};

export function documentedType(t: ValueType): string {
  return DOCUMENTED[t];
}

/** The value type an expression evaluates to (assumes it type-checks). */
export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'NumberLiteral': return 'scalar';
    case 'StringLiteral': return 'string';
    case 'VectorSelector': return 'vector';
    case 'MatrixSelector': return 'matrix';
    case 'Subquery': return 'matrix';
    case 'Call': return FUNCTION_SIGNATURES[e.func]?.returnType ?? 'vector';
    case 'Aggregate': return 'vector';
    case 'Binary': return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'Unary':
    case 'Paren': return exprType(e.expr);
  }
}

/** Throws PromQLParseError for the first type error found, depth first like Prometheus. */
export function checkTypes(expr: Expr, source = ''): ValueType {
  const fail = (msg: string, at: Expr | number, unsupported = false): never => {
    throw new PromQLParseError(msg, source, typeof at === 'number' ? at : at.pos.start, { unsupported });
  };
  const expect = (e: Expr, want: ValueType, context: string): void => {
    const got = check(e);
    if (got !== want) fail(`expected type ${DOCUMENTED[want]} in ${context}, got ${DOCUMENTED[got]}`, e);
  };

  function check(e: Expr): ValueType {
    switch (e.kind) {
      case 'NumberLiteral':
      case 'StringLiteral':
      case 'VectorSelector':
      case 'MatrixSelector':
        return exprType(e);
      case 'Paren':
        return check(e.expr);
      case 'Unary': {
        const t = check(e.expr);
        if (t !== 'scalar' && t !== 'vector') fail('unary expression only allowed on expressions of type scalar or instant vector', e);
        return t;
      }
      case 'Subquery': {
        const t = check(e.expr);
        if (t !== 'vector') fail(`subquery is only allowed on instant vector, got ${DOCUMENTED[t]} instead`, e);
        return 'matrix';
      }
      case 'Aggregate': {
        if (e.param) {
          const want: ValueType = e.op === 'count_values' ? 'string' : 'scalar';
          expect(e.param, want, 'aggregation parameter');
        }
        expect(e.expr, 'vector', 'aggregation expression');
        return 'vector';
      }
      case 'Call': {
        const sig = FUNCTION_SIGNATURES[e.func];
        if (!sig) return fail(`unknown function with name ${JSON.stringify(e.func)}`, e);
        if (sig.unsupported) fail(`function ${JSON.stringify(e.func)} is not supported by healthmon`, e, true);
        const nargs = sig.argTypes.length;
        if (sig.variadic === 0) {
          if (nargs !== e.args.length) {
            fail(`expected ${nargs} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`, e);
          }
        } else {
          const min = nargs - 1;
          if (min > e.args.length) {
            fail(`expected at least ${min} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`, e);
          } else if (sig.variadic > 0 && min + sig.variadic < e.args.length) {
            fail(`expected at most ${min + sig.variadic} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`, e);
          }
        }
        e.args.forEach((arg, i) => {
          const want = sig.argTypes[Math.min(i, nargs - 1)] as ValueType;
          expect(arg, want, `call to function ${JSON.stringify(e.func)}`);
        });
        return sig.returnType;
      }
      case 'Binary': {
        const lt = check(e.lhs);
        const rt = check(e.rhs);
        const m = e.matching;
        const opAt = e.lhs.pos.end;
        if (e.bool && !isComparison(e.op)) fail('bool modifier can only be used on comparison operators', opAt);
        if (isComparison(e.op) && !e.bool && lt === 'scalar' && rt === 'scalar') {
          fail('comparisons between scalars must use BOOL modifier', opAt);
        }
        if (m.on) {
          for (const l of m.labels) {
            if (m.include.includes(l)) fail(`label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`, opAt);
          }
        }
        if (lt !== 'scalar' && lt !== 'vector') fail('binary expression must contain only scalar and instant vector types', e.lhs);
        if (rt !== 'scalar' && rt !== 'vector') fail('binary expression must contain only scalar and instant vector types', e.rhs);
        if (lt !== 'vector' || rt !== 'vector') {
          if (m.labels.length > 0 || m.on) fail('vector matching only allowed between instant vectors', e);
        } else if (isSetOp(e.op)) {
          if (m.card === 'many-to-one' || m.card === 'one-to-many') fail(`no grouping allowed for "${e.op}" operation`, e);
        }
        if ((lt === 'scalar' || rt === 'scalar') && isSetOp(e.op)) {
          fail(`set operator "${e.op}" not allowed in binary scalar expression`, e);
        }
        return lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
      }
    }
  }

  return check(expr);
}
