import { describe, expect, it } from 'vitest';
import { HistogramNotationError, expandHistogramToken, parseHistogramLiteral } from './histogram-notation.js';

describe('histogram notation', () => {
  it('reads every field', () => {
    const h = parseHistogramLiteral('{{schema:1 sum:-3 count:22 z_bucket:2 z_bucket_w:0.001 buckets:[5 10] offset:-1 n_buckets:[4 1] n_offset:2 counter_reset_hint:gauge}}');
    expect(h).toMatchObject({ schema: 1, sum: -3, count: 22, zeroCount: 2, zeroThreshold: 0.001, hint: 'gauge', customValues: null });
    expect(h.positive).toEqual({ idx: [-1, 0], counts: [5, 10] });
    expect(h.negative).toEqual({ idx: [2, 3], counts: [4, 1] });
  });

  it('reads custom bounds and the empty histogram', () => {
    expect(parseHistogramLiteral('{{schema:-53 custom_values:[5 10] buckets:[1 2 3]}}')).toMatchObject({ customValues: [5, 10], positive: { idx: [0, 1, 2] } });
    expect(parseHistogramLiteral('{{}}')).toMatchObject({ schema: 0, count: 0, hint: 'unknown' });
  });

  it.each([
    ['{{sum:1 count:1}}x2', [1, 1, 1]],
    ['{{sum:2 count:2}}+{{sum:3 count:3}}x2', [2, 5, 8]],
    ['{{sum:9 count:9}}-{{sum:3 count:3}}x2', [9, 6, 3]],
  ])('expands %s', (tok, counts) => {
    expect(expandHistogramToken(tok).map((h) => h.count)).toEqual(counts);
  });

  it.each(['{{sum:1 sum:2}}', '{{bogus:1}}', '{{counter_reset_hint:maybe}}', '{{schema:1}}+{{schema:0}}x1x'])('rejects %s', (tok) => {
    expect(() => expandHistogramToken(tok)).toThrow(HistogramNotationError);
  });
});
