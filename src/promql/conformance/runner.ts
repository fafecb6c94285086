// Runs Prometheus's PromQL engine test scripts against healthmon's engine and counts passed/failed/skipped
// eval cases per file. Experimental syntax and data notations healthmon does not read are skipped, not failed.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Expr } from '../ast.js';
import { createEngine, type HistogramPoint, type QueryResult } from '../engine.js';
import { PromQLParseError } from '../errors.js';
import { LabelSet, formatLabels } from '../labels.js';
import { compileMatcher } from '../matchers.js';
import type { NativeHistogram } from '../native-histogram.js';
import { parseExpr } from '../parser.js';
import { createSeriesWindow, type LoadPoint, type SeriesWindow } from '../series-window.js';
import { almostEqual } from './almost-equal.js';
import { formatHistogram, histogramsAlmostEqual } from './histogram-compare.js';
import { collectClassicFamilies } from './nhcb-load.js';
import { parseTestScript, type Command } from './test-script.js';
import { type SeriesSpec } from '../series-notation.js';

export const CORE_FILES = [
  'functions', 'operators', 'aggregators', 'selectors', 'staleness', 'literals', 'range_queries',
  'subquery', 'at_modifier', 'trig_functions', 'collision', 'name_label_dropping', 'histograms',
] as const;

export { almostEqual };

export interface CaseOutcome {
  line: number;
  expr: string;
  status: 'pass' | 'fail' | 'skip';
  reason?: string;
}

export interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  total: number;
  cases: CaseOutcome[];
}

/** The conformance folder: $HEALTHMON_CONFORMANCE_DIR, else ../shared/conformance next to the repo. */
export function conformanceDir(repoRoot: string, env: Record<string, string | undefined>): string {
  return env.HEALTHMON_CONFORMANCE_DIR ?? path.resolve(repoRoot, '..', 'shared', 'conformance');
}

export function listTestFiles(dir: string): string[] {
  return readdirSync(path.join(dir, 'promql')).filter((f) => f.endsWith('.test')).sort();
}

export function runConformanceFiles(dir: string, files: readonly string[]): FileResult[] {
  return files.map((f) => {
    const name = f.endsWith('.test') ? f : `${f}.test`;
    return runScript(name.replace(/\.test$/, ''), readFileSync(path.join(dir, 'promql', name), 'utf8'));
  });
}

class Skip extends Error {}

export function runScript(file: string, text: string): FileResult {
  const cmds = parseTestScript(text);
  let data = createSeriesWindow({ retentionMs: Infinity });
  // Series written in notations healthmon does not read (e.g. `@st` start timestamps), kept only to recognise
  // queries that touch them.
  let opaque = createSeriesWindow({ retentionMs: Infinity });
  const cases: CaseOutcome[] = [];
  for (const cmd of cmds) {
    if (cmd.kind === 'clear') {
      data = createSeriesWindow({ retentionMs: Infinity });
      opaque = createSeriesWindow({ retentionMs: Infinity });
      continue;
    }
    if (cmd.kind === 'load') {
      load(data, opaque, cmd);
      continue;
    }
    try {
      const reason = runEval(data, opaque, cmd);
      cases.push({ line: cmd.line, expr: cmd.expr, status: reason === null ? 'pass' : 'fail', ...(reason === null ? {} : { reason }) });
    } catch (err) {
      if (err instanceof Skip) cases.push({ line: cmd.line, expr: cmd.expr, status: 'skip', reason: err.message });
      else cases.push({ line: cmd.line, expr: cmd.expr, status: 'fail', reason: `runner error: ${(err as Error).stack ?? String(err)}` });
    }
  }
  const passed = cases.filter((c) => c.status === 'pass').length;
  const skipped = cases.filter((c) => c.status === 'skip').length;
  return { file, passed, skipped, failed: cases.length - passed - skipped, total: cases.length, cases };
}

function load(data: SeriesWindow, opaque: SeriesWindow, cmd: Extract<Command, { kind: 'load' }>): void {
  const classic = collectClassicFamilies();
  for (const s of cmd.series) {
    const points: LoadPoint[] = [];
    const unread: LoadPoint[] = [];
    s.values.forEach((v, i) => {
      const t = i * cmd.stepMs;
      if (v.kind === 'value') points.push({ t, v: v.v });
      else if (v.kind === 'stale') points.push({ t, v: NaN, stale: true });
      else if (v.kind === 'histogram') points.push({ t, v: 0, h: v.h });
      else if (v.kind === 'opaque') unread.push({ t, v: 0 });
    });
    const ls = LabelSet.fromRecord(s.labels);
    if (points.length > 0) data.loadSeries(ls, points);
    if (unread.length > 0) opaque.loadSeries(ls, unread);
    if (cmd.nhcb) classic.add(ls, points);
  }
  // load_with_nhcb also creates native histograms named after the classic family (x_bucket → x).
  if (cmd.nhcb) for (const { ls, points } of classic.build()) data.loadSeries(ls, points);
}

function selectorsOf(e: Expr, out: Expr[] = []): Expr[] {
  switch (e.kind) {
    case 'VectorSelector': out.push(e); break;
    case 'MatrixSelector': out.push(e.vector); break;
    case 'Subquery': case 'Paren': case 'Unary': selectorsOf(e.expr, out); break;
    case 'Call': e.args.forEach((a) => selectorsOf(a, out)); break;
    case 'Aggregate': selectorsOf(e.expr, out); if (e.param) selectorsOf(e.param, out); break;
    case 'Binary': selectorsOf(e.lhs, out); selectorsOf(e.rhs, out); break;
    default: break;
  }
  return out;
}

function matchText(actual: string, want: { msg?: string; regex?: string }): boolean {
  if (want.msg !== undefined) return actual === want.msg;
  if (want.regex !== undefined) return new RegExp(want.regex).test(actual);
  return true;
}

/** Returns null on pass, or a reason for the failure; throws Skip for out-of-scope cases. */
function runEval(data: SeriesWindow, opaque: SeriesWindow, cmd: Extract<Command, { kind: 'eval' }>): string | null {
  const ex = cmd.expect;
  if (cmd.results.some((r) => r.values.some((v) => v.kind === 'opaque'))) throw new Skip('result in an unsupported notation');
  let expr: Expr;
  try {
    expr = parseExpr(cmd.expr);
  } catch (err) {
    if (err instanceof PromQLParseError && err.unsupported) throw new Skip(`experimental: ${err.detail}`);
    if (ex.fail) return checkFailMessage(err as Error, ex.fail);
    return `parse error: ${(err as Error).message}`;
  }
  for (const sel of selectorsOf(expr)) {
    if (sel.kind === 'VectorSelector' && opaque.select(sel.matchers.map(compileMatcher)).length > 0) {
      throw new Skip('touches series in an unsupported notation');
    }
  }
  const engine = createEngine({ window: data, lookbackMs: 5 * 60_000, subqueryStepMs: 60_000 });
  let res: QueryResult;
  try {
    res = cmd.instant ? engine.instant(cmd.expr, cmd.start) : engine.range(cmd.expr, cmd.start, cmd.end, cmd.step);
  } catch (err) {
    if (ex.fail) return checkFailMessage(err as Error, ex.fail);
    return `unexpected error: ${(err as Error).message}`;
  }
  if (ex.fail) return 'expected an error, got a result';
  const { warnings, infos } = res.annotations;
  if (ex.noWarn && warnings.length > 0) return `unexpected warnings: ${warnings.join('; ')}`;
  if (ex.noInfo && infos.length > 0) return `unexpected infos: ${infos.join('; ')}`;
  for (const w of ex.warn ?? []) {
    if (!warnings.some((a) => matchText(a, w))) return `expected warning ${w.msg ?? w.regex ?? ''}, got [${warnings.join('; ')}]`;
  }
  for (const w of ex.info ?? []) {
    if (!infos.some((a) => matchText(a, w))) return `expected info ${w.msg ?? w.regex ?? ''}, got [${infos.join('; ')}]`;
  }
  // As in promqltest: once `expect warn`/`expect info` lines are given, every annotation of that kind must match one.
  const unexpectedWarning = warnings.find((a) => ex.warn !== null && !ex.warn.some((w) => matchText(a, w)));
  if (unexpectedWarning !== undefined) return `unexpected warning ${unexpectedWarning}`;
  const unexpectedInfo = infos.find((a) => ex.info !== null && !ex.info.some((w) => matchText(a, w)));
  if (unexpectedInfo !== undefined) return `unexpected info ${unexpectedInfo}`;
  if (ex.string !== null) {
    if (res.type !== 'string') return `expected string, got ${res.type}`;
    return res.value === ex.string ? null : `expected string ${JSON.stringify(ex.string)}, got ${JSON.stringify(res.value)}`;
  }
  if (cmd.scalar !== null) {
    if (res.type !== 'scalar') return `expected scalar ${cmd.scalar}, got ${res.type}`;
    return almostEqual(cmd.scalar, res.value) ? null : `expected scalar ${cmd.scalar}, got ${res.value}`;
  }
  if (!cmd.instant || ex.rangeVector) {
    if (res.type !== 'matrix') return `expected matrix, got ${res.type}`;
    const grid = ex.rangeVector ?? { start: cmd.start, end: cmd.end, step: cmd.step };
    return compareMatrix(cmd.results, res.series, grid);
  }
  if (res.type === 'scalar' && cmd.results.length === 1 && Object.keys(cmd.results[0]?.labels ?? {}).length === 0) {
    const want = cmd.results[0]?.values[0];
    return want?.kind === 'value' && almostEqual(want.v, res.value) ? null : `expected ${describe(want)}, got scalar ${res.value}`;
  }
  if (res.type !== 'vector') return `expected vector, got ${res.type}`;
  return compareVector(cmd.results, res.samples, ex.ordered);
}

function checkFailMessage(err: Error, want: { msg?: string; regex?: string }): string | null {
  const candidates = [err.message];
  if (err instanceof PromQLParseError) candidates.push(err.detail);
  if (candidates.some((c) => matchText(c, want))) return null;
  return `error message mismatch: got ${JSON.stringify(err.message)}, want ${JSON.stringify(want.msg ?? want.regex)}`;
}

function keyOf(labels: Record<string, string>): string {
  return LabelSet.fromRecord(labels).key;
}

function describe(v: SeriesSpec['values'][number] | undefined): string {
  if (v === undefined) return 'nothing';
  if (v.kind === 'value') return String(v.v);
  if (v.kind === 'histogram') return formatHistogram(v.h);
  return v.kind;
}

type ActualSample = { labels: Record<string, string>; value: number; histogram?: NativeHistogram };

function sampleText(s: ActualSample): string {
  return s.histogram !== undefined ? formatHistogram(s.histogram) : String(s.value);
}

function compareVector(expected: SeriesSpec[], actual: ActualSample[], ordered: boolean): string | null {
  if (expected.length !== actual.length) {
    return `expected ${expected.length} samples, got ${actual.length}: ${actual.map((s) => `${formatLabels(s.labels)} ${sampleText(s)}`).join(', ')}`;
  }
  const byKey = new Map(actual.map((s, i) => [keyOf(s.labels), { s, i }]));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as SeriesSpec;
    const a = byKey.get(keyOf(e.labels));
    if (!a) return `missing series ${formatLabels(e.labels)}; got ${actual.map((s) => formatLabels(s.labels)).join(', ')}`;
    const want = e.values[0];
    if (want?.kind === 'histogram') {
      if (a.s.histogram === undefined) return `${formatLabels(e.labels)}: expected histogram ${formatHistogram(want.h)}, got float ${a.s.value}`;
      if (!histogramsAlmostEqual(want.h, a.s.histogram)) {
        return `${formatLabels(e.labels)}: expected ${formatHistogram(want.h)}, got ${formatHistogram(a.s.histogram)}`;
      }
    } else if (want?.kind === 'value') {
      if (a.s.histogram !== undefined) return `${formatLabels(e.labels)}: expected float ${want.v}, got histogram ${formatHistogram(a.s.histogram)}`;
      if (!almostEqual(want.v, a.s.value)) return `${formatLabels(e.labels)}: expected ${want.v}, got ${a.s.value}`;
    } else {
      return `bad expected value for ${formatLabels(e.labels)}`;
    }
    if (ordered && a.i !== i) return `${formatLabels(e.labels)}: expected at position ${i}, got ${a.i}`;
  }
  return null;
}

function compareMatrix(
  expected: SeriesSpec[],
  actual: { labels: Record<string, string>; points: { t: number; v: number }[]; histograms?: HistogramPoint[] }[],
  grid: { start: number; end: number; step: number },
): string | null {
  const nonEmpty = actual.filter((s) => s.points.length > 0 || (s.histograms?.length ?? 0) > 0);
  const wanted = expected.filter((e) => e.values.some((v) => v.kind === 'value' || v.kind === 'histogram'));
  if (wanted.length !== nonEmpty.length) {
    return `expected ${wanted.length} series, got ${nonEmpty.length}: ${nonEmpty.map((s) => formatLabels(s.labels)).join(', ')}`;
  }
  const byKey = new Map(nonEmpty.map((s) => [keyOf(s.labels), s]));
  for (const e of wanted) {
    const a = byKey.get(keyOf(e.labels));
    if (!a) return `missing series ${formatLabels(e.labels)}; got ${nonEmpty.map((s) => formatLabels(s.labels)).join(', ')}`;
    const want: { t: number; v: number }[] = [];
    const wantH: HistogramPoint[] = [];
    e.values.forEach((v, i) => {
      if (v.kind === 'value') want.push({ t: grid.start + i * grid.step, v: v.v });
      else if (v.kind === 'histogram') wantH.push({ t: grid.start + i * grid.step, h: v.h });
    });
    const gotH = a.histograms ?? [];
    if (wantH.length !== gotH.length) {
      return `${formatLabels(e.labels)}: expected ${wantH.length} histogram points, got ${gotH.length} (${gotH.map((p) => `${formatHistogram(p.h)}@${p.t / 1000}`).join(' ')})`;
    }
    for (let i = 0; i < wantH.length; i++) {
      const w = wantH[i] as HistogramPoint;
      const p = gotH[i] as HistogramPoint;
      if (w.t !== p.t || !histogramsAlmostEqual(w.h, p.h)) {
        return `${formatLabels(e.labels)}: histogram point ${i}: expected ${formatHistogram(w.h)}@${w.t / 1000}s, got ${formatHistogram(p.h)}@${p.t / 1000}s`;
      }
    }
    if (want.length !== a.points.length) {
      return `${formatLabels(e.labels)}: expected ${want.length} points, got ${a.points.length} (${a.points.map((p) => `${p.v}@${p.t / 1000}`).join(' ')})`;
    }
    for (let i = 0; i < want.length; i++) {
      const w = want[i] as { t: number; v: number };
      const p = a.points[i] as { t: number; v: number };
      if (w.t !== p.t || !almostEqual(w.v, p.v)) {
        return `${formatLabels(e.labels)}: point ${i}: expected ${w.v}@${w.t / 1000}s, got ${p.v}@${p.t / 1000}s`;
      }
    }
  }
  return null;
}
