// promtool's output for `test rules`, byte for byte where it can be: Go's duration, float and label
// formatting, and the alert/sample blocks of cmd/promtool/unittest.go.
import { histogramTestExpression } from './histogram-expression.js';
import type { Failure, FileOutcome, GotAlert, GotSample } from './run.js';

export interface ReportSink {
  out(text: string): void;
  err(text: string): void;
}

/** One file's block: header on stdout, failures on stderr each followed by a blank stdout line, as promtool. */
export function writeFileReport(o: FileOutcome, sink: ReportSink): void {
  sink.out(`Unit Testing:  ${o.file}\n`);
  for (const w of o.warnings) sink.err(`  WARNING: ${w}\n`);
  if (o.failures.length === 0) sink.out('  SUCCESS\n');
  else {
    sink.err('  FAILED:\n');
    for (const f of o.failures) {
      sink.err(`${renderFailure(f)}\n`);
      sink.out('\n');
    }
  }
  sink.out('\n');
}

export function renderFailure(f: Failure): string {
  switch (f.kind) {
    case 'error':
      return f.message;
    case 'rule':
      return `    rule: ${f.rule}, time: ${goDuration(f.atMs)}, err: ${f.error}`;
    case 'alert': {
      const name = f.testName === '' ? '' : `    name: ${f.testName},\n`;
      const exp = indentLines(alertsString(f.exp), '            ');
      const got = indentLines(alertsString(f.got), '            ');
      return `${name}    alertname: ${f.alertname}, time: ${modelDuration(f.evalTimeMs)}, \n        exp:${exp}, \n        got:${got}`;
    }
    case 'expr-error':
      return `    expr: ${goQuote(f.expr)}, time: ${modelDuration(f.evalTimeMs)}, err: ${f.error}`;
    case 'expr':
      return `    expr: ${goQuote(f.expr)}, time: ${modelDuration(f.evalTimeMs)},\n        exp: ${samplesString(f.exp)}\n        got: ${samplesString(f.got)}`;
  }
}

function alertsString(alerts: readonly GotAlert[]): string {
  if (alerts.length === 0) return '[]';
  const items = alerts.map((a, i) => `${i}:${indentLines(`\nLabels:${goLabels(a.labels)}\nAnnotations:${goLabels(a.annotations)}`, '  ')}`);
  return `[\n${items.join(',\n')}\n]`;
}

function samplesString(samples: readonly GotSample[]): string {
  if (samples.length === 0) return 'nil';
  return samples.map((s) => `${goLabels(s.labels)} ${s.histogram ? histogramTestExpression(s.histogram) : goFloatE(s.value)}`).join(', ');
}

/** Go's indentLines from promtool: every line but the first gets the indent. */
export function indentLines(text: string, indent: string): string {
  return text.split('\n').join(`\n${indent}`);
}

/** Go's labels.Labels.String(): `{a="x", b="y"}`, names sorted bytewise, odd names quoted. */
export function goLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort(compareStrings)
    .map((n) => `${/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n) ? n : goQuote(n)}=${goQuote(labels[n] as string)}`);
  return `{${parts.join(', ')}}`;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go's strconv.Quote for the characters label values and expressions contain. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0x2028 || c === 0x2029 || c === 0xfeff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go's strconv.FormatFloat(v, 'E', -1, 64): the shortest exact form, `1E+00`, `9.21888E+09`. */
export function goFloatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const [mant, exp] = v.toExponential().split('e') as [string, string];
  const e = Number(exp);
  const sign = Object.is(v, -0) ? '-' : '';
  return `${sign}${mant}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

const MS = { y: 31_536_000_000, w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** Prometheus's model.Duration.String(): `5m`, `1d`, `2m59s999ms`; years and weeks only when exact. */
export function modelDuration(ms: number): string {
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of Object.entries(MS)) {
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Go's time.Duration.String() at millisecond precision: `0s`, `999ms`, `5m0s`, `1h0m0s`, `2m59.999s`. */
export function goDuration(ms: number): string {
  let u = Math.abs(Math.round(ms));
  if (u === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  if (u < 1000) return `${sign}${u}ms`;
  const h = Math.floor(u / MS.h);
  u -= h * MS.h;
  const m = Math.floor(u / MS.m);
  u -= m * MS.m;
  const s = Math.floor(u / 1000);
  const frac = u % 1000;
  const secs = frac === 0 ? `${s}` : `${s}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
  return `${sign}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${secs}s`;
}
