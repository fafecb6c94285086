// Prometheus's series notation, shared by promqltest scripts and promtool's rule unit tests:
// `name{a="b"}` descriptors and the expanding values (1+2x3, _x3, stale, {{…}} histograms).
import { parseNumberText, unquoteString } from './literals.js';
import type { NativeHistogram } from './native-histogram.js';
import { HistogramNotationError, expandHistogramToken } from './histogram-notation.js';

/** A malformed series line or value; the message names the line. */
export class NotationError extends Error {}

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
      if (i >= text.length) throw new NotationError(`line ${line}: unterminated label set`);
      let name: string;
      if (text[i] === '"') {
        const s = readQuoted(text, i, line);
        name = s.value;
        i = s.next;
      } else {
        const lm = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
        if (!lm) throw new NotationError(`line ${line}: bad label name at ${JSON.stringify(text.slice(i))}`);
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
  if (j >= text.length) throw new NotationError(`line ${line}: unterminated string`);
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
        if (err instanceof HistogramNotationError) throw new NotationError(`line ${line}: ${err.message}`, { cause: err });
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
      if (a === null || b === null) throw new NotationError(`line ${line}: bad value ${JSON.stringify(tok)}`);
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
      if (a === null) throw new NotationError(`line ${line}: bad value ${JSON.stringify(tok)}`);
      for (let k = 0; k <= Number(m[2]); k++) out.push({ kind: 'value', v: a });
      continue;
    }
    const v = parseNumberText(tok);
    if (v === null) throw new NotationError(`line ${line}: bad value ${JSON.stringify(tok)}`);
    out.push({ kind: 'value', v });
  }
  return out;
}
