// A thin adapter over the shared series notation (src/promql/series-notation.ts): promtool's
// `series:` and `values:` come as separate fields, and its errors become values carrying no line
// number of their own (the caller knows where the field was written).
import { expandValues, parseSeriesLine } from '../../promql/series-notation.js';
import type { NativeHistogram } from '../../promql/native-histogram.js';

export type SeriesValue =
  | { kind: 'value'; v: number }
  | { kind: 'gap' }
  | { kind: 'stale' }
  | { kind: 'histogram'; h: NativeHistogram }
  /** A notation the shared parser recognises but does not decode (experimental ones). */
  | { kind: 'unsupported' };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * `name{label="value", …}` as promtool's series and expected-sample labels take it. The empty
 * string and `{}` are the empty label set, as Prometheus's ParseMetric reads them.
 */
export function parseSeriesText(text: string): Parsed<Record<string, string>> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: {} };
  // The shared parser reads whatever character follows `=` as the quote; PromQL needs a real one.
  const bare = unquotedValueAt(trimmed);
  if (bare >= 0) return { ok: false, error: `label value must be a quoted string at ${JSON.stringify(trimmed.slice(bare))}` };
  try {
    const spec = parseSeriesLine(trimmed, 1);
    if (spec.values.length > 0) return { ok: false, error: `unexpected text after the label set in ${JSON.stringify(trimmed)}` };
    return { ok: true, value: spec.labels };
  } catch (err) {
    return { ok: false, error: cleanMessage(err, trimmed) };
  }
}

/** promtool's expanding notation (`1+2x3 _ _x2 stale 10-1x5`) into one entry per interval step. */
export function expandSeriesValues(text: string): Parsed<SeriesValue[]> {
  try {
    const out: SeriesValue[] = [];
    for (const v of expandValues(text.trim(), 1)) {
      switch (v.kind) {
        case 'value':
          out.push({ kind: 'value', v: v.v });
          break;
        case 'gap':
        case 'stale':
          out.push({ kind: v.kind });
          break;
        case 'histogram':
          out.push({ kind: 'histogram', h: v.h });
          break;
        default:
          out.push({ kind: 'unsupported' });
      }
    }
    return { ok: true, value: out };
  } catch (err) {
    return { ok: false, error: cleanMessage(err, text.trim()) };
  }
}

/** Index of the first label value outside quotes that is not itself quoted, or -1. */
function unquotedValueAt(text: string): number {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== '') {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '=') {
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '\t') j++;
      const next = text[j];
      if (next !== '"' && next !== "'" && next !== '`') return j;
    }
  }
  return -1;
}

function cleanMessage(err: unknown, text: string): string {
  if (!(err instanceof Error)) throw err;
  const msg = err.message.replace(/^line \d+: /, '');
  return msg.includes(text) ? msg : `${msg} in ${JSON.stringify(text)}`;
}
