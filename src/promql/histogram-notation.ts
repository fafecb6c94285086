// The native histogram notation of PromQL test scripts and promtool series: `{{schema:1 sum:3 count:22
// buckets:[5 10 7] offset:-1 n_buckets:[…] z_bucket:2 z_bucket_w:0.001 custom_values:[…] counter_reset_hint:gauge}}`,
// and the expanding forms `{{…}}xN`, `{{…}}+{{…}}xN` and `{{…}}-{{…}}xN`.

import { parseNumberText } from './literals.js';
import {
  CUSTOM_BUCKETS_SCHEMA, NO_BUCKETS, addHistograms, subHistograms,
  type Buckets, type CounterResetHint, type NativeHistogram,
} from './native-histogram.js';

export class HistogramNotationError extends Error {}

const HINTS: Record<string, CounterResetHint> = {
  unknown: 'unknown', reset: 'reset', not_reset: 'not_reset', gauge: 'gauge',
};

const KEYS = new Set([
  'schema', 'sum', 'count', 'z_bucket', 'z_bucket_w', 'custom_values', 'buckets', 'offset', 'n_buckets', 'n_offset',
  'counter_reset_hint',
]);

/** Parses one `{{…}}` literal (braces included). */
export function parseHistogramLiteral(text: string): NativeHistogram {
  const m = /^\{\{(.*)\}\}$/s.exec(text.trim());
  if (!m) throw new HistogramNotationError(`not a histogram: ${JSON.stringify(text)}`);
  const fields = new Map<string, string>();
  const body = m[1] as string;
  const re = /\s*([a-z_]+):\s*(\[[^\]]*\]|[^\s\]]+)\s*/gy;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const f = re.exec(body);
    if (!f) {
      if (body.slice(pos).trim() === '') break;
      throw new HistogramNotationError(`bad histogram field at ${JSON.stringify(body.slice(pos))}`);
    }
    const key = f[1] as string;
    if (!KEYS.has(key)) throw new HistogramNotationError(`unknown histogram field ${JSON.stringify(key)}`);
    if (fields.has(key)) throw new HistogramNotationError(`duplicate key "${key}" in histogram`);
    fields.set(key, f[2] as string);
    pos = re.lastIndex;
  }
  const num = (key: string, dflt: number): number => {
    const raw = fields.get(key);
    if (raw === undefined) return dflt;
    const v = parseNumberText(raw);
    if (v === null) throw new HistogramNotationError(`bad number for ${key}: ${JSON.stringify(raw)}`);
    return v;
  };
  const list = (key: string): number[] | null => {
    const raw = fields.get(key);
    if (raw === undefined) return null;
    const inner = /^\[(.*)\]$/s.exec(raw);
    if (!inner) throw new HistogramNotationError(`expected a list for ${key}`);
    return (inner[1] as string).trim().split(/\s+/).filter((s) => s !== '').map((s) => {
      const v = parseNumberText(s);
      if (v === null) throw new HistogramNotationError(`bad number in ${key}: ${JSON.stringify(s)}`);
      return v;
    });
  };
  const buckets = (key: string, offsetKey: string): Buckets => {
    const counts = list(key);
    if (counts === null || counts.length === 0) return NO_BUCKETS;
    const offset = num(offsetKey, 0);
    return { idx: counts.map((_, i) => offset + i), counts };
  };
  const hintText = fields.get('counter_reset_hint') ?? 'unknown';
  const hint = HINTS[hintText];
  if (hint === undefined) throw new HistogramNotationError(`unknown counter_reset_hint ${JSON.stringify(hintText)}`);
  const schema = num('schema', 0);
  const custom = list('custom_values');
  return {
    schema,
    sum: num('sum', 0),
    count: num('count', 0),
    zeroCount: num('z_bucket', 0),
    zeroThreshold: num('z_bucket_w', 0),
    positive: buckets('buckets', 'offset'),
    negative: buckets('n_buckets', 'n_offset'),
    customValues: schema === CUSTOM_BUCKETS_SCHEMA ? (custom ?? []) : null,
    hint,
  };
}

/** Expands a histogram token of a series line into its samples. */
export function expandHistogramToken(tok: string): NativeHistogram[] {
  const close = tok.indexOf('}}');
  if (!tok.startsWith('{{') || close < 0) throw new HistogramNotationError(`bad histogram ${JSON.stringify(tok)}`);
  const base = parseHistogramLiteral(tok.slice(0, close + 2));
  const rest = tok.slice(close + 2);
  if (rest === '') return [base];
  let m = /^x(\d+)$/.exec(rest);
  if (m) return Array.from({ length: Number(m[1]) + 1 }, () => base);
  m = /^([+-])(\{\{.*\}\})x(\d+)$/s.exec(rest);
  if (!m) throw new HistogramNotationError(`bad histogram series ${JSON.stringify(tok)}`);
  const inc = parseHistogramLiteral(m[2] as string);
  const times = Number(m[3]);
  const out = [base];
  let cur = base;
  for (let i = 1; i <= times; i++) {
    if (cur.schema > inc.schema) {
      throw new HistogramNotationError(`error combining histograms: cannot merge from schema ${inc.schema} to ${cur.schema}`);
    }
    const r = m[1] === '+' ? addHistograms(cur, inc) : subHistograms(cur, inc);
    if (r === null) throw new HistogramNotationError('error combining histograms: incompatible schemas');
    cur = r.h;
    out.push(cur);
  }
  return out;
}
