// Go's fmt and strconv float formatting. %v of a float64 is strconv 'g' with the shortest
// round-trip digits, switching to an exponent when exp < -4 || exp >= 6 (Go fixes eprec at 6 for
// the shortest form; the 21 threshold belongs to encoding/json and JavaScript): 1e+06,
// 1.2345678e+07, 123456.789, 0.0001, 1e-05. With a precision, rounding is exact, ties to even.

import { goQuote } from './go-strconv.js';
import { GoDuration, GoHTML, GoMap, GoSlice, GoStruct, GoTime, typeName, type Value } from './values.js';

interface Decimal {
  /** Significant digits without leading or trailing zeros; '' for zero. */
  d: string;
  /** Decimal point position: value = 0.d × 10^dp. */
  dp: number;
}

function exactDecimal(x: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  let exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) exp = 1;
  else mant |= 1n << 52n;
  const e2 = exp - 1075;
  let digits: string;
  let dp: number;
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    dp = digits.length + e2;
  }
  const stripped = digits.replace(/0+$/, '');
  return { d: stripped, dp };
}

function shortestDecimal(x: number): Decimal {
  const [mant = '0', exp = '0'] = x.toExponential().split('e');
  return { d: mant.replace('.', '').replace(/0+$/, ''), dp: Number(exp) + 1 };
}

/** Rounds to nd significant digits, exactly, ties to even (Go's decimal.Round / ryu fixed). */
function roundDecimal(dec: Decimal, nd: number): Decimal {
  if (nd < 0) return { d: '', dp: 0 };
  if (nd >= dec.d.length) return dec;
  const c = dec.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (c === 5 && nd + 1 === dec.d.length) up = nd > 0 && (dec.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  else up = c >= 5;
  if (!up) {
    const d = dec.d.slice(0, nd).replace(/0+$/, '');
    return d === '' ? { d: '', dp: 0 } : { d, dp: dec.dp };
  }
  const digits = dec.d.slice(0, nd).split('').map(Number);
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === 9) i--;
  if (i < 0) return { d: '1', dp: dec.dp + 1 };
  digits[i] = (digits[i] ?? 0) + 1;
  return { d: digits.slice(0, i + 1).join(''), dp: dec.dp };
}

function fmtE(neg: boolean, dec: Decimal, prec: number, e: 'e' | 'E'): string {
  let s = neg ? '-' : '';
  s += dec.d.length === 0 ? '0' : dec.d[0];
  if (prec > 0) {
    s += '.';
    const m = Math.min(dec.d.length, prec + 1);
    s += dec.d.slice(1, m);
    s += '0'.repeat(Math.max(0, prec + 1 - Math.max(m, 1)));
  }
  let exp = dec.d.length === 0 ? 0 : dec.dp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${s}${e}${sign}${exp < 10 ? `0${exp}` : String(exp)}`;
}

function fmtF(neg: boolean, dec: Decimal, prec: number): string {
  let s = neg ? '-' : '';
  if (dec.dp > 0) {
    const m = Math.min(dec.d.length, dec.dp);
    s += dec.d.slice(0, m) + '0'.repeat(dec.dp - m);
  } else s += '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = dec.dp + i - 1;
      s += j >= 0 && j < dec.d.length ? dec.d[j] : '0';
    }
  }
  return s;
}

/** strconv.FormatFloat(x, verb, prec, 64); prec < 0 means shortest. */
export function formatFloat(x: number, verb: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  const shortest = prec < 0;
  const lower = verb.toLowerCase() as 'e' | 'f' | 'g';
  let dec: Decimal;
  if (ax === 0) dec = { d: '', dp: 0 };
  else if (shortest) dec = shortestDecimal(ax);
  else {
    const exact = exactDecimal(ax);
    if (lower === 'e') dec = roundDecimal(exact, prec + 1);
    else if (lower === 'f') dec = roundDecimal(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      dec = roundDecimal(exact, prec);
    }
  }
  if (shortest) {
    if (lower === 'e') prec = Math.max(dec.d.length - 1, 0);
    else if (lower === 'f') prec = Math.max(dec.d.length - dec.dp, 0);
    else prec = dec.d.length;
  }
  const eChar = verb === 'E' || verb === 'G' ? 'E' : 'e';
  if (lower === 'e') return fmtE(neg, dec, prec, eChar);
  if (lower === 'f') return fmtF(neg, dec, prec);
  let eprec = prec;
  if (eprec > dec.d.length && dec.d.length >= dec.dp) eprec = dec.d.length;
  if (shortest) eprec = 6;
  const exp = dec.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > dec.d.length) prec = dec.d.length;
    return fmtE(neg, dec, prec - 1, eChar);
  }
  if (prec > dec.dp) prec = dec.d.length;
  return fmtF(neg, dec, Math.max(prec - dec.dp, 0));
}

/** fmt's %v rendering of any template value (depth > 0 shows struct pointers as &{…}). */
export function formatV(v: Value, depth = 0): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string': return v;
    case 'number': return formatFloat(v, 'g', -1);
    case 'bigint': return v.toString();
    case 'boolean': return v ? 'true' : 'false';
  }
  if (v instanceof GoHTML) return v.s;
  if (v instanceof GoTime || v instanceof GoDuration) return v.toString();
  if (v instanceof GoMap) {
    return `map[${v.sortedKeys().map((k) => `${k}:${formatV(v.entries.get(k), depth + 1)}`).join(' ')}]`;
  }
  if (v instanceof GoSlice) return `[${v.elems.map((e) => formatV(e, depth + 1)).join(' ')}]`;
  const body = `{${[...v.fields.values()].map((f) => formatV(f, depth + 1)).join(' ')}}`;
  return v.pointer && depth > 0 ? `&${body}` : body;
}

/** fmt.Sprint: a space between operands when neither side is a string. */
export function sprint(args: readonly Value[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string' || a instanceof GoHTML;
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatV(a, 1);
    prevString = isString;
  });
  return out;
}

export function sprintln(args: readonly Value[]): string {
  return `${args.map((a) => formatV(a, 1)).join(' ')}\n`;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function padTo(s: string, spec: Spec, zeroOk: boolean): string {
  const w = spec.width;
  const len = [...s].length;
  if (w === undefined || len >= w) return s;
  if (spec.minus) return s + ' '.repeat(w - len);
  return (spec.zero && zeroOk ? '0' : ' ').repeat(w - len) + s;
}

function badVerb(verb: string, v: Value): string {
  if (v === undefined || v === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatV(v, 1)})`;
}

function fmtInteger(v: bigint, base: number, verb: string, spec: Spec): string {
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (spec.prec !== undefined) {
    if (spec.prec === 0 && v === 0n) digits = '';
    digits = digits.padStart(spec.prec, '0');
  } else if (spec.zero && !spec.minus && spec.width !== undefined) {
    const signLen = neg || spec.plus || spec.space ? 1 : 0;
    digits = digits.padStart(spec.width - signLen, '0');
  }
  if (spec.sharp) {
    if (base === 16) digits = (verb === 'X' ? '0X' : '0x') + digits;
    else if (base === 8 && digits[0] !== '0') digits = `0${digits}`;
  }
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  return padTo(sign + digits, { ...spec, zero: false }, false);
}

function fmtFloatVerb(v: number, verb: 'e' | 'E' | 'f' | 'g' | 'G', spec: Spec): string {
  const prec = spec.prec ?? (verb === 'g' || verb === 'G' ? -1 : 6);
  let num = formatFloat(v, verb, prec);
  if (num[0] !== '-' && num[0] !== '+') num = `+${num}`;
  if (spec.space && num[0] === '+' && !spec.plus) num = ` ${num.slice(1)}`;
  if (num[1] === 'I' || num[1] === 'N') {
    if (num[1] === 'N' && !spec.space && !spec.plus) num = num.slice(1);
    return padTo(num, spec, false);
  }
  if (spec.plus || num[0] !== '+') {
    if (spec.zero && !spec.minus && spec.width !== undefined && spec.width > num.length) {
      return num[0] + '0'.repeat(spec.width - num.length) + num.slice(1);
    }
    return padTo(num, spec, false);
  }
  return padTo(num.slice(1), spec, !spec.minus);
}

function quoteRune(cp: number): string {
  const ch = String.fromCodePoint(cp);
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  const q = goQuote(ch);
  return `'${q.slice(1, -1)}'`;
}

function formatOne(verb: string, v: Value, spec: Spec): string {
  if (verb === 'T') return padTo(typeName(v), spec, false);
  if (verb === 'v') {
    if (typeof v === 'number') return fmtFloatVerb(v, 'g', spec);
    if (typeof v === 'bigint') return fmtInteger(v, 10, 'd', spec);
    if (spec.sharp && typeof v === 'string') return padTo(goQuote(v), spec, false);
    return padTo(formatV(v, 1), spec, false);
  }
  if (typeof v === 'boolean') {
    if (verb === 't') return padTo(String(v), spec, false);
    return badVerb(verb, v);
  }
  if (typeof v === 'bigint') {
    switch (verb) {
      case 'd': return fmtInteger(v, 10, verb, spec);
      case 'x': case 'X': return fmtInteger(v, 16, verb, spec);
      case 'o': return fmtInteger(v, 8, verb, spec);
      case 'O': return fmtInteger(v, 8, verb, { ...spec, sharp: false }).replace(/^(\s*-?)/, '$10o');
      case 'b': return fmtInteger(v, 2, verb, spec);
      case 'c': return padTo(String.fromCodePoint(Number(v)), spec, false);
      case 'q': return padTo(quoteRune(Number(v)), spec, false);
      case 'U': return padTo(`U+${v.toString(16).toUpperCase().padStart(4, '0')}`, spec, false);
      case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      default: return badVerb(verb, v);
    }
  }
  if (typeof v === 'number') {
    switch (verb) {
      case 'e': case 'E': case 'f': case 'g': case 'G': return fmtFloatVerb(v, verb, spec);
      case 'F': return fmtFloatVerb(v, 'f', spec);
      default: return badVerb(verb, v);
    }
  }
  if (typeof v === 'string' || v instanceof GoHTML || v instanceof GoTime || v instanceof GoDuration) {
    let s = typeof v === 'string' ? v : v instanceof GoHTML ? v.s : v.toString();
    if (v instanceof GoDuration && (verb === 'd' || verb === 'x')) return fmtInteger(v.ns, verb === 'd' ? 10 : 16, verb, spec);
    switch (verb) {
      case 's':
        if (spec.prec !== undefined) s = [...s].slice(0, spec.prec).join('');
        return padTo(s, spec, true);
      case 'q':
        if (spec.prec !== undefined) s = [...s].slice(0, spec.prec).join('');
        return padTo(spec.sharp && !s.includes('`') ? `\`${s}\`` : goQuote(s), spec, false);
      case 'x': case 'X': {
        let hex = Buffer.from(s, 'utf8').toString('hex');
        if (verb === 'X') hex = hex.toUpperCase();
        return padTo(hex, spec, false);
      }
      default: return badVerb(verb, v);
    }
  }
  if (v instanceof GoMap) {
    return `map[${v.sortedKeys().map((k) => `${formatOne(verb, k, spec)}:${formatOne(verb, v.entries.get(k), spec)}`).join(' ')}]`;
  }
  if (v instanceof GoSlice) return `[${v.elems.map((e) => formatOne(verb, e, spec)).join(' ')}]`;
  if (v instanceof GoStruct) {
    const body = `{${[...v.fields.values()].map((f) => formatOne(verb, f, spec)).join(' ')}}`;
    return v.pointer ? `&${body}` : body;
  }
  return badVerb(verb, v);
}

/** fmt.Sprintf for the verbs templates use: %v %s %d %f %e %g %q %x %X %o %b %c %t %T %% with flags, width, precision. */
export function sprintf(format: string, args: readonly Value[]): string {
  let out = '';
  let argNum = 0;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, space: false, zero: false, sharp: false, width: undefined, prec: undefined };
    flags: while (i < n) {
      switch (format[i]) {
        case '-': spec.minus = true; spec.zero = false; break;
        case '+': spec.plus = true; break;
        case ' ': spec.space = true; break;
        case '0': spec.zero = !spec.minus; break;
        case '#': spec.sharp = true; break;
        default: break flags;
      }
      i++;
    }
    const num = (): number | undefined => {
      const m = /^[0-9]+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    if (format[i] === '*') {
      i++;
      const a = args[argNum++];
      if (typeof a === 'bigint') {
        spec.width = Number(a < 0n ? -a : a);
        if (a < 0n) {
          spec.minus = true;
          spec.zero = false;
        }
      } else out += '%!(BADWIDTH)';
    } else spec.width = num();
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const a = args[argNum++];
        if (typeof a === 'bigint' && a >= 0n) spec.prec = Number(a);
        else out += '%!(BADPREC)';
      } else spec.prec = num() ?? 0;
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argNum++], spec);
  }
  if (argNum < args.length) {
    out += `%!(EXTRA ${args.slice(argNum).map((a) => (a === undefined || a === null ? '<nil>' : `${typeName(a)}=${formatV(a, 1)}`)).join(', ')})`;
  }
  return out;
}
