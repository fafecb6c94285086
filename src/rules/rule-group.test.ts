import { describe, expect, it } from 'vitest';
import { createEngine, createSeriesWindow } from '../promql/index.js';
import { RuleGroup } from './rule-group.js';
import { parseRuleFile } from './rule-file.js';
import { selectorReach } from './window-span.js';
import { parseExpr } from '../promql/index.js';
import { parseHistogramLiteral } from '../promql/histogram-notation.js';

function group(yaml: string, intervalMs = 10_000, queryOffsetMs = 0) {
  const { groups, errors } = parseRuleFile(yaml, 'rules.yaml');
  expect(errors).toEqual([]);
  const window = createSeriesWindow({ retentionMs: 3_600_000 });
  const engine = createEngine({ window });
  const g = new RuleGroup(groups[0]!, intervalMs, queryOffsetMs, { window, engine, template: { externalLabels: {}, externalURL: '' } });
  return { g, window, engine };
}

const up = (instance: string, value: number) => ({ labels: { __name__: 'up', job: 'api', instance }, value });

describe('RuleGroup', () => {
  it('feeds recording outputs to later rules at the same instant, with group and rule labels', () => {
    const { g, window, engine } = group(`
groups:
  - name: g
    labels: {team: core, tier: x}
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: {tier: ""}
      - alert: TooFewUp
        expr: job:up:sum < 2
        labels: {severity: warning}
`);
    window.append(0, [up('a', 1), up('b', 0)], 'metrics');
    const out = g.evaluate(0);
    expect(out.failed).toBe(0);
    expect(engine.instant('job:up:sum', 0)).toMatchObject({ samples: [{ labels: { __name__: 'job:up:sum', job: 'api', team: 'core' }, value: 1 }] });
    // The group's tier comes back on the alert: group labels apply to every rule.
    expect(out.transitions.map((t) => t.alert.labels)).toEqual([{ alertname: 'TooFewUp', job: 'api', team: 'core', tier: 'x', severity: 'warning' }]);
    expect(engine.instant('ALERTS', 0)).toMatchObject({
      samples: [{ labels: { __name__: 'ALERTS', alertname: 'TooFewUp', alertstate: 'firing', job: 'api', severity: 'warning', team: 'core', tier: 'x' }, value: 1 }],
    });
    expect(engine.instant('ALERTS_FOR_STATE', 0)).toMatchObject({ samples: [{ value: 0 }] });
  });

  it('can pause between rules and still see earlier outputs of the same instant', async () => {
    const { g, window, engine } = group(`
groups:
  - name: g
    rules:
      - {record: a, expr: up}
      - {record: b, expr: a * 2}
      - {record: c, expr: b + 1}
`);
    window.append(0, [up('a', 1)], 'metrics');
    let pauses = 0;
    const out = await g.evaluateInSlices(0, async () => void pauses++, 0);
    expect(pauses).toBe(3);
    expect(out.failed).toBe(0);
    expect(engine.instant('c', 0)).toMatchObject({ samples: [{ value: 3 }] });
  });

  it('marks a vanished output stale instead of letting it linger for the lookback', () => {
    const { g, window, engine } = group(`
groups:
  - name: g
    rules:
      - record: down
        expr: up == 0
`);
    window.append(0, [up('a', 0)], 'metrics');
    g.evaluate(0);
    window.append(10_000, [up('a', 1)], 'metrics');
    g.evaluate(10_000);
    expect(engine.instant('down', 15_000)).toMatchObject({ samples: [] });
  });

  it('records native histograms as histograms', () => {
    const { g, window, engine } = group(`
groups:
  - name: g
    rules:
      - record: job:latency:sum
        expr: sum without (instance) (latency)
`);
    const h = parseHistogramLiteral('{{schema:0 sum:5 count:4 buckets:[1 2 1]}}');
    window.loadSeries({ __name__: 'latency', job: 'api', instance: 'a' }, [{ t: 0, v: 0, h }]);
    window.loadSeries({ __name__: 'latency', job: 'api', instance: 'b' }, [{ t: 0, v: 0, h }]);
    g.evaluate(0);
    const res = engine.instant('histogram_count(job:latency:sum)', 0);
    expect(res).toMatchObject({ samples: [{ labels: { job: 'api' }, value: 8 }] });
  });

  it('turns a scalar result into one sample and evaluates at the query offset', () => {
    const { g, engine } = group(`
groups:
  - name: g
    rules:
      - record: now_seconds
        expr: time()
`, 10_000, 30_000);
    g.evaluate(100_000);
    expect(engine.instant('now_seconds', 70_000)).toMatchObject({ samples: [{ labels: { __name__: 'now_seconds' }, value: 70 }] });
  });

  it('fails a rule over its limit, keeps going with the next and drops the alerts', () => {
    const { g, window } = group(`
groups:
  - name: g
    limit: 1
    rules:
      - alert: Down
        expr: up == 0
      - record: fine
        expr: vector(1)
`);
    window.append(0, [up('a', 0), up('b', 0)], 'metrics');
    const out = g.evaluate(0);
    expect(out.failed).toBe(1);
    expect(g.rules[0]!.lastError).toBe('exceeded limit of 1 with 2 alerts');
    expect(g.rules[0]!.alerts.size).toBe(0);
    expect(g.rules[1]!.health).toBe('ok');
  });

  it('keeps alerts of rules that keep kind, name and labels when adopting an older group', () => {
    const yaml = `
groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 1m
`;
    const first = group(yaml);
    first.window.append(0, [up('a', 0)], 'metrics');
    first.g.evaluate(0);
    const second = group(yaml.replace('for: 1m', 'for: 2m'));
    second.g.adopt(first.g);
    expect([...second.g.rules[0]!.alerts.values()].map((a) => a.state)).toEqual(['pending']);
    expect(first.g.sourcesGoneIn(second.g)).toEqual([]);
    expect(first.g.sourcesGoneIn(undefined)).toHaveLength(1);
  });
});

describe('selectorReach', () => {
  it('reaches back by range, offset and enclosing subqueries, or the lookback for instant selectors', () => {
    const reach = (e: string) => selectorReach(parseExpr(e), 300_000).map((r) => `${r.name ?? '*'} ${r.spanMs / 1000}`);
    expect(reach('up')).toEqual(['up 300']);
    expect(reach('rate(x[10m] offset 5m)')).toEqual(['x 900']);
    expect(reach('max_over_time(rate(x[1m])[1h:1m])')).toEqual(['x 3660']);
    expect(reach('up offset -5m')).toEqual(['up 300']);
    expect(reach('x and on() rate({__name__=~"y.*"}[30m])')).toEqual(['x 300', '* 1800']);
  });
});
