// Parser for Prometheus's PromQL engine test scripts (promqltest's *.test format): load/clear/eval commands,
// `expect` lines, series descriptors and the expanding value notation (1+2x3, _x3, stale, {{…}} histograms).

import { unquoteString, parseDurationMs, parseNumberText } from '../literals.js';
import type { NativeHistogram } from '../native-histogram.js';
import { HistogramNotationError, expandHistogramToken } from './histogram-notation.js';

/** One point of a series line; `opaque` stands for values of experimental notations healthmon does not read. */
export type Expanded =
  | { kind: 'value'; v: number }
  | { kind: 'gap' }
  | { kind: 'stale' }
  | { kind: 'histogram'; h: NativeHistogram }
  | { kind: 'opaque' };

export interface SeriesSpec {
  labels: Record<string, string>;
  values: Expanded[];
  line: number;
}

export interface Expectations {
  fail: { msg?: string; regex?: string } | null;
  warn: { msg?: string; regex?: string }[] | null;
  info: { msg?: string; regex?: string }[] | null;
  noWarn: boolean;
  noInfo: boolean;
  ordered: boolean;
  string: string | null;
  rangeVector: { start: number; end: number; step: number } | null;
}

export type Command =
  | { kind: 'load'; stepMs: number; series: SeriesSpec[]; nhcb: boolean; line: number }
  | { kind: 'clear'; line: number }
  | {
      kind: 'eval';
      line: number;
      expr: string;
      instant: boolean;
      start: number;
      end: number;
      step: number;
      expect: Expectations;
      /** Expected series; a scalar result is a single entry with `scalar` set. */
      results: SeriesSpec[];
      scalar: number | null;
    };

export class ScriptError extends Error {}

export function parseTestScript(text: string): Command[] {
  const lines = text.split('\n');
  const cmds: Command[] = [];
  let i = 0;
  const isBody = (l: string | undefined): boolean => l !== undefined && /^\s+\S/.test(l);
  while (i < lines.length) {
    const raw = lines[i] as string;
    const line = raw.trim();
    const lineNo = i + 1;
    i++;
    if (line === '' || line.startsWith('#')) continue;
    let m: RegExpExecArray | null;
    if ((m = /^load(_with_nhcb)?\s+(\S+)$/.exec(line))) {
      const stepMs = parseTime(m[2] as string, lineNo);
      const series: SeriesSpec[] = [];
      while (isBody(lines[i])) {
        const body = (lines[i] as string).trim();
        if (!body.startsWith('#')) series.push(parseSeriesLine(body, i + 1));
        i++;
      }
      cmds.push({ kind: 'load', stepMs, series, nhcb: m[1] !== undefined, line: lineNo });
      continue;
    }
    if (line === 'clear') {
      cmds.push({ kind: 'clear', line: lineNo });
      continue;
    }
    if ((m = /^(eval(?:_fail|_warn|_info|_ordered)?)\s+(instant|range)\s+(.*)$/.exec(line))) {
      const expect: Expectations = {
        fail: null, warn: null, info: null, noWarn: false, noInfo: false, ordered: false, string: null, rangeVector: null,
      };
      const legacy = m[1] as string;
      if (legacy === 'eval_fail') expect.fail = {};
      if (legacy === 'eval_warn') expect.warn = [{}];
      if (legacy === 'eval_info') expect.info = [{}];
      if (legacy === 'eval_ordered') expect.ordered = true;
      const rest = m[3] as string;
      let instant = true, start = 0, end = 0, step = 0, expr = '';
      if (m[2] === 'instant') {
        const im = /^at\s+(\S+)\s+(.*)$/.exec(rest);
        if (!im) throw new ScriptError(`line ${lineNo}: bad instant eval`);
        start = end = parseTime(im[1] as string, lineNo);
        expr = im[2] as string;
      } else {
        const rm = /^from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.*)$/.exec(rest);
        if (!rm) throw new ScriptError(`line ${lineNo}: bad range eval`);
        instant = false;
        start = parseTime(rm[1] as string, lineNo);
        end = parseTime(rm[2] as string, lineNo);
        step = parseTime(rm[3] as string, lineNo);
        expr = rm[4] as string;
      }
      const results: SeriesSpec[] = [];
      let scalarValue: number | null = null;
      while (isBody(lines[i])) {
        const body = (lines[i] as string).trim();
        const bodyLine = i + 1;
        i++;
        if (body.startsWith('#')) continue;
        const em = /^expect\s+(\S+)(?:\s+(.*))?$/.exec(body);
        if (em) {
          parseExpect(expect, em[1] as string, (em[2] ?? '').trim(), bodyLine);
          continue;
        }
        const n = parseNumberText(body);
        if (n !== null && !/[{}a-zA-Z_]/.test(body.replace(/^[+-]?(inf|nan)$/i, ''))) {
          scalarValue = n;
          continue;
        }
        results.push(parseSeriesLine(body, bodyLine));
      }
      cmds.push({ kind: 'eval', line: lineNo, expr, instant, start, end, step, expect, results, scalar: scalarValue });
      continue;
    }
    throw new ScriptError(`line ${lineNo}: unknown command ${JSON.stringify(line)}`);
  }
  return cmds;
}

function parseExpect(e: Expectations, kind: string, rest: string, line: number): void {
  const detail = (): { msg?: string; regex?: string } => {
    const mm = /^msg:\s?(.*)$/.exec(rest);
    if (mm) return { msg: (mm[1] as string).trim() };
    const rm = /^regex:\s?(.*)$/.exec(rest);
    if (rm) return { regex: (rm[1] as string).trim() };
    return {};
  };
  switch (kind) {
    case 'fail': e.fail = detail(); return;
    case 'warn': (e.warn ??= []).push(detail()); return;
    case 'info': (e.info ??= []).push(detail()); return;
    case 'no_warn': e.noWarn = true; return;
    case 'no_info': e.noInfo = true; return;
    case 'ordered': e.ordered = true; return;
    case 'string': e.string = unquoteString(rest); return;
    case 'range': {
      const m = /^vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(rest);
      if (!m) throw new ScriptError(`line ${line}: bad expect range vector`);
      e.rangeVector = { start: parseTime(m[1] as string, line), end: parseTime(m[2] as string, line), step: parseTime(m[3] as string, line) };
      return;
    }
    default:
      throw new ScriptError(`line ${line}: unknown expect ${kind}`);
  }
}

export function parseTime(text: string, line: number): number {
  const ms = parseDurationMs(text);
  if (ms === null) throw new ScriptError(`line ${line}: bad time ${JSON.stringify(text)}`);
  return ms;
}

/** `name{a="b"} values…` → labels and expanded values. */
export function parseSeriesLine(text: string, line: number): SeriesSpec {
  let i = 0;
  const labels: Record<string, string> = {};
  const nm = /^[a-zA-Z_:][a-zA-Z0-9_:.]*/.exec(text);
  if (nm) {
    labels.__name__ = nm[0];
    i = nm[0].length;
  }
  if (text[i] === '{') {
    i++;
    for (;;) {
      while (text[i] === ' ' || text[i] === ',' || text[i] === '\t') i++;
      if (text[i] === '}') {
        i++;
        break;
      }
      if (i >= text.length) throw new ScriptError(`line ${line}: unterminated label set`);
      let name: string;
      if (text[i] === '"') {
        const s = readQuoted(text, i, line);
        name = s.value;
        i = s.next;
      } else {
        const lm = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
        if (!lm) throw new ScriptError(`line ${line}: bad label name at ${JSON.stringify(text.slice(i))}`);
        name = lm[0];
        i += name.length;
      }
      while (text[i] === ' ') i++;
      if (text[i] !== '=') {
        // A bare quoted string is the metric name.
        labels.__name__ = name;
        continue;
      }
      i++;
      while (text[i] === ' ') i++;
      const v = readQuoted(text, i, line);
      labels[name] = v.value;
      i = v.next;
    }
  }
  const rest = text.slice(i).trim();
  if (rest.startsWith('@')) {
    // Annotated series (e.g. `@st` start timestamps) belong to experimental features: keep them opaque.
    const count = rest.split(/\s+/).length - 1;
    return { labels, values: Array.from({ length: count }, () => ({ kind: 'opaque' as const })), line };
  }
  return { labels, values: expandValues(rest, line), line };
}

function readQuoted(text: string, i: number, line: number): { value: string; next: number } {
  const q = text[i] as string;
  let j = i + 1;
  while (j < text.length && text[j] !== q) j += text[j] === '\\' ? 2 : 1;
  if (j >= text.length) throw new ScriptError(`line ${line}: unterminated string`);
  return { value: unquoteString(text.slice(i, j + 1)), next: j + 1 };
}

/** Expands `1+2x3 _ stale _x2 5x2 {{…}}` into individual points. */
export function expandValues(text: string, line: number): Expanded[] {
  const out: Expanded[] = [];
  if (text === '') return out;
  // Histogram literals contain spaces; each {{…}}(…) token is one histogram run.
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') {
      if (text.startsWith('{{', j)) {
        const close = text.indexOf('}}', j);
        j = close < 0 ? text.length : close + 2;
      } else j++;
    }
    tokens.push(text.slice(i, j));
    i = j;
  }
  for (const tok of tokens) {
    if (tok.startsWith('{{')) {
      try {
        for (const h of expandHistogramToken(tok)) out.push({ kind: 'histogram', h });
      } catch (err) {
        if (err instanceof HistogramNotationError) throw new ScriptError(`line ${line}: ${err.message}`, { cause: err });
        throw err;
      }
      continue;
    }
    if (tok === '_') {
      out.push({ kind: 'gap' });
      continue;
    }
    if (tok === 'stale') {
      out.push({ kind: 'stale' });
      continue;
    }
    let m = /^_x(\d+)$/.exec(tok);
    if (m) {
      for (let k = 0; k < Number(m[1]); k++) out.push({ kind: 'gap' });
      continue;
    }
    m = /^([^x]+?)([+-])([^x+-][^x]*)x(\d+)$/.exec(tok);
    if (m) {
      const a = parseNumberText(m[1] as string);
      const b = parseNumberText(m[3] as string);
      if (a === null || b === null) throw new ScriptError(`line ${line}: bad value ${JSON.stringify(tok)}`);
      const d = m[2] === '-' ? -b : b;
      const n = Number(m[4]);
      // Prometheus accumulates the increment rather than multiplying (matters for float rounding).
      let cur = a;
      for (let k = 0; k <= n; k++) {
        out.push({ kind: 'value', v: cur });
        cur += d;
      }
      continue;
    }
    m = /^([^x]+)x(\d+)$/.exec(tok);
    if (m) {
      const a = parseNumberText(m[1] as string);
      if (a === null) throw new ScriptError(`line ${line}: bad value ${JSON.stringify(tok)}`);
      for (let k = 0; k <= Number(m[2]); k++) out.push({ kind: 'value', v: a });
      continue;
    }
    const v = parseNumberText(tok);
    if (v === null) throw new ScriptError(`line ${line}: bad value ${JSON.stringify(tok)}`);
    out.push({ kind: 'value', v });
  }
  return out;
}
