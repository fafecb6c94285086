import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import { PromQLEvalError } from './errors.js';
import { formatLabels } from './labels.js';
import { createSeriesWindow } from './series-window.js';

function setup() {
  const window = createSeriesWindow({ retentionMs: 3_600_000 });
  for (let t = 0; t <= 600_000; t += 60_000) {
    window.append(t, [
      { labels: { __name__: 'req_total', job: 'api', instance: 'a' }, value: t / 1000 },
      { labels: { __name__: 'req_total', job: 'api', instance: 'b' }, value: t / 500 },
      { labels: { __name__: 'info', instance: 'a', version: '1.2' }, value: 1 },
      { labels: { __name__: 'info', instance: 'b', version: '1.3' }, value: 1 },
    ]);
  }
  return { window, engine: createEngine({ window }) };
}

describe('engine', () => {
  it('evaluates a typical alert expression', () => {
    const { engine } = setup();
    const res = engine.instant('sum by (instance) (rate(req_total[5m])) * on(instance) group_left(version) info > 1.5', 600_000);
    expect(res).toMatchObject({ type: 'vector', samples: [{ labels: { instance: 'b', version: '1.3' }, value: 2 }] });
  });

  it('runs range queries and drops metric names only at the end', () => {
    const { engine } = setup();
    const res = engine.range('rate(req_total{instance="a"}[2m]) or req_total{instance="b"}', 300_000, 420_000, 60_000);
    expect(res.type).toBe('matrix');
    if (res.type !== 'matrix') return;
    // Series come back sorted by labels, as Prometheus sorts range results.
    expect(res.series.map((s) => formatLabels(s.labels))).toEqual(['req_total{instance="b", job="api"}', '{instance="a", job="api"}']);
    expect(res.series[1]?.points.map((p) => p.v)).toEqual([1, 1, 1]);
  });

  it('reports many-to-many matching as an evaluation error', () => {
    const { engine } = setup();
    expect(() => engine.instant('req_total + on(job) req_total', 600_000)).toThrow(PromQLEvalError);
    expect(() => engine.instant('req_total + on(job) req_total', 600_000)).toThrow(/many-to-many matching not allowed/);
  });

  it('returns scalars, strings and range vectors', () => {
    const { engine } = setup();
    expect(engine.instant('time() + 1', 10_000)).toMatchObject({ type: 'scalar', value: 11 });
    expect(engine.instant('"x"', 0)).toMatchObject({ type: 'string', value: 'x' });
    const m = engine.instant('req_total{instance="a"}[2m]', 600_000);
    expect(m.type === 'matrix' && m.series[0]?.points).toEqual([{ t: 540_000, v: 540 }, { t: 600_000, v: 600 }]);
  });

  it('evaluates absent() for alerting on missing series', () => {
    const { engine } = setup();
    expect(engine.instant('absent(req_total{job="web"})', 600_000)).toMatchObject({ type: 'vector', samples: [{ labels: { job: 'web' }, value: 1 }] });
    expect(engine.instant('absent(req_total{job="api"})', 600_000)).toMatchObject({ type: 'vector', samples: [] });
  });
});
