// Parser for Prometheus's PromQL engine test scripts (promqltest's *.test format): load/clear/eval commands,
// `expect` lines; series lines are read by ../series-notation.ts.

import { parseDurationMs, parseNumberText, unquoteString } from '../literals.js';
import { NotationError, parseSeriesLine, type SeriesSpec } from '../series-notation.js';

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

/** A malformed script; series lines throw the NotationError it extends. */
export class ScriptError extends NotationError {}

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
