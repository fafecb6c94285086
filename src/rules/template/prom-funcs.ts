// Prometheus' template functions (template/template.go and prometheus/common helpers/templates),
// reimplemented over the Go value model so their output matches Prometheus byte for byte.

import { isIP } from 'node:net';
import { queryEscape } from './builtins.js';
import { formatV, sprintf } from './go-fmt.js';
import { mustCompile, compileGoRegexp, replaceAllString } from './go-regexp.js';
import { parseFloatStrict } from './go-strconv.js';
import { GoDuration, GoHTML, GoMap, GoSlice, GoStruct, GoTime, typeName, type GoFunc, type Value } from './values.js';

export interface QuerySample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}
/** Runs a PromQL instant query at the evaluation time; injected by the rule evaluator. */
export type QueryFn = (expr: string) => readonly QuerySample[];

export interface PromFuncDeps {
  readonly query: QueryFn | undefined;
  /** Evaluation time, epoch ms. */
  readonly nowMs: () => number;
  readonly externalURL: string;
}

const QUERY_RESULT = 'template.queryResult';
const SAMPLE = '*template.sample';

export function makeSample(labels: Readonly<Record<string, string>>, value: number): GoStruct {
  return new GoStruct(SAMPLE, new Map<string, Value>([['Labels', GoMap.ofStrings(labels)], ['Value', value]]), true);
}

/** ConvertToFloat: float64, string (strconv.ParseFloat), int, uint, time.Duration. */
export function convertToFloat(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseFloatStrict(v);
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoDuration) return Number(v.ns) / 1e9;
  throw new Error(`can't convert ${v === undefined || v === null ? '<nil>' : typeName(v)} to float`);
}

const g4 = (v: number): string => sprintf('%.4g', [v]);

export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  let x = v;
  let prefix = '';
  if (Math.abs(x) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(x) < 1000) break;
      prefix = p;
      x /= 1000;
    }
    return g4(x) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return g4(x) + prefix;
}

export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let x = v;
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(x) < 1024) break;
    prefix = p;
    x /= 1024;
  }
  return g4(x) + prefix;
}

/** Go's int64(f) for the values humanizeDuration sees (truncation toward zero). */
const int64Of = (x: number): bigint => BigInt(Math.trunc(Math.min(Math.max(x, -(2 ** 63)), 2 ** 63 - 1024)));

export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  let x = v;
  if (Math.abs(x) >= 1) {
    let sign = '';
    if (x < 0) {
      sign = '-';
      x = -x;
    }
    const duration = int64Of(x);
    const seconds = duration % 60n;
    const minutes = (duration / 60n) % 60n;
    const hours = (duration / 60n / 60n) % 24n;
    const days = duration / 60n / 60n / 24n;
    if (days !== 0n) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0n) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0n) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(x)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return `${g4(x)}${prefix}s`;
}

export const humanizePercentage = (v: number): string => `${g4(v * 100)}%`;

class NaNOrInfError extends Error {
  constructor() {
    super('value is NaN or Inf');
  }
}

/** FloatToTime: seconds → UTC time with Prometheus' millisecond resolution. */
export function floatToTime(v: number): GoTime {
  if (!Number.isFinite(v)) throw new NaNOrInfError();
  const ts = v * 1e9;
  if (ts > 9223372036854775807 || ts < -9223372036854775808) {
    throw new Error(`${formatV(v)} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  }
  const ms = BigInt(Math.trunc(ts)) / 1_000_000n;
  return new GoTime(ms * 1_000_000n);
}

export function humanizeTimestamp(v: number): string {
  try {
    return floatToTime(v).toString();
  } catch (e) {
    if (e instanceof NaNOrInfError) return g4(v);
    throw e;
  }
}

const UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['y', 365n * 24n * 3600n * 1000n], ['w', 7n * 24n * 3600n * 1000n], ['d', 24n * 3600n * 1000n],
  ['h', 3600n * 1000n], ['m', 60n * 1000n], ['s', 1000n], ['ms', 1n],
];

/** model.ParseDuration (negative values allowed, as in Prometheus 3), in seconds. */
export function parseDuration(input: string): number {
  let s = input;
  let neg = false;
  if (s.startsWith('-')) {
    neg = true;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error('empty duration string');
  let total = 0n;
  let lastUnit = -1;
  const bad = (): Error => new Error(`not a valid duration string: ${JSON.stringify(input)}`);
  while (s !== '') {
    const m = /^([0-9]+)([^0-9]*)/.exec(s);
    if (!m) throw bad();
    const unitStr = m[2] ?? '';
    if (unitStr === '') throw bad();
    const unitIndex = UNITS.findIndex(([u]) => u === unitStr);
    if (unitIndex < 0) throw new Error(`unknown unit ${JSON.stringify(unitStr)} in duration ${JSON.stringify(input)}`);
    if (unitIndex <= lastUnit) throw bad();
    lastUnit = unitIndex;
    total += BigInt(m[1] ?? '0') * (UNITS[unitIndex]?.[1] ?? 0n) * 1_000_000n;
    if (total > 9223372036854775807n) throw new Error('duration out of range');
    s = s.slice(m[0].length);
  }
  const secs = Number(total) / 1e9;
  return neg ? -secs : secs;
}

/** net.SplitHostPort. */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 === hostport.length || end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.slice(j).includes('[') || hostport.slice(k).includes(']')) return undefined;
  return { host, port: hostport.slice(i + 1) };
}

function stripDomain(hostPort: string): string {
  const hp = splitHostPort(hostPort);
  const host = hp ? hp.host : hostPort;
  const port = hp ? hp.port : '';
  if (isIP(host) !== 0) return hostPort;
  const first = host.split('.')[0] ?? '';
  if (port !== '') return first.includes(':') ? `[${first}]:${port}` : `${first}:${port}`;
  return first;
}

function isTitleSeparator(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** Per-rune case mapping like Go's unicode.ToUpper (no multi-rune expansions such as ß → SS). */
function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

/** strings.Title: upper-cases the first letter of each word and leaves the rest alone. */
export function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isTitleSeparator(prev) ? mapRunes(ch, (c) => c.toUpperCase()) : ch;
    prev = ch;
  }
  return out;
}

function urlPath(u: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:(\/\/[^/?#]*)?([^?#]*)/.exec(u) ?? /^([^?#]*)/.exec(u);
  const raw = (m?.[2] ?? m?.[1] ?? '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

const asSample = (v: Value): GoStruct => {
  if (!(v instanceof GoStruct)) throw new Error('runtime error: invalid memory address or nil pointer dereference');
  return v;
};
const sampleLabels = (s: GoStruct): GoMap => s.fields.get('Labels') as GoMap;

export function promFuncs(deps: PromFuncDeps): Map<string, GoFunc> {
  const str = (v: Value): string => String(v);
  const num = (f: (v: number) => Value): GoFunc => ({ params: ['any'], call: ([v]) => f(convertToFloat(v)) });
  return new Map<string, GoFunc>([
    ['query', {
      params: ['string'],
      call: ([q]) => {
        if (deps.query === undefined) throw new Error('no query function is configured');
        return new GoSlice(QUERY_RESULT, deps.query(str(q)).map((s) => makeSample(s.labels, s.value)));
      },
    }],
    ['first', {
      params: ['queryResult'],
      call: ([v]) => {
        const first = v instanceof GoSlice ? v.elems[0] : undefined;
        if (first === undefined) throw new Error('first() called on vector with no elements');
        return first;
      },
    }],
    ['label', { params: ['string', '*sample'], call: ([l, s]) => sampleLabels(asSample(s)).entries.get(str(l)) ?? '' }],
    ['value', { params: ['*sample'], call: ([s]) => asSample(s).fields.get('Value') }],
    ['strvalue', { params: ['*sample'], call: ([s]) => sampleLabels(asSample(s)).entries.get('__value__') ?? '' }],
    ['sortByLabel', {
      params: ['string', 'queryResult'],
      call: ([l, v]) => {
        if (!(v instanceof GoSlice)) return new GoSlice(QUERY_RESULT, []);
        const key = (e: Value): string => (e instanceof GoStruct ? (sampleLabels(e).entries.get(str(l)) as string | undefined) ?? '' : '');
        const sorted = v.elems.map((e, i) => ({ e, i, k: key(e) }))
          .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
        sorted.forEach((s, i) => {
          v.elems[i] = s.e;
        });
        return v;
      },
    }],
    ['args', {
      params: [],
      variadic: 'any',
      call: (args) => new GoMap('map[string]interface {}', new Map(args.map((a, i) => [`arg${i}`, a] as const)), undefined),
    }],
    ['reReplaceAll', {
      params: ['string', 'string', 'string'],
      call: ([p, r, t]) => replaceAllString(mustCompile(str(p)), str(t), str(r)),
    }],
    ['match', { params: ['string', 'string'], call: ([p, s]) => compileGoRegexp(str(p)).test(str(s)) }],
    ['safeHtml', { params: ['string'], call: ([s]) => new GoHTML(str(s)) }],
    ['title', { params: ['string'], call: ([s]) => title(str(s)) }],
    ['toUpper', { params: ['string'], call: ([s]) => mapRunes(str(s), (c) => c.toUpperCase()) }],
    ['toLower', { params: ['string'], call: ([s]) => mapRunes(str(s), (c) => c.toLowerCase()) }],
    ['graphLink', { params: ['string'], call: ([e]) => `/graph?g0.expr=${queryEscape(str(e))}&g0.tab=0` }],
    ['tableLink', { params: ['string'], call: ([e]) => `/graph?g0.expr=${queryEscape(str(e))}&g0.tab=1` }],
    ['stripPort', { params: ['string'], call: ([s]) => splitHostPort(str(s))?.host ?? str(s) }],
    ['stripDomain', { params: ['string'], call: ([s]) => stripDomain(str(s)) }],
    ['urlQueryEscape', { params: ['string'], call: ([s]) => queryEscape(str(s)) }],
    ['humanize', num(humanize)],
    ['humanize1024', num(humanize1024)],
    ['humanizeDuration', num(humanizeDuration)],
    ['humanizePercentage', num(humanizePercentage)],
    ['humanizeTimestamp', num(humanizeTimestamp)],
    ['toTime', num(floatToTime)],
    ['toDuration', num((v) => new GoDuration(BigInt(Math.trunc(Number.isNaN(v) ? -(2 ** 63) : Math.min(Math.max(v * 1e9, -(2 ** 63)), 2 ** 63 - 1024)))))],
    ['parseDuration', { params: ['string'], call: ([d]) => parseDuration(str(d)) }],
    ['now', { params: [], call: () => deps.nowMs() / 1000 }],
    ['pathPrefix', { params: [], call: () => urlPath(deps.externalURL) }],
    ['externalURL', { params: [], call: () => deps.externalURL }],
  ]);
}

/** Every function name a template may use; the parser rejects others as Go does. */
export const PROM_FUNC_NAMES: ReadonlySet<string> = new Set(
  promFuncs({ query: undefined, nowMs: () => 0, externalURL: '' }).keys(),
);
