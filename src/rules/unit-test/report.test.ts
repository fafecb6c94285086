import { describe, expect, it } from 'vitest';
import { goDuration, goFloatE, goLabels, goQuote, modelDuration, renderFailure, writeFileReport } from './report.js';
import type { FileOutcome } from './run.js';

describe('Go formatting', () => {
  it.each([
    [1, '1E+00'], [0, '0E+00'], [60, '6E+01'], [9218880000, '9.21888E+09'], [0.5, '5E-01'], [1.3333333333333333, '1.3333333333333333E+00'],
    [-2.5e-7, '-2.5E-07'], [1e100, '1E+100'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'], [-0, '-0E+00'],
  ])('FormatFloat(%d, E) = %s', (v, s) => {
    expect(goFloatE(v)).toBe(s);
  });

  it.each([
    [0, '0s'], [300_000, '5m'], [86_400_000, '1d'], [90_000, '1m30s'], [179_999, '2m59s999ms'], [8 * 86_400_000, '8d'],
    [14 * 86_400_000, '2w'], [106_700 * 86_400_000, '106700d'], [365 * 86_400_000, '1y'],
  ])('model.Duration(%d) = %s', (ms, s) => {
    expect(modelDuration(ms)).toBe(s);
  });

  it.each([
    [0, '0s'], [999, '999ms'], [300_000, '5m0s'], [3_600_000, '1h0m0s'], [179_999, '2m59.999s'], [1500, '1.5s'], [-60_000, '-1m0s'],
  ])('time.Duration(%d) = %s', (ms, s) => {
    expect(goDuration(ms)).toBe(s);
  });

  it('quotes and sorts labels as labels.Labels.String()', () => {
    expect(goLabels({ job: 'a"b', __name__: 'up', Z: 'x\ny', 'odd.name': 'é' })).toBe('{Z="x\\ny", __name__="up", job="a\\"b", "odd.name"="é"}');
    expect(goLabels({})).toBe('{}');
    expect(goQuote('tab\there \\ \u0001')).toBe('"tab\\there \\\\ \\x01"');
  });
});

describe('promtool output', () => {
  it('renders alert and sample mismatches in promtool shape', () => {
    expect(renderFailure({
      kind: 'alert', testName: 'Failing test', alertname: 'Test', evalTimeMs: 0,
      exp: [{ labels: { alertname: 'Test' }, annotations: {} }], got: [],
    })).toBe(`    name: Failing test,
    alertname: Test, time: 0s, 
        exp:[
            0:
              Labels:{alertname="Test"}
              Annotations:{}
            ], 
        got:[]`);
    expect(renderFailure({
      kind: 'alert', testName: '', alertname: 'A', evalTimeMs: 300_000, exp: [],
      got: [{ labels: { alertname: 'A', i: '1' }, annotations: { s: 'x' } }, { labels: { alertname: 'A', i: '2' }, annotations: {} }],
    })).toBe(`    alertname: A, time: 5m, 
        exp:[], 
        got:[
            0:
              Labels:{alertname="A", i="1"}
              Annotations:{s="x"},
            1:
              Labels:{alertname="A", i="2"}
              Annotations:{}
            ]`);
    expect(renderFailure({ kind: 'expr', expr: 'test', evalTimeMs: 0, exp: [{ labels: { __name__: 'test' }, value: 1 }], got: [] })).toBe(
      '    expr: "test", time: 0s,\n        exp: {__name__="test"} 1E+00\n        got: nil',
    );
    expect(renderFailure({ kind: 'expr-error', expr: 'a"b', evalTimeMs: 60_000, error: 'boom' })).toBe('    expr: "a\\"b", time: 1m, err: boom');
    expect(renderFailure({ kind: 'rule', rule: 'r', atMs: 120_000, error: 'boom' })).toBe('    rule: r, time: 2m0s, err: boom');
  });

  it('writes SUCCESS to stdout, and FAILED with each failure to stderr, each followed by a blank stdout line', () => {
    const lines: string[] = [];
    const sink = { out: (s: string) => lines.push(`out:${s}`), err: (s: string) => lines.push(`err:${s}`) };
    writeFileReport({ file: 'ok.yml', warnings: [], failures: [] }, sink);
    const failed: FileOutcome = { file: 'bad.yml', warnings: ['no file match pattern x.yml (bad.yml:1)'], failures: [{ kind: 'error', message: 'one' }, { kind: 'error', message: 'two' }] };
    writeFileReport(failed, sink);
    expect(lines).toEqual([
      'out:Unit Testing:  ok.yml\n', 'out:  SUCCESS\n', 'out:\n',
      'out:Unit Testing:  bad.yml\n', 'err:  WARNING: no file match pattern x.yml (bad.yml:1)\n', 'err:  FAILED:\n',
      'err:one\n', 'out:\n', 'err:two\n', 'out:\n', 'out:\n',
    ]);
  });
});
