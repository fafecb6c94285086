// Conversion of PromQL literal tokens (numbers, durations, strings), which lezer-promql leaves as raw text.
import { parseDuration } from '../core/duration.js';
// Durations follow Prometheus: units y w d h m s ms, combinable in descending order ("1h30m"); bare numbers are seconds.

/** Parses a unit duration like "1h30m" into ms; returns null if the text is not one. */
export function parseUnitDuration(text: string): number | null {
  // A bare "0" is a number of seconds in PromQL, read by parseNumberText, not a unit duration.
  return text === '0' ? null : (parseDuration(text) ?? null);
}

/** A duration as written in `[...]`, `offset` or a load step: unit form or a number of seconds. */
export function parseDurationMs(text: string): number | null {
  const unit = parseUnitDuration(text);
  if (unit !== null) return unit;
  const n = parseNumberText(text);
  if (n === null || !Number.isFinite(n)) return null;
  return Math.round(n * 1000);
}

/** A number literal: decimal, hex, `_` separators, Inf/NaN, or a duration meaning seconds. */
export function parseNumberText(raw: string): number | null {
  let text = raw.replace(/\s+/g, '');
  let sign = 1;
  if (text.startsWith('+')) text = text.slice(1);
  else if (text.startsWith('-')) {
    sign = -1;
    text = text.slice(1);
  }
  const lower = text.toLowerCase();
  if (lower === 'inf') return sign * Infinity;
  if (lower === 'nan') return NaN;
  const dur = parseUnitDuration(text);
  if (dur !== null) return (sign * dur) / 1000;
  const clean = text.includes('_') ? text.replace(/(?<=[0-9a-fA-F])_(?=[0-9a-fA-F])/g, '') : text;
  if (/^0[xX][0-9a-fA-F]+$/.test(clean)) return sign * parseInt(clean.slice(2), 16);
  if (/^0[0-7]+$/.test(clean)) return sign * parseInt(clean.slice(1), 8);
  if (/^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(clean)) return sign * Number(clean);
  return null;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'",
};

/** Unquotes a PromQL string literal with Go escape rules; throws Error on malformed text. */
export function unquoteString(raw: string): string {
  const q = raw[0];
  if (raw.length < 2 || raw[raw.length - 1] !== q || (q !== '"' && q !== "'" && q !== '`')) {
    throw new Error('unterminated quoted string');
  }
  const body = raw.slice(1, -1);
  if (q === '`') return body;
  if (!body.includes('\\')) {
    if (body.includes(q)) throw new Error('unterminated quoted string');
    return body;
  }
  let out = '';
  // Go strings are bytes: \xHH and octal escapes >= 0x80 are raw bytes, decoded as UTF-8 at the end
  // (invalid sequences become U+FFFD, which label-name validation rejects).
  let rawBytes = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new Error('invalid escape sequence');
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      if ((e === '"' || e === "'") && e !== q) throw new Error(`unknown escape sequence`);
      out += simple;
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const hex = body.slice(i + 1, i + 1 + hexLen);
      if (hex.length !== hexLen || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error('invalid escape sequence');
      i += hexLen;
      const code = parseInt(hex, 16);
      // \xHH is a raw byte in Go; bytes >= 0x80 can't be represented in a JS string without decoding.
      if (e === 'x' && code >= 0x80) rawBytes = true;
      out += e === 'x' ? String.fromCharCode(code) : String.fromCodePoint(code);
      continue;
    }
    if (e >= '0' && e <= '7') {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw new Error('invalid escape sequence');
      i += 2;
      const code = parseInt(oct, 8);
      if (code > 255) throw new Error('invalid escape sequence');
      if (code >= 0x80) rawBytes = true;
      out += String.fromCharCode(code);
      continue;
    }
    throw new Error('unknown escape sequence');
  }
  return rawBytes ? decodeByteString(out, body) : out;
}

/** Re-decodes a string whose escapes produced raw bytes: literal characters are UTF-8 encoded first. */
function decodeByteString(_decoded: string, body: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      const cp = body.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length - 1;
      continue;
    }
    const e = body[++i] as string;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple.charCodeAt(0));
    } else if (e === 'x') {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      bytes.push(...enc.encode(String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + len), 16))));
      i += len;
    } else {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    }
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}

/** Formats ms as a Prometheus duration string ("1h30m", "0s"). */
