// Translates RE2 regex syntax (what Prometheus uses) into an equivalent JS RegExp, fully anchored.
// Handles inline flags ((?i), (?i:…), (?s), (?-s)), \Q…\E, (?P<name>…), POSIX classes, \z and \A.

const cache = new Map<string, RegExp>();

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

export class RegexSyntaxError extends Error {}

/** Compiles `^(?:re)$` with `.` matching newlines (Prometheus 3); cached because rules repeat patterns. */
export function compileAnchoredRegex(re: string): RegExp {
  let out = cache.get(re);
  if (out) return out;
  const { source, unicode } = translate(re);
  try {
    out = new RegExp(`^(?:${source})$`, unicode ? 'su' : 's');
  } catch (err) {
    throw new RegexSyntaxError(`invalid regular expression ${JSON.stringify(re)}: ${(err as Error).message}`, { cause: err });
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(re, out);
  return out;
}

/** Translation only, for callers that add their own anchors (label_replace). */
export function translateRegex(re: string): { source: string; unicode: boolean } {
  return translate(re);
}

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
}

function caseFold(ch: string): string {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  if (lo === up) return escapeLiteral(ch);
  return `[${lo}${up}]`;
}

function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

function translate(re: string): { source: string; unicode: boolean } {
  let out = '';
  let unicode = false;
  const stack: Flags[] = [];
  let flags: Flags = { i: false, s: true, m: false };
  let i = 0;
  const n = re.length;
  while (i < n) {
    const c = re[i] as string;
    if (c === '\\') {
      const e = re[i + 1];
      if (e === undefined) throw new RegexSyntaxError(`invalid escape sequence at end of regex ${JSON.stringify(re)}`);
      if (e === 'Q') {
        const end = re.indexOf('\\E', i + 2);
        const lit = re.slice(i + 2, end < 0 ? n : end);
        for (const ch of lit) out += flags.i ? caseFold(ch) : escapeLiteral(ch);
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (e === 'z') { out += '$(?![\\s\\S])'; i += 2; continue; }
      if (e === 'A') { out += '^'; i += 2; continue; }
      if (e === 'p' || e === 'P') unicode = true;
      // \d \w \s \b and friends mean the same in JS; copy the escape (and \p{…} argument) verbatim.
      if ((e === 'p' || e === 'P') && re[i + 2] === '{') {
        const end = re.indexOf('}', i);
        out += re.slice(i, end + 1);
        i = end + 1;
        continue;
      }
      if ((e === 'p' || e === 'P') && re[i + 2] !== undefined) {
        out += `\\${e}{${re[i + 2] as string}}`;
        i += 3;
        continue;
      }
      out += `\\${e}`;
      i += 2;
      continue;
    }
    if (c === '[') {
      const { text, next } = translateClass(re, i, flags.i);
      out += text;
      i = next;
      continue;
    }
    if (c === '(') {
      if (re[i + 1] === '?') {
        // (?P<name>…) → (?<name>…)
        if (re[i + 2] === 'P' && re[i + 3] === '<') {
          stack.push(flags);
          out += '(?<';
          i += 4;
          continue;
        }
        if (re[i + 2] === '<' || re[i + 2] === ':' || re[i + 2] === '=' || re[i + 2] === '!') {
          stack.push(flags);
          out += '(?';
          i += 2;
          continue;
        }
        const m = /^\(\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(re.slice(i));
        if (m) {
          const next = { ...flags };
          for (const f of m[1] ?? '') if (f in next) (next as unknown as Record<string, boolean>)[f] = true;
          for (const f of m[2] ?? '') if (f in next) (next as unknown as Record<string, boolean>)[f] = false;
          if (m[3] === ')') {
            // Flags for the rest of the current group.
            flags = next;
          } else {
            stack.push(flags);
            flags = next;
            out += '(?:';
          }
          i += m[0].length;
          continue;
        }
      }
      stack.push(flags);
      out += '(';
      i++;
      continue;
    }
    if (c === ')') {
      flags = stack.pop() ?? flags;
      out += ')';
      i++;
      continue;
    }
    if (c === '.') {
      out += flags.s ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    if (c === '^' || c === '$') {
      // In RE2 without (?m), ^ and $ match at text start/end only; JS without the m flag does the same.
      out += flags.m ? (c === '^' ? '(?<=^|\\n)' : '(?=$|\\n)') : c;
      i++;
      continue;
    }
    if (flags.i && /[a-zA-Z]/.test(c)) {
      out += caseFold(c);
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return { source: out, unicode };
}

function translateClass(re: string, start: number, fold: boolean): { text: string; next: number } {
  let i = start + 1;
  let out = '[';
  if (re[i] === '^') {
    out += '^';
    i++;
  }
  // A leading ] is a literal in RE2.
  if (re[i] === ']') {
    out += '\\]';
    i++;
  }
  const extra: string[] = [];
  while (i < re.length && re[i] !== ']') {
    const c = re[i] as string;
    if (c === '[' && re[i + 1] === ':') {
      const end = re.indexOf(':]', i + 2);
      if (end > 0) {
        let name = re.slice(i + 2, end);
        const neg = name.startsWith('^');
        if (neg) name = name.slice(1);
        const body = POSIX[name];
        if (body !== undefined && !neg) {
          out += body;
          i = end + 2;
          continue;
        }
      }
    }
    if (c === '\\') {
      out += re.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '[') {
      out += '\\[';
      i++;
      continue;
    }
    if (fold && /[a-zA-Z]/.test(c)) {
      // Range a-z under (?i): add the other case's range too.
      if (re[i + 1] === '-' && re[i + 2] !== undefined && re[i + 2] !== ']' && /[a-zA-Z]/.test(re[i + 2] as string)) {
        const to = re[i + 2] as string;
        out += `${c}-${to}`;
        extra.push(`${swapCase(c)}-${swapCase(to)}`);
        i += 3;
        continue;
      }
      out += c;
      extra.push(swapCase(c));
      i++;
      continue;
    }
    out += c;
    i++;
  }
  out += extra.join('');
  out += ']';
  return { text: out, next: i + 1 };
}

function swapCase(c: string): string {
  const lo = c.toLowerCase();
  return lo === c ? c.toUpperCase() : lo;
}
