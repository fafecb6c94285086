// `load_with_nhcb`: besides the classic histogram series (x_bucket{le=…}, x_sum, x_count), the test scripts load
// native histograms with custom buckets built from them, one per label set and timestamp, named x.

import { LabelSet, METRIC_NAME } from '../labels.js';
import { CUSTOM_BUCKETS_SCHEMA, type NativeHistogram } from '../native-histogram.js';
import type { LoadPoint } from '../series-window.js';

interface Collected {
  /** le → cumulative count. */
  buckets: Map<number, number>;
  count: number | null;
  sum: number;
}

export interface ClassicFamilies {
  add(ls: LabelSet, points: readonly LoadPoint[]): void;
  /** The converted histograms per base label set; timestamps whose data is not a valid histogram are left out. */
  build(): { ls: LabelSet; points: LoadPoint[] }[];
}

const SUFFIX = /_(bucket|sum|count)$/;

export function collectClassicFamilies(): ClassicFamilies {
  const families = new Map<string, { ls: LabelSet; byTime: Map<number, Collected> }>();
  return {
    add(ls, points) {
      const name = ls.get(METRIC_NAME);
      const m = SUFFIX.exec(name);
      if (!m) return;
      const kind = m[1] as 'bucket' | 'sum' | 'count';
      let le = NaN;
      if (kind === 'bucket') {
        le = parseLe(ls.get('le'));
        if (Number.isNaN(le)) return;
      }
      const base = ls.filter((n) => n !== 'le').with(METRIC_NAME, name.replace(SUFFIX, ''));
      let fam = families.get(base.key);
      if (!fam) {
        fam = { ls: base, byTime: new Map() };
        families.set(base.key, fam);
      }
      for (const p of points) {
        if (p.stale || p.h !== undefined) continue;
        let c = fam.byTime.get(p.t);
        if (!c) {
          c = { buckets: new Map(), count: null, sum: 0 };
          fam.byTime.set(p.t, c);
        }
        if (kind === 'bucket') {
          if (!c.buckets.has(le)) c.buckets.set(le, p.v);
        } else if (kind === 'count') c.count = p.v;
        else c.sum = p.v;
      }
    },
    build() {
      const out: { ls: LabelSet; points: LoadPoint[] }[] = [];
      for (const fam of families.values()) {
        const points: LoadPoint[] = [];
        for (const [t, c] of [...fam.byTime].sort((a, b) => a[0] - b[0])) {
          const h = convert(c);
          if (h !== null) points.push({ t, v: 0, h });
        }
        if (points.length > 0) out.push({ ls: fam.ls, points });
      }
      return out;
    },
  };
}

function parseLe(s: string): number {
  if (/^[+]?inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  const n = Number(s);
  return s.trim() === '' ? NaN : n;
}

/** Cumulative classic buckets → NHCB with per-bucket counts; null for data Prometheus refuses to convert. */
function convert(c: Collected): NativeHistogram | null {
  const les = [...c.buckets.keys()].sort((a, b) => a - b);
  const buckets = les.map((le) => ({ le, count: c.buckets.get(le) as number }));
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as { le: number; count: number };
    if (b.count < 0) return null;
    if (i > 0 && b.count < (buckets[i - 1] as { count: number }).count) return null;
  }
  let count = c.count;
  if (count !== null && count < 0) return null;
  if (count === null) {
    if (buckets.length === 0) count = 0;
    else count = (buckets[buckets.length - 1] as { count: number }).count;
  }
  const last = buckets[buckets.length - 1];
  if (last === undefined || last.le !== Infinity) buckets.push({ le: Infinity, count });
  if ((buckets[buckets.length - 1] as { count: number }).count !== count) return null;
  const idx: number[] = [];
  const counts: number[] = [];
  let prev = 0;
  buckets.forEach((b, i) => {
    const delta = b.count - prev;
    prev = b.count;
    if (delta !== 0) {
      idx.push(i);
      counts.push(delta);
    }
  });
  return {
    schema: CUSTOM_BUCKETS_SCHEMA,
    zeroThreshold: 0,
    zeroCount: 0,
    count,
    sum: c.sum,
    positive: { idx, counts },
    negative: { idx: [], counts: [] },
    customValues: buckets.slice(0, -1).map((b) => b.le),
    hint: 'unknown',
  };
}
