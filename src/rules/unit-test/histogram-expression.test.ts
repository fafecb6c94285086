import { describe, expect, it } from 'vitest';
import { expandSeriesValues } from './series-notation.js';
import { goG, histogramsMatch, histogramTestExpression } from './histogram-expression.js';
import type { NativeHistogram } from '../../promql/native-histogram.js';

function h(text: string): NativeHistogram {
  const r = expandSeriesValues(text);
  const v = r.ok ? r.value[0] : undefined;
  if (v?.kind !== 'histogram') throw new Error(`not a histogram: ${text}`);
  return v.h;
}

describe('histogramTestExpression (FloatHistogram.TestExpression)', () => {
  it.each([
    ['{{sum:3 count:2 buckets:[2]}}', '{{count:2 sum:3 buckets:[2]}}'],
    [
      '{{schema:1 sum:-0.3 count:32.1 z_bucket:7.1 z_bucket_w:0.05 buckets:[5.1 10 7] offset:-3 n_buckets:[4.1 5] n_offset:-5}}',
      '{{schema:1 count:32.1 sum:-0.3 z_bucket:7.1 z_bucket_w:0.05 offset:-3 buckets:[5.1 10 7] n_offset:-5 n_buckets:[4.1 5]}}',
    ],
    ['{{count:4 buckets:[0 4 0] counter_reset_hint:gauge}}', '{{count:4 counter_reset_hint:gauge offset:1 buckets:[4]}}'],
    ['{{schema:-53 count:3 custom_values:[1 5] buckets:[1 2]}}', '{{schema:-53 count:3 custom_values:[1 5] buckets:[1 2]}}'],
    ['{{}}', '{{}}'],
  ])('%s', (text, want) => {
    expect(histogramTestExpression(h(text))).toBe(want);
  });

  it('compares the compacted shapes, floats within the tolerance given', () => {
    const eq = (a: number, b: number) => Math.abs(a - b) < 1e-9;
    expect(histogramsMatch(h('{{count:4 buckets:[0 4]}}'), h('{{count:4 offset:1 buckets:[4]}}'), eq)).toBe(true);
    expect(histogramsMatch(h('{{sum:0.3 count:1}}'), h('{{sum:0.30000000000000004 count:1}}'), eq)).toBe(true);
    expect(histogramsMatch(h('{{count:4 buckets:[4]}}'), h('{{count:4 counter_reset_hint:not_reset buckets:[4]}}'), eq)).toBe(false);
    expect(histogramsMatch(h('{{count:4 buckets:[4]}}'), h('{{count:4 offset:1 buckets:[4]}}'), eq)).toBe(false);
  });

  it.each([
    [1, '1'], [32.1, '32.1'], [100000, '100000'], [1e6, '1e+06'], [1234567, '1.234567e+06'], [0.0001, '0.0001'], [0.00001, '1e-05'],
    [-0.3, '-0.3'], [NaN, 'NaN'], [-Infinity, '-Inf'],
  ])('%%g of %d is %s', (v, s) => {
    expect(goG(v)).toBe(s);
  });
});
