import { describe, expect, it } from 'vitest';
import { glob, type GlobFs } from '../../config/glob.js';
import { renderFailure } from './report.js';
import { runTestFile, type FileOutcome } from './run.js';

/** Runs `t.yml` against in-memory files. */
function run(files: Record<string, string>): FileOutcome {
  const fs: GlobFs = {
    exists: (p) => p in files,
    list: (dir) => Object.keys(files).filter((f) => (dir === '.' ? !f.includes('/') : f.startsWith(`${dir}/`))).map((f) => f.slice(dir === '.' ? 0 : dir.length + 1)),
  };
  return runTestFile('t.yml', {
    readFile: (p) => {
      const text = files[p];
      if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return text;
    },
    glob: (p) => glob(p, fs),
  });
}

const failures = (o: FileOutcome) => o.failures.map(renderFailure);

const RULES = `
groups:
  - name: alerts
    rules:
      - alert: Down
        expr: up == 0
        for: 2m
        labels: {severity: page, team: '{{ $labels.job }}-team'}
        annotations:
          summary: '{{ $labels.instance }} down ({{ $value }}) in {{ $externalLabels.dc }}'
          link: '{{ $externalURL }}/alerts'
  - name: late
    rules:
      - record: doubled
        expr: base * 2
  - name: early
    rules:
      - record: base
        expr: vector(21)
`;

describe('runTestFile', () => {
  it('passes a file whose expectations hold, with templated labels and annotations in the alerts', () => {
    const o = run({
      'r.yml': RULES,
      't.yml': `
rule_files: [r.yml]
group_eval_order: [early, late]
tests:
  - interval: 1m
    external_labels: {dc: eu}
    external_url: http://prom
    input_series:
      - series: 'up{job="api", instance="a"}'
        values: '0x10'
      - series: 'up{job="api", instance="b"}'
        values: '1 1 0 0 0 0'
    alert_rule_test:
      - eval_time: 1m
        alertname: Down
        exp_alerts: []
      - eval_time: 3m
        alertname: Down
        exp_alerts:
          - exp_labels: {severity: page, team: api-team, job: api, instance: a}
            exp_annotations: {summary: 'a down (0) in eu', link: 'http://prom/alerts'}
      - eval_time: 4m
        alertname: Down
        exp_alerts:
          - exp_labels: {severity: page, team: api-team, job: api, instance: b}
            exp_annotations: {summary: 'b down (0) in eu', link: 'http://prom/alerts'}
          - exp_labels: {severity: page, team: api-team, job: api, instance: a}
            exp_annotations: {summary: 'a down (0) in eu', link: 'http://prom/alerts'}
    promql_expr_test:
      - expr: doubled
        eval_time: 0s
        exp_samples:
          - labels: doubled
            value: 42
      - expr: up
        eval_time: 2m
        exp_samples:
          - labels: 'up{job="api", instance="b"}'
            value: 0
          - labels: 'up{job="api", instance="a"}'
            value: 0
      - expr: 'count(ALERTS{alertstate="pending"})'
        eval_time: 2m
        exp_samples:
          - value: 1
`,
    });
    expect(failures(o)).toEqual([]);
    expect(o.warnings).toEqual([]);
  });

  it('evaluates groups in group_eval_order, unlisted ones with the first, in file order', () => {
    const file = (order: string) => ({
      'r.yml': RULES,
      't.yml': `rule_files: [r.yml]\n${order}\ntests:\n  - promql_expr_test:\n      - expr: doubled\n        eval_time: 0s\n        exp_samples: [{labels: doubled, value: 42}]\n`,
    });
    expect(failures(run(file('group_eval_order: [early, late]')))).toEqual([]);
    // `alerts` and `early` both rank 0 (promtool leaves their order to chance; file order here).
    expect(failures(run(file('group_eval_order: [late, early]'))).length).toBe(1);
    // File order evaluates `late` before `early` has recorded anything at t=0.
    expect(failures(run(file('')))).toEqual(['    expr: "doubled", time: 0s,\n        exp: {__name__="doubled"} 4.2E+01\n        got: nil']);
  });

  it('loads input samples lazily, as promtool does: up to the last evaluation step only', () => {
    const o = run({
      't.yml': `
tests:
  - interval: 30s
    input_series:
      - series: x
        values: 0 1 2 3
    promql_expr_test:
      - expr: x
        eval_time: 90s
        exp_samples: [{labels: x, value: 2}]
      - expr: x offset -30s
        eval_time: 30s
        exp_samples: [{labels: x, value: 2}]
`,
    });
    expect(failures(o)).toEqual([]);
  });

  it('checks alerts due between evaluation steps against the step before', () => {
    const o = run({
      'r.yml': 'groups:\n  - name: g\n    rules:\n      - alert: Big\n        expr: x > 5\n',
      't.yml': `
rule_files: [r.yml]
evaluation_interval: 2m
tests:
  - interval: 1m
    input_series:
      - series: x
        values: 0 0 0 9 9
    alert_rule_test:
      - eval_time: 3m59s
        alertname: Big
        exp_alerts: []
      - eval_time: 4m
        alertname: Big
        exp_alerts: [{}]
`,
    });
    expect(failures(o)).toEqual([]);
  });

  it('compares within 1e-6 relative and in any order, and shows both sides when they differ', () => {
    const o = run({
      't.yml': `
tests:
  - name: named
    input_series:
      - series: 'x{i="1"}'
        values: 1
      - series: 'x{i="2"}'
        values: 2
    promql_expr_test:
      - expr: sort_desc(x) / 3
        exp_samples:
          - {labels: '{i="1"}', value: 0.3333333}
          - {labels: '{i="2"}', value: 0.6666667}
      - expr: x
        exp_samples:
          - {labels: 'x{i="2"}', value: 2.1}
`,
    });
    expect(failures(o)).toEqual([
      '    expr: "x", time: 0s,\n        exp: {__name__="x", i="2"} 2.1E+00\n        got: {__name__="x", i="1"} 1E+00, {__name__="x", i="2"} 2E+00',
    ]);
  });

  it('stops a test group at a failing rule, naming the rule, the time and where the rule is', () => {
    const o = run({
      'r.yml': 'groups:\n  - name: g\n    rules:\n      - record: dup\n        expr: label_replace(up, "instance", "", "", "")\n',
      't.yml': `
rule_files: [r.yml]
tests:
  - input_series:
      - series: 'up{instance="a"}'
        values: 0x5
      - series: 'up{instance="b"}'
        values: 0x5
    alert_rule_test:
      - eval_time: 2m
        alertname: Never
        exp_alerts: [{}]
  - promql_expr_test:
      - expr: vector(1)
        exp_samples: [{value: 2}]
`,
    });
    expect(failures(o)).toEqual([
      '    rule: dup, time: 0s, err: r.yml:4: vector cannot contain metrics with the same labelset',
      '    expr: "vector(1)", time: 0s,\n        exp: {} 2E+00\n        got: {} 1E+00',
    ]);
  });

  it('warns about rule_files that match nothing, and reports rule files that do not load', () => {
    const missing = run({ 't.yml': 'rule_files: [nothere.yml, "rules/*.yml"]\ntests: []\n' });
    expect(missing).toMatchObject({
      failures: [],
      warnings: ['no file match pattern nothere.yml (t.yml:1)', 'no file match pattern rules/*.yml (t.yml:1)'],
    });
    const bad = run({ 't.yml': 'rule_files: [r.yml]\ntests: [{}]\n', 'r.yml': 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(up)\n' });
    expect(failures(bad)).toEqual([
      'r.yml:5: group "g", rule 1, "A": could not parse expression: 1:6: parse error: expected type range vector in call to function "rate", got instant vector',
    ]);
    const pattern = run({ 't.yml': 'tests: []\nrule_files:\n  - "r[.yml"\n' });
    expect(failures(pattern)).toEqual(['t.yml:3: rule_files: "r[.yml": syntax error in pattern']);
  });

  it('reports bad PromQL, bad expected labels and a missing alertname with file and line', () => {
    const o = run({
      't.yml': `
tests:
  - promql_expr_test:
      - expr: 'up +'
      - expr: up
        eval_time: 1m
        exp_samples:
          - labels: 'up{a="1"'
  - name: g
    alert_rule_test:
      - eval_time: 5m
        exp_alerts: []
`,
    });
    expect(failures(o)).toEqual([
      '    expr: "up +", time: 0s, err: t.yml:4: 1:5: parse error: unexpected end of input',
      '    expr: "up", time: 1m, err: t.yml:8: labels "up{a=\\"1\\"": unterminated label set in "up{a=\\"1\\""',
      't.yml:11: an item under alert_rule_test misses required attribute alertname at eval_time 5m (in TestGroup g)',
    ]);
  });

  it('reports a file that cannot be read or parsed, without running anything', () => {
    expect(failures(runTestFile('none.yml', { readFile: () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); }, glob: () => [] }))).toEqual([
      'none.yml: cannot read: ENOENT',
    ]);
    expect(failures(run({ 't.yml': 'tests:\n  - intervall: 1m\n' }))).toEqual([
      't.yml:2: tests[0].intervall: unknown field (expected one of: interval, input_series, alert_rule_test, promql_expr_test, external_labels, external_url, name, start_timestamp)',
    ]);
  });

  it('starts the timeline at start_timestamp', () => {
    const o = run({
      't.yml': `
tests:
  - start_timestamp: 1000
    input_series:
      - series: x
        values: 5 6
    promql_expr_test:
      - expr: timestamp(x)
        eval_time: 1m
        exp_samples: [{value: 1060}]
      - expr: time()
        exp_samples: [{value: 1000}]
`,
    });
    expect(failures(o)).toEqual([]);
  });

  it('reads native histograms back with the counter-reset hints of a TSDB chunk', () => {
    const o = run({
      't.yml': `
tests:
  - input_series:
      - series: h
        values: '{{sum:3 count:2 buckets:[2]}}+{{sum:1 count:1 buckets:[1]}}x2 {{sum:1 count:1 buckets:[1]}}'
    promql_expr_test:
      - expr: h
        eval_time: 0m
        exp_samples: [{labels: h, histogram: '{{sum:3 count:2 buckets:[2]}}'}]
      - expr: h
        eval_time: 2m
        exp_samples: [{labels: h, histogram: '{{sum:5 count:4 counter_reset_hint:not_reset buckets:[4]}}'}]
      - expr: h
        eval_time: 3m
        exp_samples: [{labels: h, histogram: '{{sum:1 count:1 counter_reset_hint:reset buckets:[1]}}'}]
      - expr: h
        eval_time: 3m
        exp_samples: [{labels: h, value: 1}]
`,
    });
    expect(failures(o)).toEqual([
      '    expr: "h", time: 3m,\n        exp: {__name__="h"} 1E+00\n        got: {__name__="h"} {{count:1 sum:1 counter_reset_hint:reset buckets:[1]}}',
    ]);
  });
});
