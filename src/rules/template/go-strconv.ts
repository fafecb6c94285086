// Go strconv pieces the template engine needs: Unquote (string literals), Quote (%q), number literals.

export class SyntaxError_ extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\',
};

/** strconv.Unquote for "…", `…` and '…' literals. Throws SyntaxError_("invalid syntax"). */
export function goUnquote(lit: string): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) throw new SyntaxError_('invalid syntax');
  const body = lit.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new SyntaxError_('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (q !== '"' && q !== "'") throw new SyntaxError_('invalid syntax');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === q || (c === '\n')) throw new SyntaxError_('invalid syntax');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new SyntaxError_('invalid syntax');
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
    } else if (e === q) {
      out += e;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new SyntaxError_('invalid syntax');
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (e !== 'x' && cp >= 0xd800 && cp < 0xe000)) throw new SyntaxError_('invalid syntax');
      out += String.fromCodePoint(cp);
      i += n;
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw new SyntaxError_('invalid syntax');
      const v = parseInt(oct, 8);
      if (v > 255) throw new SyntaxError_('invalid syntax');
      out += String.fromCharCode(v);
      i += 2;
    } else {
      throw new SyntaxError_('invalid syntax');
    }
  }
  if (q === "'" && [...out].length !== 1) throw new SyntaxError_('invalid syntax');
  return out;
}

/** strconv.Quote: Go-syntax double-quoted string, printable Unicode kept as is. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp < 0xe000) out += '\\ufffd';
    else if (cp > 0x7f && /[\p{C}\p{Zl}\p{Zp}]/u.test(ch)) {
      out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    } else if (cp > 0x7f && /\p{Zs}/u.test(ch) && cp !== 0x20) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

const INT_RE = /^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/;

/** strconv.ParseInt(text, 0, 64) restricted to what the lexer can produce; undefined if not an int. */
export function parseGoInt(text: string): bigint | undefined {
  if (!INT_RE.test(text)) return undefined;
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  // Underscores may only separate digits (or follow a base prefix).
  if (/__|_$/.test(s) || (/^0[0-7_]/.test(s) && s.includes('_') && !/^0_?[0-7]/.test(s))) return undefined;
  let v: bigint;
  const clean = s.replace(/_/g, '');
  if (/^0[xXoObB]/.test(clean)) v = BigInt(clean.toLowerCase());
  else if (clean.length > 1 && clean[0] === '0') v = BigInt(`0o${clean.slice(1)}`);
  else v = BigInt(clean);
  if (neg) v = -v;
  if (v > 9223372036854775807n || v < -9223372036854775808n) return undefined;
  return v;
}

const FLOAT_RE = /^[+-]?([0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)([eE][+-]?[0-9_]+)?$/;

/** strconv.ParseFloat for decimal literals, returning undefined on syntax errors and ±Inf on overflow. */
export function parseGoFloatLiteral(text: string): number | undefined {
  if (!FLOAT_RE.test(text)) return undefined;
  return Number(text.replace(/_/g, ''));
}

/** strconv.ParseFloat(s, 64) as used by Prometheus' ConvertToFloat; throws with Go's message. */
export function parseFloatStrict(s: string): number {
  const q = goQuote(s);
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new Error(`strconv.ParseFloat: parsing ${q}: value out of range`);
    return v;
  }
  if (/^[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+$/.test(s)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?[0-9]+)$/.exec(s);
    if (m) {
      const mant = parseInt((m[2] ?? '') + (m[3] ?? '') || '0', 16);
      const v = mant * 2 ** (Number(m[4]) - 4 * (m[3] ?? '').length);
      return m[1] === '-' ? -v : v;
    }
  }
  throw new Error(`strconv.ParseFloat: parsing ${q}: invalid syntax`);
}
