import { describe, expect, it } from 'vitest';
import { parseTestFile, yamlFloat, type UnitTestFile } from './test-file.js';

function spec(text: string): UnitTestFile {
  const parsed = parseTestFile(text, 't.yml');
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.spec;
}

function errors(text: string): string[] {
  const parsed = parseTestFile(text, 't.yml');
  return parsed.ok ? [] : parsed.errors;
}

describe('parseTestFile', () => {
  it('reads every field, with promtool defaults', () => {
    const s = spec(`
rule_files: [a.yml, 'dir/*.yml']
group_eval_order: [g2, g1]
fuzzy_compare: true
tests:
  - name: first
    external_labels: {dc: eu}
    external_url: http://prom
    start_timestamp: 1609459200
    input_series:
      - series: 'up{job="a", instance="x"}'
        values: '1+2x3 _ stale'
    alert_rule_test:
      - eval_time: 5m
        alertname: Down
        exp_alerts:
          - exp_labels: {severity: page}
            exp_annotations: {summary: down}
          - {}
    promql_expr_test:
      - expr: up == 0
        eval_time: 1h30m
        exp_samples:
          - labels: 'up{job="a"}'
            value: 0
          - value: 1e3
  - start_timestamp: "2021-01-01T00:00:00Z"
`);
    expect(s.ruleFiles).toEqual([{ pattern: 'a.yml', line: 2 }, { pattern: 'dir/*.yml', line: 2 }]);
    expect(s).toMatchObject({ evaluationIntervalMs: 60_000, groupEvalOrder: ['g2', 'g1'], fuzzyCompare: true });
    const [first, second] = s.tests;
    expect(first).toMatchObject({
      name: 'first', intervalMs: 60_000, startMs: 1_609_459_200_000, externalLabels: { dc: 'eu' }, externalURL: 'http://prom', seriesErrors: [],
    });
    expect(first?.inputSeries[0]).toMatchObject({
      labels: { __name__: 'up', job: 'a', instance: 'x' },
      values: [{ kind: 'value', v: 1 }, { kind: 'value', v: 3 }, { kind: 'value', v: 5 }, { kind: 'value', v: 7 }, { kind: 'gap' }, { kind: 'stale' }],
      path: 'tests[0].input_series[0]',
      line: 11,
    });
    expect(first?.alertTests[0]).toMatchObject({
      evalTimeMs: 300_000, alertname: 'Down', expAlerts: [{ labels: { severity: 'page' }, annotations: { summary: 'down' } }, { labels: {}, annotations: {} }],
    });
    expect(first?.promqlTests[0]).toMatchObject({ expr: 'up == 0', evalTimeMs: 5_400_000, exprLine: 21 });
    expect(first?.promqlTests[0]?.expSamples.map((e) => [e.labels, e.value])).toEqual([
      [{ ok: true, value: { __name__: 'up', job: 'a' } }, 0],
      [{ ok: true, value: {} }, 1000],
    ]);
    expect(second?.startMs).toBe(Date.UTC(2021, 0, 1));
  });

  it('defaults a test group interval to evaluation_interval, as Prometheus 3 (not 2.42) does', () => {
    const s = spec('evaluation_interval: 30s\ntests:\n  - input_series: []\n  - interval: 10s\n');
    expect(s.tests.map((t) => t.intervalMs)).toEqual([30_000, 10_000]);
  });

  it('reads scalars as written, as Go reads them into strings: `0x10` is notation, not hex', () => {
    const s = spec('tests:\n  - input_series:\n      - series: up\n        values: 0x10\n      - series: x\n        values: 1\n');
    expect(s.tests[0]?.inputSeries[0]?.values).toHaveLength(11);
    expect(s.tests[0]?.inputSeries[1]?.values).toEqual([{ kind: 'value', v: 1 }]);
  });

  it('treats empty fields and empty files as unset', () => {
    expect(spec('')).toMatchObject({ tests: [], ruleFiles: [] });
    expect(spec('rule_files:\ntests:\n  - alert_rule_test:\n      - eval_time: 1m\n        alertname: A\n        exp_alerts:\n').tests[0]?.alertTests[0]?.expAlerts).toEqual([]);
  });

  it('reports every problem with file, line and path, unknown fields included', () => {
    expect(errors(`evaluation_interval: 1x
group_eval_order: [a, b, a]
tests:
  - interval: 1m
    bogus: 1
    input_series: {}
    promql_expr_test:
      - expr: x
        eval_time: soon
        exp_samples:
          - value: abc
          - value: "1"
    external_labels: [a]
  - start_timestamp: yesterday
`)).toEqual([
      't.yml:1: evaluation_interval: not a valid duration: "1x" (expected e.g. "90s", "1h30m")',
      't.yml:2: group_eval_order[2]: group name repeated in evaluation order: a',
      't.yml:5: tests[0].bogus: unknown field (expected one of: interval, input_series, alert_rule_test, promql_expr_test, external_labels, external_url, name, start_timestamp)',
      't.yml:13: tests[0].external_labels: expected a mapping of names to strings, got a list',
      't.yml:6: tests[0].input_series: expected a list, got a mapping',
      't.yml:9: tests[0].promql_expr_test[0].eval_time: not a valid duration: "soon" (expected e.g. "90s", "1h30m")',
      't.yml:11: tests[0].promql_expr_test[0].exp_samples[0].value: expected a number, got "abc"',
      't.yml:12: tests[0].promql_expr_test[0].exp_samples[1].value: expected a number, got "1"',
      't.yml:14: tests[1].start_timestamp: expected a Unix timestamp in seconds or an RFC 3339 time, got "yesterday"',
    ]);
  });

  it('reports bad YAML with its line', () => {
    expect(errors('tests:\n  - interval: 1m\n   bad: [\n')[0]).toBe('t.yml:3: invalid YAML: Sequence item without - indicator');
  });

  it('keeps series that do not parse as errors of their test group, with the line of the field', () => {
    const s = spec(`tests:
  - input_series:
      - series: 'up{job="a"'
        values: 1
      - series: up
        values: 1 two
      - series: 'up{job=a}'
        values: 1
`);
    expect(s.tests[0]?.inputSeries).toEqual([]);
    expect(s.tests[0]?.seriesErrors).toEqual([
      't.yml:3: tests[0].input_series[0].series: parse error: unterminated label set in "up{job=\\"a\\""',
      't.yml:6: tests[0].input_series[1].values: parse error: bad value "two" in "1 two"',
      't.yml:7: tests[0].input_series[2].series: parse error: label value must be a quoted string at "a}"',
    ]);
  });

  it('keeps expected labels that do not parse for the test case to report', () => {
    const s = spec('tests:\n  - promql_expr_test:\n      - expr: up\n        exp_samples:\n          - labels: \'up{a="1"\'\n');
    expect(s.tests[0]?.promqlTests[0]?.expSamples[0]?.labels).toEqual({ ok: false, error: 'unterminated label set in "up{a=\\"1\\""' });
  });

  it('reads aliases', () => {
    const s = spec('tests:\n  - external_labels: &l {dc: eu}\n    name: a\n  - external_labels: *l\n');
    expect(s.tests.map((t) => t.externalLabels)).toEqual([{ dc: 'eu' }, { dc: 'eu' }]);
  });
});

describe('yamlFloat', () => {
  it.each([
    ['1', 1], ['-2.5', -2.5], ['1e3', 1000], ['.5', 0.5], ['1_000', 1000], ['0x10', 16], ['010', 8], ['0b11', 3],
    ['.inf', Infinity], ['-.Inf', -Infinity], ['.nan', NaN], ['9218880000', 9218880000],
  ])('%s → %d', (text, value) => {
    expect(yamlFloat(text)).toBe(value);
  });

  it.each(['abc', '1.2.3', 'inf', ''])('%s is not a number', (text) => {
    expect(yamlFloat(text)).toBeUndefined();
  });
});
