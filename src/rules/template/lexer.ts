// Lexer for the Go text/template subset used by Prometheus alert templates.
// Mirrors Go's text/template/parse/lex.go so that tokens, trim markers and error texts match.

export type ItemType =
  | 'error' | 'bool' | 'char' | 'charConstant' | 'comment' | 'assign' | 'declare' | 'eof'
  | 'field' | 'identifier' | 'leftDelim' | 'leftParen' | 'number' | 'pipe' | 'rawString'
  | 'rightDelim' | 'rightParen' | 'space' | 'string' | 'text' | 'variable'
  // keywords
  | 'block' | 'break' | 'continue' | 'dot' | 'define' | 'else' | 'end' | 'if' | 'nil' | 'range'
  | 'template' | 'with';

export interface Item {
  readonly typ: ItemType;
  /** String index of the item's first character in the template text. */
  readonly pos: number;
  readonly val: string;
  readonly line: number;
}

const KEYWORDS: ReadonlyMap<string, ItemType> = new Map<string, ItemType>([
  ['.', 'dot'], ['block', 'block'], ['break', 'break'], ['continue', 'continue'], ['define', 'define'],
  ['else', 'else'], ['end', 'end'], ['if', 'if'], ['range', 'range'], ['nil', 'nil'],
  ['template', 'template'], ['with', 'with'],
]);

export function isKeyword(t: ItemType): boolean {
  return t === 'block' || t === 'break' || t === 'continue' || t === 'dot' || t === 'define' || t === 'else'
    || t === 'end' || t === 'if' || t === 'nil' || t === 'range' || t === 'template' || t === 'with';
}

const LEFT = '{{';
const RIGHT = '}}';

export const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

export function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined || c === '') return false;
  return c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}
function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

/** Go's %U-ish rendering used in "unrecognized character" messages: U+00A0 'x'. */
export function describeRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const printable = !/[\p{C}\p{Z}]/u.test(c) || c === ' ';
  return printable ? `U+${hex} '${c}'` : `U+${hex}`;
}

/** Lexes the whole text up front; the token stream ends with an eof or error item. */
export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const countLines = (from: number, to: number): number => {
    let n = 0;
    for (let i = from; i < to; i++) if (input.charCodeAt(i) === 10) n++;
    return n;
  };
  const emit = (typ: ItemType): void => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    line += countLines(start, pos);
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    line += countLines(start, pos);
    start = pos;
    startLine = line;
  };
  const fail = (msg: string): Item[] => {
    items.push({ typ: 'error', pos: start, val: msg, line: startLine });
    return items;
  };
  const peekChar = (): string | undefined => {
    if (pos >= input.length) return undefined;
    const cp = input.codePointAt(pos) ?? 0;
    return String.fromCodePoint(cp);
  };
  const nextChar = (): string | undefined => {
    const c = peekChar();
    if (c !== undefined) pos += c.length;
    return c;
  };
  const atTerminator = (): boolean => {
    const c = peekChar();
    if (c === undefined || isSpace(c)) return true;
    if ('.,|:)('.includes(c)) return true;
    return input.startsWith(RIGHT, pos);
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const leftTrimLength = (at: number): number => {
    let i = at;
    while (i < input.length && isSpace(input[i])) i++;
    return i - at;
  };
  const accept = (valid: string): boolean => {
    const c = input[pos];
    if (c !== undefined && valid.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string): void => {
    while (accept(valid)) { /* absorb */ }
  };

  for (;;) {
    // lexText
    const x = input.indexOf(LEFT, pos);
    if (x >= 0) {
      let end = x;
      const trimmed = hasLeftTrimMarker(input, x + LEFT.length);
      if (trimmed) {
        while (end > pos && isSpace(input[end - 1])) end--;
      }
      pos = end;
      if (pos > start) emit('text');
      pos = x;
      ignore();
      // lexLeftDelim
      pos += LEFT.length;
      const after = trimmed ? 2 : 0;
      if (input.startsWith('/*', pos + after)) {
        pos += after;
        ignore();
        const close = input.indexOf('*/', pos);
        if (close < 0) return fail('unclosed comment');
        pos = close + 2;
        const rd = atRightDelim();
        if (!rd.delim) return fail('comment ends before closing delimiter');
        if (rd.trim) pos += 2;
        pos += RIGHT.length;
        if (rd.trim) pos += leftTrimLength(pos);
        ignore();
        continue;
      }
      emit('leftDelim');
      pos += after;
      ignore();
      parenDepth = 0;
      // lexInsideAction loop
      for (;;) {
        const rd = atRightDelim();
        if (rd.delim) {
          if (parenDepth !== 0) return fail('unclosed left paren');
          if (rd.trim) {
            pos += 2;
            ignore();
          }
          pos += RIGHT.length;
          emit('rightDelim');
          if (rd.trim) {
            pos += leftTrimLength(pos);
            ignore();
          }
          break;
        }
        const r = nextChar();
        if (r === undefined) return fail('unclosed action');
        if (isSpace(r)) {
          pos -= 1;
          let n = 0;
          while (isSpace(input[pos])) {
            pos++;
            n++;
          }
          if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT, pos + 1)) {
            pos -= 1;
            if (n === 1) continue;
          }
          emit('space');
          continue;
        }
        if (r === '=') { emit('assign'); continue; }
        if (r === ':') {
          if (nextChar() !== '=') return fail('expected :=');
          emit('declare');
          continue;
        }
        if (r === '|') { emit('pipe'); continue; }
        if (r === '"') {
          for (;;) {
            const c = nextChar();
            if (c === '\\') {
              const d = nextChar();
              if (d !== undefined && d !== '\n') continue;
              return fail('unterminated quoted string');
            }
            if (c === undefined || c === '\n') return fail('unterminated quoted string');
            if (c === '"') break;
          }
          emit('string');
          continue;
        }
        if (r === '`') {
          const close = input.indexOf('`', pos);
          if (close < 0) return fail('unterminated raw quoted string');
          pos = close + 1;
          emit('rawString');
          continue;
        }
        if (r === '$' || (r === '.' && !(pos < input.length && /[0-9]/.test(input[pos] ?? '')))) {
          // lexVariable / lexField
          const typ: ItemType = r === '$' ? 'variable' : 'field';
          if (atTerminator()) {
            emit(r === '$' ? 'variable' : 'dot');
            continue;
          }
          let c: string | undefined;
          for (;;) {
            c = peekChar();
            if (!isAlphaNumeric(c)) break;
            nextChar();
          }
          if (!atTerminator()) return fail(`bad character ${describeRune(c ?? '')}`);
          emit(typ);
          continue;
        }
        if (r === "'") {
          for (;;) {
            const c = nextChar();
            if (c === '\\') {
              const d = nextChar();
              if (d !== undefined && d !== '\n') continue;
              return fail('unterminated character constant');
            }
            if (c === undefined || c === '\n') return fail('unterminated character constant');
            if (c === "'") break;
          }
          emit('charConstant');
          continue;
        }
        if (r === '.' || r === '+' || r === '-' || (r >= '0' && r <= '9')) {
          pos -= 1;
          // scanNumber
          accept('+-');
          let digits = '0123456789_';
          if (accept('0')) {
            if (accept('xX')) digits = '0123456789abcdefABCDEF_';
            else if (accept('oO')) digits = '01234567_';
            else if (accept('bB')) digits = '01_';
          }
          acceptRun(digits);
          if (accept('.')) acceptRun(digits);
          if (digits.length === 11 && accept('eE')) {
            accept('+-');
            acceptRun('0123456789_');
          }
          if (digits.length === 23 && accept('pP')) {
            accept('+-');
            acceptRun('0123456789_');
          }
          accept('i');
          if (isAlphaNumeric(peekChar())) {
            nextChar();
            return fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
          }
          emit('number');
          continue;
        }
        if (isAlphaNumeric(r)) {
          let c: string | undefined;
          for (;;) {
            c = peekChar();
            if (!isAlphaNumeric(c)) break;
            nextChar();
          }
          const word = input.slice(start, pos);
          if (!atTerminator()) return fail(`bad character ${describeRune(c ?? '')}`);
          const kw = KEYWORDS.get(word);
          if (kw !== undefined && kw !== 'dot') emit(kw);
          else if (word === 'true' || word === 'false') emit('bool');
          else emit('identifier');
          continue;
        }
        if (r === '(') {
          parenDepth++;
          emit('leftParen');
          continue;
        }
        if (r === ')') {
          parenDepth--;
          if (parenDepth < 0) return fail('unexpected right paren');
          emit('rightParen');
          continue;
        }
        if (r <= '\x7f' && r >= ' ') {
          emit('char');
          continue;
        }
        return fail(`unrecognized character in action: ${describeRune(r)}`);
      }
      continue;
    }
    pos = input.length;
    if (pos > start) emit('text');
    items.push({ typ: 'eof', pos, val: '', line });
    return items;
  }
}
