// Runs one rule unit-test file on promtool's timeline: per test group, a fresh series window; at every
// evaluation_interval step from 0 to the group's largest eval_time the input samples up to that instant
// are loaded (promtool loads them lazily, so later samples are not there yet), every rule group is
// evaluated in group_eval_order, and the alert tests due in [step, step + interval) are checked against
// the firing alerts. The PromQL tests run last, against everything loaded and recorded by then.
import { dirname, isAbsolute, join } from 'node:path';
import {
  createEngine, createSeriesWindow, LabelSet, parseExpr, PromQLParseError, type Expr, type LoadPoint, type QueryResult,
} from '../../promql/index.js';
import { detectReset, withHint, type NativeHistogram } from '../../promql/native-histogram.js';
import { parseRuleFile, type RuleGroupDef } from '../rule-file.js';
import { RuleGroup } from '../rule-group.js';
import { BadPatternError } from '../../config/glob.js';
import { histogramsMatch } from './histogram-expression.js';
import { compareStrings, modelDuration } from './report.js';
import { expandSeriesValues } from './series-notation.js';
import { parseTestFile, type AlertTestCase, type TestGroup, type UnitTestFile } from './test-file.js';

export interface GotAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface GotSample {
  labels: Record<string, string>;
  value: number;
  histogram?: NativeHistogram;
}

/** What promtool reports, one entry per block of its output. */
export type Failure =
  | { kind: 'error'; message: string }
  | { kind: 'rule'; rule: string; atMs: number; error: string }
  | { kind: 'alert'; testName: string; alertname: string; evalTimeMs: number; exp: GotAlert[]; got: GotAlert[] }
  | { kind: 'expr-error'; expr: string; evalTimeMs: number; error: string }
  | { kind: 'expr'; expr: string; evalTimeMs: number; exp: GotSample[]; got: GotSample[] };

export interface FileOutcome {
  file: string;
  warnings: string[];
  failures: Failure[];
}

export interface RunIo {
  readFile(path: string): string;
  /** Go filepath.Glob semantics; throws BadPatternError for a malformed pattern. */
  glob(pattern: string): string[];
}

const LOOKBACK_MS = 5 * 60_000;

export function runTestFile(file: string, io: RunIo): FileOutcome {
  const outcome: FileOutcome = { file, warnings: [], failures: [] };
  const fail = (message: string) => outcome.failures.push({ kind: 'error', message });
  let text: string;
  try {
    text = io.readFile(file);
  } catch (err) {
    fail(`${file}: cannot read: ${errorCode(err)}`);
    return outcome;
  }
  const parsed = parseTestFile(text, file);
  if (!parsed.ok) {
    parsed.errors.forEach(fail);
    return outcome;
  }
  const spec = parsed.spec;
  const rules = loadRules(spec, io, outcome);
  if (rules === undefined) return outcome;
  for (const tg of spec.tests) outcome.failures.push(...runGroup(spec, tg, rules));
  return outcome;
}

/** The rule groups of the file's rule_files in evaluation order, or undefined after reporting why not. */
function loadRules(spec: UnitTestFile, io: RunIo, outcome: FileOutcome): RuleGroupDef[] | undefined {
  const paths: string[] = [];
  for (const rf of spec.ruleFiles) {
    const pattern = rf.pattern !== '' && !isAbsolute(rf.pattern) ? join(dirname(spec.file), rf.pattern) : rf.pattern;
    try {
      const matches = io.glob(pattern);
      // promtool only warns: the tests then run without those rules.
      if (matches.length === 0) outcome.warnings.push(`no file match pattern ${pattern} (${spec.file}:${rf.line})`);
      paths.push(...matches);
    } catch (err) {
      if (!(err instanceof BadPatternError)) throw err;
      outcome.failures.push({ kind: 'error', message: `${spec.file}:${rf.line}: rule_files: ${JSON.stringify(rf.pattern)}: ${err.message}` });
      return undefined;
    }
  }
  const defs: RuleGroupDef[] = [];
  const errors: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = io.readFile(path);
    } catch (err) {
      errors.push(`${path}: cannot read: ${errorCode(err)}`);
      continue;
    }
    const parsed = parseRuleFile(text, path);
    errors.push(...parsed.errors);
    defs.push(...parsed.groups);
  }
  // promtool loads the rules per test group, so a file without tests never reads them.
  if (errors.length > 0 && spec.tests.length > 0) {
    for (const message of errors) outcome.failures.push({ kind: 'error', message });
    return undefined;
  }
  // promtool sorts by the position in group_eval_order, unlisted groups counting as 0; ties keep file order.
  const rank = new Map(spec.groupEvalOrder.map((name, i) => [name, i]));
  return defs
    .map((def, i) => ({ def, i, r: rank.get(def.name) ?? 0 }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.def);
}

function runGroup(spec: UnitTestFile, tg: TestGroup, defs: readonly RuleGroupDef[]): Failure[] {
  const file = spec.file;
  if (tg.seriesErrors.length > 0) return tg.seriesErrors.map((message) => ({ kind: 'error', message }));
  const unnamed = tg.alertTests.find((a) => a.alertname === '');
  if (unnamed) {
    const where = tg.name === '' ? '' : ` (in TestGroup ${tg.name})`;
    const message = `${file}:${unnamed.line}: an item under alert_rule_test misses required attribute alertname at eval_time ${modelDuration(unnamed.evalTimeMs)}${where}`;
    return [{ kind: 'error', message }];
  }
  const failures: Failure[] = [];
  const window = createSeriesWindow({ retentionMs: Infinity });
  const engine = createEngine({ window, lookbackMs: LOOKBACK_MS, subqueryStepMs: spec.evaluationIntervalMs });
  const template = { externalLabels: tg.externalLabels, externalURL: tg.externalURL };
  const groups = defs.map((def) => new RuleGroup(def, def.intervalMs ?? tg.intervalMs, def.queryOffsetMs ?? 0, { window, engine, template }));

  const input = inputPoints(tg, failures, file);
  const loadTill = (t: number) => {
    for (const s of input) {
      let end = s.next;
      while (end < s.points.length && (s.points[end] as LoadPoint).t <= t) end++;
      if (end > s.next) window.loadSeries(s.labels, s.points.slice(s.next, end));
      s.next = end;
    }
  };

  const byTime = new Map<number, AlertTestCase[]>();
  for (const a of tg.alertTests) byTime.set(a.evalTimeMs, [...(byTime.get(a.evalTimeMs) ?? []), a]);
  const alertTimes = [...byTime.keys()].sort((a, b) => a - b);
  const maxEvalMs = Math.max(0, ...tg.alertTests.map((a) => a.evalTimeMs), ...tg.promqlTests.map((p) => p.evalTimeMs));
  const stepMs = spec.evaluationIntervalMs;
  let next = 0;
  for (let rel = 0; rel <= maxEvalMs; rel += stepMs) {
    const ts = tg.startMs + rel;
    loadTill(ts);
    const evalErrors: Failure[] = [];
    for (const g of groups) {
      g.evaluate(ts);
      for (const r of g.rules) {
        if (r.lastError !== undefined) evalErrors.push({ kind: 'rule', rule: r.rule.name, atMs: ts, error: `${g.def.file}:${r.rule.line}: ${r.lastError}` });
      }
    }
    // As promtool: a failing rule ends the group, keeping what was already reported.
    if (evalErrors.length > 0) return [...failures, ...evalErrors];
    while (next < alertTimes.length && rel <= (alertTimes[next] as number) && (alertTimes[next] as number) < rel + stepMs) {
      const t = alertTimes[next] as number;
      failures.push(...checkAlerts(tg, groups, byTime.get(t) ?? []));
      next++;
    }
  }

  for (const tc of tg.promqlTests) {
    const failure = checkExpr(file, tc, tg.startMs + tc.evalTimeMs, engine.instant.bind(engine));
    if (failure) failures.push(failure);
  }
  return failures;
}

interface PendingSeries {
  labels: LabelSet;
  points: LoadPoint[];
  next: number;
}

function inputPoints(tg: TestGroup, failures: Failure[], file: string): PendingSeries[] {
  // A series given twice keeps its last definition, as in promqltest's load command.
  const byKey = new Map<string, PendingSeries>();
  for (const s of tg.inputSeries) {
    if (s.values.some((v) => v.kind === 'unsupported')) {
      failures.push({ kind: 'error', message: `${file}:${s.valuesLine}: ${s.path}.values: this value notation is not supported; the series is left out` });
      continue;
    }
    const labels = LabelSet.fromRecord(s.labels);
    const points: LoadPoint[] = [];
    let prev: NativeHistogram | undefined;
    s.values.forEach((v, i) => {
      const t = tg.startMs + i * tg.intervalMs;
      if (v.kind === 'histogram') {
        points.push({ t, v: 0, h: withHint(v.h, readBackHint(v.h, prev)) });
        prev = v.h;
      } else if (v.kind === 'value' || v.kind === 'stale') {
        points.push(v.kind === 'value' ? { t, v: v.v } : { t, v: NaN, stale: true });
        prev = undefined;
      }
    });
    byKey.set(labels.key, { labels, points, next: 0 });
  }
  return [...byKey.values()];
}

/**
 * The counter-reset hint a histogram sample has when promtool reads it back from its TSDB: a gauge stays
 * a gauge; the first sample of a chunk carries the chunk's header (unknown, or reset when one was
 * detected or declared) and every later one is not_reset. A float or stale sample ends the chunk; a gap
 * does not. Chunks cut for size are not modelled.
 */
function readBackHint(h: NativeHistogram, prev: NativeHistogram | undefined): NativeHistogram['hint'] {
  if (h.hint === 'gauge') return 'gauge';
  if (prev === undefined || prev.hint === 'gauge') return h.hint === 'reset' ? 'reset' : 'unknown';
  return detectReset(h, prev) ? 'reset' : 'not_reset';
}

function checkAlerts(tg: TestGroup, groups: readonly RuleGroup[], cases: readonly AlertTestCase[]): Failure[] {
  const names = new Set(cases.map((c) => c.alertname));
  // The same alertname may be used by several rules, in several groups: the test sees their union.
  const got = new Map<string, GotAlert[]>();
  for (const g of groups) {
    for (const r of g.rules) {
      if (r.rule.kind !== 'alert' || !names.has(r.rule.name)) continue;
      const list = got.get(r.rule.name) ?? [];
      for (const a of r.alerts.values()) if (a.state === 'firing') list.push({ labels: { ...a.labels }, annotations: { ...a.annotations } });
      got.set(r.rule.name, list);
    }
  }
  const failures: Failure[] = [];
  for (const c of cases) {
    const gotAlerts = [...(got.get(c.alertname) ?? [])].sort(compareAlerts);
    // exp_labels leave out alertname: Prometheus adds it to every alert.
    const exp = c.expAlerts.map((e) => ({ labels: { ...e.labels, alertname: c.alertname }, annotations: { ...e.annotations } })).sort(compareAlerts);
    const same = exp.length === gotAlerts.length && exp.every((e, i) => compareAlerts(e, gotAlerts[i] as GotAlert) === 0);
    if (!same) failures.push({ kind: 'alert', testName: tg.name, alertname: c.alertname, evalTimeMs: c.evalTimeMs, exp, got: gotAlerts });
  }
  return failures;
}

type Instant = (expr: Expr, t: number) => QueryResult;

function checkExpr(file: string, tc: TestGroup['promqlTests'][number], at: number, instant: Instant): Failure | undefined {
  const base = { expr: tc.expr, evalTimeMs: tc.evalTimeMs };
  let got: GotSample[];
  try {
    const res = instant(parseExpr(tc.expr), at);
    if (res.type === 'vector') got = res.samples.map((s) => ({ labels: s.labels, value: s.value, ...(s.histogram ? { histogram: s.histogram } : {}) }));
    else if (res.type === 'scalar') got = [{ labels: {}, value: res.value }];
    else return { kind: 'expr-error', ...base, error: `${file}:${tc.exprLine}: rule result is not a vector or scalar` };
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    // Parse errors carry their own position in the expression; the file line says which test.
    const line = err instanceof PromQLParseError ? tc.exprLine : tc.line;
    return { kind: 'expr-error', ...base, error: `${file}:${line}: ${err.message}` };
  }
  const exp: GotSample[] = [];
  for (const s of tc.expSamples) {
    if (!s.labels.ok) return { kind: 'expr-error', ...base, error: `${file}:${s.line}: labels ${JSON.stringify(s.labelsText)}: ${s.labels.error}` };
    if (s.histogram === undefined) {
      exp.push({ labels: withoutEmpty(s.labels.value), value: s.value });
      continue;
    }
    // Prometheus 3 reads the expectation as the one value of the series `{} <histogram>`.
    const parsed = expandSeriesValues(s.histogram);
    const h = parsed.ok && parsed.value.length === 1 && parsed.value[0]?.kind === 'histogram' ? parsed.value[0].h : undefined;
    if (h === undefined) {
      const why = !parsed.ok ? parsed.error : parsed.value.length !== 1 ? `expected 1 value, got ${parsed.value.length}` : `expected a histogram, got ${JSON.stringify(s.histogram)}`;
      return { kind: 'expr-error', ...base, error: `${file}:${s.line}: labels ${JSON.stringify(s.labelsText)}: ${why}` };
    }
    exp.push({ labels: withoutEmpty(s.labels.value), value: 0, histogram: h });
  }
  exp.sort(compareSamples);
  got.sort(compareSamples);
  const same = exp.length === got.length && exp.every((e, i) => {
    const g = got[i] as GotSample;
    if (compareLabels(e.labels, g.labels) !== 0) return false;
    // A histogram expectation ignores `value`; a float one never matches a histogram sample.
    if (e.histogram !== undefined || g.histogram !== undefined) {
      return e.histogram !== undefined && g.histogram !== undefined && histogramsMatch(e.histogram, g.histogram, almostEqual);
    }
    return almostEqual(e.value, g.value);
  });
  return same ? undefined : { kind: 'expr', ...base, exp, got };
}

function withoutEmpty(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}

/** Go's labels.Compare: name by name, then value, then the shorter set first. */
export function compareLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): number {
  const ak = Object.keys(a).sort(compareStrings);
  const bk = Object.keys(b).sort(compareStrings);
  for (let i = 0; i < Math.min(ak.length, bk.length); i++) {
    const an = ak[i] as string;
    const bn = bk[i] as string;
    if (an !== bn) return compareStrings(an, bn);
    const c = compareStrings(a[an] as string, b[bn] as string);
    if (c !== 0) return c;
  }
  return ak.length - bk.length;
}

function compareAlerts(a: GotAlert, b: GotAlert): number {
  return compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations);
}

function compareSamples(a: GotSample, b: GotSample): number {
  return compareLabels(a.labels, b.labels);
}

const EPSILON = 1e-6;
const MIN_NORMAL = 2.2250738585072014e-308;

/** Equal within 1e-6 relative error (NaN equals NaN), as Prometheus's test harness compares floats. */
export function almostEqual(a: number, b: number): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(a - b);
  const sum = Math.abs(a) + Math.abs(b);
  if (a === 0 || b === 0 || sum < MIN_NORMAL) return diff < EPSILON * MIN_NORMAL;
  return diff / Math.min(sum, Number.MAX_VALUE) < EPSILON;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
