import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import { createSeriesWindow } from './series-window.js';

const up = (instance: string, value: number) => ({ labels: { __name__: 'up', job: 'node', instance }, value });

describe('series window', () => {
  it('marks series that disappear between appends as stale', () => {
    const window = createSeriesWindow({ retentionMs: 3_600_000 });
    const engine = createEngine({ window });
    window.append(0, [up('a', 1), up('b', 1)]);
    window.append(15_000, [up('a', 1)]);
    const res = engine.instant('up', 20_000);
    expect(res.type === 'vector' && res.samples.map((s) => s.labels.instance)).toEqual(['a']);
    // Without the marker, b would linger for the 5 minute lookback.
    window.append(30_000, [up('a', 1), up('b', 0)]);
    const back = engine.instant('up == 0', 30_000);
    expect(back.type === 'vector' && back.samples).toEqual([{ labels: { __name__: 'up', job: 'node', instance: 'b' }, value: 0 }]);
  });

  it('marks staleness per source, so rule outputs and the snapshot append independently', () => {
    const window = createSeriesWindow({ retentionMs: 3_600_000 });
    const engine = createEngine({ window });
    const rec = (v: number) => ({ labels: { __name__: 'job:up:sum' }, value: v });
    window.append(0, [up('a', 1)], 'metrics');
    window.append(0, [rec(1)], 'rule');
    window.append(15_000, [up('a', 1)], 'metrics');
    expect(engine.instant('job:up:sum', 20_000)).toMatchObject({ samples: [{ value: 1 }] });
    window.append(15_000, [], 'rule');
    expect(engine.instant('job:up:sum', 20_000)).toMatchObject({ samples: [] });
    expect(engine.instant('up', 20_000)).toMatchObject({ samples: [{ value: 1 }] });
  });

  it('keeps a real NaN value distinct from a staleness marker', () => {
    const window = createSeriesWindow({ retentionMs: 3_600_000 });
    window.append(0, [up('a', NaN)]);
    const res = createEngine({ window }).instant('up', 1000);
    expect(res.type === 'vector' && res.samples.length).toBe(1);
    expect(res.type === 'vector' && Number.isNaN(res.samples[0]?.value)).toBe(true);
  });

  it('keeps the series of some metric names longer than the rest', () => {
    const window = createSeriesWindow({ retentionMs: 60_000 });
    window.retain(60_000, new Map([['disk', 300_000]]));
    for (let t = 0; t <= 600_000; t += 15_000) window.append(t, [up('a', 1), { labels: { __name__: 'disk' }, value: t }]);
    const count = (name: string) => window.select([{ name: '__name__', op: '=', value: name }])[0]!.len;
    expect(count('up')).toBe(5);
    expect(count('disk')).toBe(21);
  });

  it('drops samples past retention and forgets empty series', () => {
    const window = createSeriesWindow({ retentionMs: 60_000 });
    for (let t = 0; t <= 120_000; t += 15_000) window.append(t, [up('a', t)]);
    expect(window.sampleCount).toBe(5);
    window.append(135_000, []);
    window.append(300_000, []);
    expect(window.seriesCount).toBe(0);
  });

  it('selects with anchored RE2 regexes, negative matchers and empty-value semantics', () => {
    const window = createSeriesWindow({ retentionMs: 60_000 });
    window.loadSeries({ __name__: 'x', a: 'Foo' }, [{ t: 0, v: 1 }]);
    window.loadSeries({ __name__: 'x', a: 'foobar' }, [{ t: 0, v: 2 }]);
    window.loadSeries({ __name__: 'x' }, [{ t: 0, v: 3 }]);
    const names = (ms: Parameters<typeof window.select>[0]) => window.select(ms).map((s) => s.labels.get('a'));
    expect(names([{ name: 'a', op: '=~', value: 'foo' }])).toEqual([]);
    expect(names([{ name: 'a', op: '=~', value: '(?i)foo' }])).toEqual(['Foo']);
    expect(names([{ name: 'a', op: '=~', value: 'foo.*' }])).toEqual(['foobar']);
    expect(names([{ name: '__name__', op: '=', value: 'x' }, { name: 'a', op: '=', value: '' }])).toEqual(['']);
    expect(names([{ name: '__name__', op: '=', value: 'x' }, { name: 'a', op: '!~', value: 'F.*' }])).toEqual(['', 'foobar']);
    expect(window.select([{ name: '__name__', op: '=', value: 'x' }], 1, 10)).toEqual([]);
  });

  it('loads out-of-order points and staleness markers', () => {
    const window = createSeriesWindow({ retentionMs: Infinity });
    window.loadSeries({ __name__: 'm' }, [{ t: 20_000, v: 2 }, { t: 30_000, v: 0, stale: true }]);
    window.loadSeries({ __name__: 'm' }, [{ t: 10_000, v: 1 }]);
    const engine = createEngine({ window });
    expect(engine.instant('count_over_time(m[1m])', 40_000)).toMatchObject({ type: 'vector', samples: [{ value: 2 }] });
    expect(engine.instant('m', 40_000)).toMatchObject({ type: 'vector', samples: [] });
  });
});

describe('series window with native histograms', () => {
  const hist = (count: number) => ({
    schema: 0, zeroThreshold: 0, zeroCount: 0, count, sum: count, hint: 'unknown' as const, customValues: null,
    positive: { idx: [0], counts: [count] }, negative: { idx: [], counts: [] },
  });

  it('keeps histogram samples apart from float samples of the same series', () => {
    const window = createSeriesWindow({ retentionMs: Infinity });
    window.loadSeries({ __name__: 'm' }, [{ t: 0, v: 1 }, { t: 10_000, v: 0, h: hist(3) }, { t: 20_000, v: 2 }]);
    const [s] = window.select([{ name: '__name__', op: '=', value: 'm' }]);
    expect(s?.len).toBe(2);
    expect(s?.histograms?.ts).toEqual([10_000]);
    expect(window.sampleCount).toBe(3);
    const engine = createEngine({ window });
    expect(engine.instant('m', 15_000)).toMatchObject({ samples: [{ value: 0, histogram: { count: 3 } }] });
    expect(engine.instant('count_over_time(m[1m])', 20_000)).toMatchObject({ samples: [{ value: 3 }] });
  });

  it('drops histogram samples past retention', () => {
    const window = createSeriesWindow({ retentionMs: 60_000 });
    window.loadSeries({ __name__: 'h' }, [{ t: 0, v: 0, h: hist(1) }]);
    window.append(120_000, [up('a', 1)]);
    expect(window.select([{ name: '__name__', op: '=', value: 'h' }])).toEqual([]);
  });
});
