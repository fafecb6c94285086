// Simple comparisons against one value a probe read as text, such as a Redis INFO field
// (`connected_clients < 1000`, `role == master`) or a row count (`>= 1`): parsed at load,
// checked with a message that shows both sides.

export const COMPARISON_OPERATORS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export interface Comparison {
  op: ComparisonOperator;
  /** A number compares numerically; a string only with == and !=, exactly. */
  expected: number | string;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses `<op> <value>`; throws an Error saying what is wrong. Quotes make a value a string. */
export function parseComparison(text: string): Comparison {
  const trimmed = text.trim();
  // Two-character operators first, so "<=" is not read as "<" and "=…".
  const op = COMPARISON_OPERATORS.find((o) => trimmed.startsWith(o));
  if (!op) throw new Error(`expected one of ${COMPARISON_OPERATORS.join(' ')}`);
  const literal = trimmed.slice(op.length).trim();
  if (literal === '') throw new Error(`expected a value after ${op}`);
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(literal);
  const expected = quoted ? (quoted[1] ?? quoted[2] ?? '') : NUMBER.test(literal) ? Number(literal) : literal;
  if (typeof expected === 'string' && op !== '==' && op !== '!=') throw new Error(`${op} compares numbers, got ${JSON.stringify(expected)}`);
  return { op, expected };
}

/** Why `actual` (the text read, undefined when absent) fails the comparison, or undefined. */
export function checkComparison(name: string, actual: string | undefined, c: Comparison): string | undefined {
  if (actual !== undefined && holds(actual, c)) return undefined;
  const was = actual === undefined ? 'missing' : NUMBER.test(actual) ? actual : JSON.stringify(preview(actual));
  const expected = typeof c.expected === 'number' ? String(c.expected) : JSON.stringify(c.expected);
  return `${name} was ${was}, expected ${c.op === '==' ? '' : `${c.op} `}${expected}`;
}

function holds(actual: string, c: Comparison): boolean {
  if (typeof c.expected === 'string') return (actual === c.expected) === (c.op === '==');
  const a = NUMBER.test(actual.trim()) ? Number(actual) : NaN;
  // Text where a number is expected fails every comparison, != included: it is not a number.
  if (Number.isNaN(a)) return false;
  switch (c.op) {
    case '==':
      return a === c.expected;
    case '!=':
      return a !== c.expected;
    case '<':
      return a < c.expected;
    case '<=':
      return a <= c.expected;
    case '>':
      return a > c.expected;
    case '>=':
      return a >= c.expected;
  }
}

/** At most 100 characters of what a peer sent, so a huge value cannot flood a message. */
export function preview(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
