import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import { PromQLEvalError } from './errors.js';
import { formatLabels } from './labels.js';
import type { NativeHistogram } from './native-histogram.js';
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

describe('engine with native histograms', () => {
  const hist = (count: number, buckets: number[]): NativeHistogram => ({
    schema: 0, zeroThreshold: 0, zeroCount: 0, count, sum: count, hint: 'unknown', customValues: null,
    positive: { idx: buckets.map((_, i) => i), counts: buckets }, negative: { idx: [], counts: [] },
  });

  function setupHistograms() {
    const window = createSeriesWindow({ retentionMs: Infinity });
    for (const instance of ['a', 'b']) {
      window.loadSeries({ __name__: 'lat_seconds', instance }, [0, 1, 2, 3].map((k) => ({ t: k * 60_000, v: 0, h: hist(4 * k, [k, 2 * k, k]) })));
    }
    window.loadSeries({ __name__: 'lat_seconds', instance: 'c' }, [{ t: 0, v: 1 }, { t: 60_000, v: 2 }]);
    return createEngine({ window });
  }

  it('selects histogram samples alongside floats', () => {
    const res = setupHistograms().instant('lat_seconds', 180_000);
    expect(res.type === 'vector' && res.samples.map((s) => [s.labels.instance, s.histogram?.count ?? s.value])).toEqual([['a', 12], ['b', 12], ['c', 2]]);
  });

  it('rates and sums histograms, then takes quantiles', () => {
    const res = setupHistograms().instant('histogram_quantile(0.5, sum(rate(lat_seconds{instance!="c"}[3m])))', 180_000);
    expect(res.type === 'vector' && res.samples[0]?.value).toBeCloseTo(Math.SQRT2, 9);
    const count = setupHistograms().instant('histogram_count(sum(increase(lat_seconds[3m])))', 180_000);
    // Two series each grew by 12 observations in 3 minutes (the float series has a single sample in the window).
    expect(count).toMatchObject({ type: 'vector', samples: [{ value: 24 }] });
  });

  it('reports what Prometheus reports for mixed input', () => {
    const res = setupHistograms().instant('sum(lat_seconds)', 60_000);
    expect(res.type === 'vector' && res.samples).toEqual([]);
    expect(res.annotations.warnings).toEqual(['PromQL warning: encountered a mix of histograms and floats for aggregation (1:5)']);
    expect(setupHistograms().instant('abs(lat_seconds)', 60_000)).toMatchObject({ samples: [{ labels: { instance: 'c' }, value: 2 }] });
  });

  it('returns histogram points of range queries separately from float points', () => {
    const res = setupHistograms().range('lat_seconds{instance="a"} * 2', 60_000, 180_000, 60_000);
    expect(res.type === 'matrix' && res.series[0]?.points).toEqual([]);
    expect(res.type === 'matrix' && res.series[0]?.histograms?.map((p) => [p.t, p.h.count])).toEqual([[60_000, 8], [120_000, 16], [180_000, 24]]);
  });
});
