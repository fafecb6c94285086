// Go text/template's predefined functions (and, or, not, len, index, eq…, print*, html, js, urlquery).

import { sprint, sprintf, sprintln } from './go-fmt.js';
import { isTrue } from './exec.js';
import { GoHTML, GoMap, GoSlice, isStringKind, stringOf, typeName, type GoFunc, type Value } from './values.js';

type Kind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: Value): Kind {
  switch (typeof v) {
    case 'boolean': return 'bool';
    case 'bigint': return 'int';
    case 'number': return 'float';
    case 'string': return 'string';
  }
  return v instanceof GoHTML ? 'string' : 'invalid';
}

const basicValue = (v: Value): Value => (v instanceof GoHTML ? v.s : v);
const isValid = (v: Value): boolean => v !== undefined && v !== null;

function eq(arg1: Value, ...rest: Value[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (isValid(arg1) && isValid(arg)) throw new Error('incompatible types for comparison');
    } else if (k1 === 'invalid') {
      if (!isValid(arg1) || !isValid(arg)) truth = isValid(arg1) === isValid(arg);
      else if (typeName(arg1) !== typeName(arg)) throw new Error('incompatible types for comparison');
      else if (arg1 instanceof GoMap || arg1 instanceof GoSlice) {
        throw new Error(`non-comparable type ${typeName(arg1)}`);
      } else truth = arg1 === arg;
    } else {
      truth = basicValue(arg1) === basicValue(arg);
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: Value, b: Value): boolean {
  const k1 = basicKind(a);
  if (k1 === 'invalid') throw new Error('invalid type for comparison');
  const k2 = basicKind(b);
  if (k2 === 'invalid') throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  const x = basicValue(a) as string | number | bigint;
  const y = basicValue(b) as string | number | bigint;
  return x < y;
}

function length(v: Value): bigint {
  if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
  if (v instanceof GoHTML) return BigInt(Buffer.byteLength(v.s, 'utf8'));
  if (v instanceof GoMap) return BigInt(v.entries.size);
  if (v instanceof GoSlice) return BigInt(v.elems.length);
  if (v === undefined || v === null) throw new Error('len of nil pointer');
  throw new Error(`len of type ${typeName(v)}`);
}

function index(item: Value, ...indexes: Value[]): Value {
  let cur = item;
  if (cur === undefined || cur === null) throw new Error('index of untyped nil');
  for (const ix of indexes) {
    if (cur === undefined || cur === null) throw new Error('index of untyped nil');
    if (cur instanceof GoSlice || isStringKind(cur)) {
      if (typeof ix !== 'bigint') throw new Error(`cannot index slice/array with type ${typeName(ix)}`);
      const len = cur instanceof GoSlice ? cur.elems.length : Buffer.byteLength(stringOf(cur));
      if (ix < 0n || ix >= BigInt(len)) throw new Error(`index out of range: ${ix}`);
      if (cur instanceof GoSlice) cur = cur.elems[Number(ix)];
      else cur = BigInt(Buffer.from(stringOf(cur), 'utf8')[Number(ix)] ?? 0);
    } else if (cur instanceof GoMap) {
      if (typeof ix !== 'string') throw new Error(`value has type ${typeName(ix)}; should be string`);
      cur = cur.entries.has(ix) ? cur.entries.get(ix) : cur.zero;
    } else {
      throw new Error(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

/** Go's evalArgs for html/js/urlquery: a lone string as is, otherwise fmt.Sprint. */
function evalArgs(args: readonly Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '\\': out += '\\\\'; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case '<': out += '\\u003C'; continue;
      case '>': out += '\\u003E'; continue;
      case '&': out += '\\u0026'; continue;
      case '=': out += '\\u003D'; continue;
    }
    if (cp < 0x20 || (cp >= 0x7f && /[\p{C}]/u.test(ch))) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const V = 'reflect.Value' as const;

export const BUILTINS: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
  ['and', { params: [V], variadic: V, shortCircuit: 'and', call: () => undefined }],
  ['or', { params: [V], variadic: V, shortCircuit: 'or', call: () => undefined }],
  ['not', { params: [V], call: ([a]) => !isTrue(a) }],
  ['len', { params: [V], call: ([a]) => length(a) }],
  ['index', { params: [V], variadic: V, call: ([a, ...rest]) => index(a, ...rest) }],
  ['eq', { params: [V], variadic: V, call: ([a, ...rest]) => eq(a, ...rest) }],
  ['ne', { params: [V, V], call: ([a, b]) => !eq(a, b) }],
  ['lt', { params: [V, V], call: ([a, b]) => lt(a, b) }],
  ['le', { params: [V, V], call: ([a, b]) => lt(a, b) || eq(a, b) }],
  ['gt', { params: [V, V], call: ([a, b]) => !(lt(a, b) || eq(a, b)) }],
  ['ge', { params: [V, V], call: ([a, b]) => !lt(a, b) }],
  ['print', { params: [], variadic: 'any', call: (args) => sprint(args) }],
  ['printf', { params: ['string'], variadic: 'any', call: ([f, ...args]) => sprintf(String(f), args) }],
  ['println', { params: [], variadic: 'any', call: (args) => sprintln(args) }],
  ['html', { params: [], variadic: 'any', call: (args) => htmlEscape(evalArgs(args)) }],
  ['js', { params: [], variadic: 'any', call: (args) => jsEscape(evalArgs(args)) }],
  ['urlquery', { params: [], variadic: 'any', call: (args) => queryEscape(evalArgs(args)) }],
]);
