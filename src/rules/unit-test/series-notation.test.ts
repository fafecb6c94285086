import { describe, expect, it } from 'vitest';
import { expandSeriesValues, parseSeriesText } from './series-notation.js';

const floats = (text: string) => {
  const r = expandSeriesValues(text);
  if (!r.ok) throw new Error(r.error);
  return r.value.map((v) => (v.kind === 'value' ? v.v : v.kind));
};

describe('expanding notation', () => {
  it.each([
    ['1+2x3', [1, 3, 5, 7]],
    ['10-1x5', [10, 9, 8, 7, 6, 5]],
    ['-2+4x3', [-2, 2, 6, 10]],
    ['1x4', [1, 1, 1, 1, 1]],
    ['1 _x3 stale', [1, 'gap', 'gap', 'gap', 'stale']],
    ['0 _ 2', [0, 'gap', 2]],
    ['', []],
  ])('%s', (text, want) => {
    expect(floats(text)).toEqual(want);
  });

  it('reads native histograms, with their expanding forms', () => {
    const r = expandSeriesValues('{{sum:3 count:2 buckets:[2]}}+{{sum:1 count:1 buckets:[1]}}x2');
    expect(r.ok && r.value.map((v) => (v.kind === 'histogram' ? v.h.count : v.kind))).toEqual([2, 3, 4]);
  });

  it('says which value does not parse', () => {
    expect(expandSeriesValues('1 2 x')).toEqual({ ok: false, error: 'bad value "x" in "1 2 x"' });
  });
});

describe('series text', () => {
  it.each([
    ['up', { __name__: 'up' }],
    ['up{job="a", instance="x:1"}', { __name__: 'up', job: 'a', instance: 'x:1' }],
    ["{job='a'}", { job: 'a' }],
    ['{}', {}],
    ['', {}],
    ['x{a="b=c, d"}', { __name__: 'x', a: 'b=c, d' }],
  ])('%s', (text, labels) => {
    expect(parseSeriesText(text)).toEqual({ ok: true, value: labels });
  });

  it.each([
    ['up{job="a"', 'unterminated label set in "up{job=\\"a\\""'],
    ['up{job=a}', 'label value must be a quoted string at "a}"'],
    ['up 1', 'unexpected text after the label set in "up 1"'],
  ])('%s is an error', (text, error) => {
    expect(parseSeriesText(text)).toEqual({ ok: false, error });
  });
});
