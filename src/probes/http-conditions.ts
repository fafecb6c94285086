// What an http response must satisfy beyond arriving: allowed status codes ("200", "2xx") and
// json conditions ('$.status == "UP"'), both parsed at load and checked with messages that show
// what was seen and what was expected.
import { z } from 'zod';
import { shown } from '../config/fields.js';
import { evaluateJsonPath, parseJsonPath, type JsonPath } from './json-path.js';

export interface StatusCodes {
  /** Indexed by status code; a lookup per response instead of a list walk. */
  allowed: Uint8Array;
  /** As the user wrote it, for messages: "2xx" or "200, 3xx". */
  text: string;
}

/** `valid_status_codes`: a list of codes (200) and classes ("2xx"). */
export const statusCodes = () =>
  z.array(z.unknown()).min(1).transform((items, ctx): StatusCodes => {
    const allowed = new Uint8Array(600);
    const parts: string[] = [];
    items.forEach((item, i) => {
      const code = typeof item === 'number' ? item : typeof item === 'string' && /^\d{3}$/.test(item) ? Number(item) : undefined;
      const cls = typeof item === 'string' ? /^([1-5])xx$/i.exec(item)?.[1] : undefined;
      if (code !== undefined && Number.isInteger(code) && code >= 100 && code <= 599) {
        allowed[code] = 1;
        parts.push(String(code));
      } else if (cls !== undefined) {
        allowed.fill(1, Number(cls) * 100, Number(cls) * 100 + 100);
        parts.push(`${cls}xx`);
      } else {
        ctx.addIssue({ code: 'custom', path: [i], input: item, message: `expected a status code like 200 or a class like "2xx", got ${shown(item)}` });
      }
    });
    return { allowed, text: parts.join(', ') };
  });

export const DEFAULT_STATUS_CODES: StatusCodes = { allowed: new Uint8Array(600).fill(1, 200, 300), text: '2xx' };

/** A reason the response failed a condition, or undefined when it passed. */
export function checkStatus(status: number, codes: StatusCodes): string | undefined {
  return codes.allowed[status] === 1 ? undefined : `status ${status}, expected ${codes.text}`;
}

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', 'contains', 'matches'] as const;
type Operator = (typeof OPERATORS)[number];

export interface JsonCondition {
  text: string;
  path: JsonPath;
  pathText: string;
  op: Operator;
  expected: unknown;
  /** Compiled at load for `matches`. */
  pattern?: RegExp;
}

/** Parses `$.a.b <op> <JSON literal>`; throws an Error saying what is wrong. */
export function parseJsonCondition(text: string): JsonCondition {
  const { path, text: pathText, rest } = parseJsonPath(text);
  const trimmed = rest.trim();
  const op = OPERATORS.find((o) => trimmed.startsWith(o));
  if (!op) throw new Error(`expected one of ${OPERATORS.join(' ')} after ${pathText}`);
  const literal = trimmed.slice(op.length).trim();
  let expected: unknown;
  try {
    expected = JSON.parse(literal);
  } catch {
    throw new Error(`expected a JSON value after ${op} (a string needs double quotes), got ${JSON.stringify(literal)}`);
  }
  const condition: JsonCondition = { text, path, pathText, op, expected };
  if ((op === '<' || op === '<=' || op === '>' || op === '>=') && typeof expected !== 'number' && typeof expected !== 'string') {
    throw new Error(`${op} compares numbers or strings, got ${literal}`);
  }
  if (op === 'matches') {
    if (typeof expected !== 'string') throw new Error(`matches takes a regular expression in a JSON string, got ${literal}`);
    try {
      condition.pattern = new RegExp(expected);
    } catch (err) {
      throw new Error(`invalid regular expression ${literal}: ${(err as Error).message}`);
    }
  }
  return condition;
}

/** `json:` conditions: a list of condition strings, each parsed at load. */
export const jsonConditions = () =>
  z.array(z.unknown()).transform((items, ctx): JsonCondition[] => {
    const out: JsonCondition[] = [];
    items.forEach((item, i) => {
      if (typeof item !== 'string') {
        ctx.addIssue({ code: 'custom', path: [i], input: item, message: `expected a condition like '$.status == "UP"', got ${shown(item)}` });
        return;
      }
      try {
        out.push(parseJsonCondition(item));
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [i], input: item, message: `invalid condition ${JSON.stringify(item)}: ${(err as Error).message}` });
      }
    });
    return out;
  });

/** Why the document fails the condition (`$.status was "DOWN", expected "UP"`), or undefined. */
export function checkJsonCondition(document: unknown, c: JsonCondition): string | undefined {
  const actual = evaluateJsonPath(document, c.path);
  if (actual !== undefined && holds(actual, c)) return undefined;
  const was = actual === undefined ? 'missing' : preview(actual);
  const expected = preview(c.expected);
  const wanted = c.op === '==' ? expected : c.op === 'contains' ? `to contain ${expected}` : c.op === 'matches' ? `to match /${c.pattern!.source}/` : `${c.op} ${expected}`;
  return `${c.pathText} was ${was}, expected ${wanted}`;
}

function holds(actual: unknown, c: JsonCondition): boolean {
  const e = c.expected;
  switch (c.op) {
    case '==':
      return deepEqual(actual, e);
    case '!=':
      return !deepEqual(actual, e);
    case 'contains':
      if (typeof actual === 'string') return typeof e === 'string' && actual.includes(e);
      return Array.isArray(actual) && actual.some((item) => deepEqual(item, e));
    case 'matches':
      return typeof actual === 'string' && c.pattern!.test(actual);
    default:
      if (typeof actual !== typeof e) return false;
      return compare(actual as number | string, e as number | string, c.op);
  }
}

function compare(a: number | string, b: number | string, op: '<' | '<=' | '>' | '>='): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((item, i) => deepEqual(item, bs[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  return ak.length === Object.keys(bo).length && ak.every((k) => Object.hasOwn(bo, k) && deepEqual((a as Record<string, unknown>)[k], bo[k]));
}

/** A JSON rendering cut to 100 characters, so a huge value cannot flood a message. */
export function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
