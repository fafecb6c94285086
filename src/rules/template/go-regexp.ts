// Go RE2 regexps on top of JS RegExp: translates the syntax differences that matter in alert
// templates and reproduces Go's ReplaceAllString (its $name expansion and empty-match rule).

import { goQuote } from './go-strconv.js';

const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));
const CLASS_SYNTAX = new Set('\\]^-['.split(''));

/** Translates a Go regexp to a JS RegExp (with the u flag); throws with Go-like wording on errors. */
export function compileGoRegexp(pattern: string, extraFlags = ''): RegExp {
  let flags = 'u';
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  let dotAll = false;
  if (lead) {
    const f = lead[1] ?? '';
    if (f.includes('U')) throw new Error(`error parsing regexp: ungreedy flag (?U) is not supported: ${goQuote(pattern)}`);
    if (f.includes('i')) flags += 'i';
    if (f.includes('m')) flags += 'm';
    if (f.includes('s')) dotAll = true;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new Error('error parsing regexp: trailing backslash at end of expression: ``');
      i++;
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 1);
        const lit = end < 0 ? src.slice(i + 1) : src.slice(i + 1, end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (n === 'A' && !inClass) { out += '(?<![^])'; continue; }
      if (n === 'z' && !inClass) { out += '(?![^])'; continue; }
      if (n === 's') { out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]'; continue; }
      if (n === 'S' && !inClass) { out += '[^\\t\\n\\f\\r ]'; continue; }
      if (n === 'p' || n === 'P') {
        if (src[i + 1] === '{') {
          const end = src.indexOf('}', i);
          out += `\\${n}${src.slice(i + 1, end + 1)}`;
          i = end;
        } else {
          out += `\\${n}{${src[i + 1] ?? ''}}`;
          i++;
        }
        continue;
      }
      if (/[0-9A-Za-z]/.test(n)) { out += `\\${n}`; continue; }
      // Go allows escaping any punctuation; JS' u mode only syntax characters.
      if (inClass ? CLASS_SYNTAX.has(n) || n === '/' : JS_SYNTAX.has(n)) out += `\\${n}`;
      else out += n;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
        const cls = m ? POSIX[m[2] ?? ''] : undefined;
        if (m && cls !== undefined) {
          if (m[1] === '^') throw new Error(`error parsing regexp: negated POSIX class is not supported: ${goQuote(pattern)}`);
          out += cls;
          i += m[0].length - 1;
          continue;
        }
      }
      if (c === '[') { out += '\\['; continue; }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '.') { out += dotAll ? '[^]' : '[^\\n]'; continue; }
    if (c === '(' && src.startsWith('(?P<', i)) { out += '(?<'; i += 3; continue; }
    if (c === '(' && src[i + 1] === '?' && /^\(\?[imsU-]+[):]/.test(src.slice(i))) {
      throw new Error(`error parsing regexp: inline flag groups are only supported at the start: ${goQuote(pattern)}`);
    }
    out += c;
  }
  try {
    return new RegExp(out, flags + extraFlags);
  } catch (e) {
    throw new Error(`error parsing regexp: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** regexp.MustCompile's panic text, which safeCall turns into the function's error. */
export function mustCompile(pattern: string, extraFlags = ''): RegExp {
  try {
    return compileGoRegexp(pattern, extraFlags);
  } catch (e) {
    const q = /^[^`\x00-\x08\x0a-\x1f\x7f]*$/.test(pattern) ? `\`${pattern}\`` : goQuote(pattern);
    throw new Error(`regexp: Compile(${q}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  let t = template;
  for (;;) {
    const d = t.indexOf('$');
    if (d < 0) break;
    out += t.slice(0, d);
    t = t.slice(d + 1);
    if (t[0] === '$') {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ex = /^(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/.exec(t);
    if (!ex) {
      out += '$';
      continue;
    }
    t = t.slice(ex[0].length);
    const name = ex[1] ?? ex[2] ?? '';
    if (/^[0-9]+$/.test(name)) {
      const num = name.length < 9 ? Number(name) : -1;
      if (num >= 0) {
        out += m[num] ?? '';
        continue;
      }
    }
    out += m.groups?.[name] ?? '';
  }
  return out + t;
}

/** (*regexp.Regexp).ReplaceAllString with Go's $1 / ${name} expansion. */
export function replaceAllString(re: RegExp, src: string, repl: string): string {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    g.lastIndex = searchPos;
    const m = g.exec(src);
    if (!m) break;
    const a0 = m.index;
    const a1 = a0 + m[0].length;
    out += src.slice(lastMatchEnd, a0);
    if (a1 > lastMatchEnd || a0 === 0) out += expand(repl, m);
    lastMatchEnd = a1;
    const cp = src.codePointAt(searchPos);
    const width = cp === undefined ? 0 : cp > 0xffff ? 2 : 1;
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  return out + src.slice(lastMatchEnd);
}
