// In-memory store of series that the rule evaluator appends to at each evaluation instant.
// Per series: packed Float64Array timestamps/values, a sorted list of staleness markers, an interned LabelSet,
// and (only for series loaded with native histograms) a separate list of histogram samples.

import type { LabelMatcher } from './ast.js';
import { LabelSet, METRIC_NAME, compareLabelSets, type Labels } from './labels.js';
import { compileMatcher, type CompiledMatcher } from './matchers.js';
import type { NativeHistogram } from './native-histogram.js';

export interface SeriesWindowOptions {
  /** Samples older than the newest append minus this are dropped; series left empty are forgotten. */
  retentionMs: number;
}

export interface SampleInput {
  labels: Readonly<Labels>;
  value: number;
  /** Set for a native histogram sample (a recording rule over histograms); `value` is then ignored. */
  histogram?: NativeHistogram;
}

/** A point for loadSeries; `stale: true` is a staleness marker (value ignored), `h` a native histogram sample. */
export interface LoadPoint {
  t: number;
  v: number;
  stale?: boolean;
  h?: NativeHistogram;
}

/** Native histogram samples of a series, sorted by time; kept apart so float samples stay packed. */
export interface HistogramSamples {
  ts: number[];
  hs: NativeHistogram[];
}

/**
 * One stored series. Samples live at indices [head, head + len) of `ts`/`vs`; staleness markers are kept apart
 * in `stale` (sorted) so range functions read real samples only and never test a flag per sample.
 */
export interface StoredSeries {
  readonly labels: LabelSet;
  ts: Float64Array;
  vs: Float64Array;
  head: number;
  len: number;
  stale: number[];
  /** Append generation in which this series last received a sample. */
  gen: number;
  /** Native histogram samples; null for the (usual) float-only series. */
  histograms: HistogramSamples | null;
}

export interface SeriesWindow {
  /**
   * Appends what one source (the /metrics snapshot, one rule's output) holds at `tMs`. A series the
   * same source appended last time and not now gets a staleness marker, as after a failed scrape.
   */
  append(tMs: number, samples: readonly SampleInput[], source?: string): void;
  /** Adds points with arbitrary timestamps (tests, conformance); no staleness is inferred. */
  loadSeries(labels: Readonly<Labels> | LabelSet, points: readonly LoadPoint[]): void;
  /** Series matching every matcher that have a sample or marker in [mintMs, maxtMs], sorted by labels. */
  select(matchers: readonly (LabelMatcher | CompiledMatcher)[], mintMs?: number, maxtMs?: number): StoredSeries[];
  clear(): void;
  /**
   * Changes how much history is kept; the next append trims to it. `byName` keeps more (or less)
   * for the series of some metric names, so one long range does not make every series long.
   */
  retain(retentionMs: number, byName?: ReadonlyMap<string, number>): void;
  readonly seriesCount: number;
  readonly sampleCount: number;
}

const INITIAL_CAPACITY = 4;
/** Shared until a series gets its first staleness marker; most never do. */
const NO_STALE: number[] = [];

export function createSeriesWindow(options: SeriesWindowOptions): SeriesWindow {
  return new MemorySeriesWindow(options.retentionMs);
}

class NameBucket {
  series: StoredSeries[] = [];
  sorted = true;

  add(s: StoredSeries): void {
    const last = this.series[this.series.length - 1];
    if (last && compareLabelSets(last.labels, s.labels) > 0) this.sorted = false;
    this.series.push(s);
  }

  list(): StoredSeries[] {
    if (!this.sorted) {
      this.series.sort((a, b) => compareLabelSets(a.labels, b.labels));
      this.sorted = true;
    }
    return this.series;
  }
}

class MemorySeriesWindow implements SeriesWindow {
  private byKey = new Map<string, StoredSeries>();
  private byName = new Map<string, NameBucket>();
  private byObject = new WeakMap<object, StoredSeries>();
  private gen = 0;
  /** Per source: the generation of its last append and the series it held. */
  private sources = new Map<string, { gen: number; present: StoredSeries[] }>();
  private lastAppendAt = -Infinity;
  private trimmedAt = -Infinity;
  private retentionByName: ReadonlyMap<string, number> = new Map();

  constructor(private retentionMs: number) {}

  keepMs(s: StoredSeries): number {
    return this.retentionByName.get(s.labels.get(METRIC_NAME)) ?? this.retentionMs;
  }

  retain(retentionMs: number, byName: ReadonlyMap<string, number> = new Map()): void {
    this.retentionMs = retentionMs;
    this.retentionByName = byName;
    this.trimmedAt = -Infinity;
  }

  get seriesCount(): number {
    return this.byKey.size;
  }

  get sampleCount(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.len + (s.histograms?.ts.length ?? 0);
    return n;
  }

  clear(): void {
    this.byKey.clear();
    this.byName.clear();
    this.byObject = new WeakMap();
    this.sources.clear();
    this.gen = 0;
    this.lastAppendAt = -Infinity;
    this.trimmedAt = -Infinity;
  }

  append(tMs: number, samples: readonly SampleInput[], source = ''): void {
    const gen = ++this.gen;
    const present: StoredSeries[] = [];
    for (const sample of samples) {
      const s = this.lookup(sample.labels);
      if (s.gen === gen) continue; // duplicate labels in one append: first one wins
      s.gen = gen;
      if (sample.histogram) pushHistogram(s, tMs, sample.histogram);
      else pushSample(s, tMs, sample.value, this);
      present.push(s);
    }
    const previous = this.sources.get(source);
    for (const s of previous?.present ?? []) {
      if (s.gen !== gen) pushStale(s, tMs);
    }
    if (present.length > 0) this.sources.set(source, { gen, present });
    else this.sources.delete(source);
    this.lastAppendAt = Math.max(this.lastAppendAt, tMs);
    // Many sources append at one instant (every rule of a group); trimming once per instant is enough.
    if (this.lastAppendAt > this.trimmedAt) {
      this.trimmedAt = this.lastAppendAt;
      this.trim(this.lastAppendAt);
    }
  }

  loadSeries(labels: Readonly<Labels> | LabelSet, allPoints: readonly LoadPoint[]): void {
    const ls = labels instanceof LabelSet ? labels : LabelSet.fromRecord(labels);
    const s = this.getOrCreate(ls);
    let points = allPoints;
    if (allPoints.some((p) => p.h !== undefined && !p.stale)) {
      loadHistograms(s, allPoints);
      points = allPoints.filter((p) => p.h === undefined || p.stale);
      if (points.length === 0) return;
    }
    const lastT = s.len > 0 ? (s.ts[s.head + s.len - 1] as number) : -Infinity;
    const inOrder = points.every((p, i) => p.t > (i === 0 ? lastT : (points[i - 1] as LoadPoint).t));
    if (inOrder && (s.stale.length === 0 || (points[0]?.t ?? Infinity) > (s.stale[s.stale.length - 1] as number))) {
      for (const p of points) {
        if (p.stale) pushStale(s, p.t);
        else pushSample(s, p.t, p.v);
      }
      return;
    }
    // Out-of-order load: merge everything, later points replacing earlier ones at the same timestamp.
    const merged = new Map<number, LoadPoint>();
    for (let i = s.head; i < s.head + s.len; i++) merged.set(s.ts[i] as number, { t: s.ts[i] as number, v: s.vs[i] as number });
    for (const t of s.stale) merged.set(t, { t, v: NaN, stale: true });
    for (const p of points) merged.set(p.t, p);
    s.head = 0;
    s.len = 0;
    s.stale = NO_STALE;
    for (const p of [...merged.values()].sort((a, b) => a.t - b.t)) {
      if (p.stale) pushStale(s, p.t);
      else pushSample(s, p.t, p.v);
    }
  }

  select(matchers: readonly (LabelMatcher | CompiledMatcher)[], mintMs = -Infinity, maxtMs = Infinity): StoredSeries[] {
    const compiled = matchers.map((m) => ('matches' in m ? m : compileMatcher(m)));
    const candidates = this.candidates(compiled);
    const out: StoredSeries[] = [];
    const timeFiltered = mintMs !== -Infinity || maxtMs !== Infinity;
    outer: for (const s of candidates) {
      for (const m of compiled) {
        if (!m.matches(s.labels.get(m.name))) continue outer;
      }
      if (timeFiltered && !overlaps(s, mintMs, maxtMs)) continue;
      out.push(s);
    }
    return out;
  }

  private candidates(compiled: readonly CompiledMatcher[]): StoredSeries[] {
    const nameEq = compiled.find((m) => m.name === METRIC_NAME && m.matcher.op === '=');
    if (nameEq) return this.byName.get(nameEq.matcher.value)?.list() ?? [];
    const all: StoredSeries[] = [];
    for (const bucket of this.byName.values()) {
      for (const s of bucket.list()) all.push(s);
    }
    return all.sort((a, b) => compareLabelSets(a.labels, b.labels));
  }

  /**
   * Finds the series for a label record without sorting its names on every append: first by object identity
   * (callers that reuse label objects pay nothing), then by the record's names and values in their own order.
   */
  private lookup(rec: Readonly<Labels>): StoredSeries {
    let s = this.byObject.get(rec);
    if (s && this.byKey.get(s.labels.key) === s) return s;
    // Records whose names are already sorted (and have no empty values) spell their key directly.
    let key = '';
    let prev = '';
    let sorted = true;
    for (const n in rec) {
      const v = rec[n] as string;
      if (n <= prev || v === '') {
        sorted = false;
        break;
      }
      key += key === '' ? `${n}\xff${v}` : `\xff${n}\xff${v}`;
      prev = n;
    }
    s = sorted ? this.byKey.get(key) : undefined;
    if (!s) s = this.getOrCreate(LabelSet.fromRecord(rec));
    this.byObject.set(rec, s);
    return s;
  }

  private getOrCreate(ls: LabelSet): StoredSeries {
    let s = this.byKey.get(ls.key);
    if (s) return s;
    s = {
      labels: ls, ts: new Float64Array(INITIAL_CAPACITY), vs: new Float64Array(INITIAL_CAPACITY),
      head: 0, len: 0, stale: NO_STALE, gen: 0, histograms: null,
    };
    this.byKey.set(ls.key, s);
    const name = ls.get(METRIC_NAME);
    let bucket = this.byName.get(name);
    if (!bucket) {
      bucket = new NameBucket();
      this.byName.set(name, bucket);
    }
    bucket.add(s);
    return s;
  }

  private trim(newest: number): void {
    const current = new Set<number>();
    for (const { gen } of this.sources.values()) current.add(gen);
    for (const [name, bucket] of this.byName) {
      const cutoff = newest - (this.retentionByName.get(name) ?? this.retentionMs);
      if (!Number.isFinite(cutoff)) continue;
      let dropped = false;
      for (const s of bucket.series) {
        if (s.len > 0 && (s.ts[s.head] as number) < cutoff) {
          const idx = lowerBound(s.ts, s.head, s.head + s.len, cutoff);
          s.len -= idx - s.head;
          s.head = idx;
        }
        if (s.stale.length > 0 && (s.stale[0] as number) < cutoff) {
          const kept = s.stale.filter((t) => t >= cutoff);
          s.stale = kept.length > 0 ? kept : NO_STALE;
        }
        if (s.histograms !== null) trimHistograms(s, cutoff);
        if (s.len === 0 && s.stale.length === 0 && s.histograms === null && !current.has(s.gen)) {
          this.byKey.delete(s.labels.key);
          dropped = true;
        }
      }
      if (!dropped) continue;
      bucket.series = bucket.series.filter((s) => this.byKey.get(s.labels.key) === s);
      if (bucket.series.length === 0) this.byName.delete(name);
    }
  }

}

function overlaps(s: StoredSeries, mint: number, maxt: number): boolean {
  if (s.len > 0) {
    const i = lowerBound(s.ts, s.head, s.head + s.len, mint);
    if (i < s.head + s.len && (s.ts[i] as number) <= maxt) return true;
  }
  if (s.histograms !== null && s.histograms.ts.some((t) => t >= mint && t <= maxt)) return true;
  return s.stale.some((t) => t >= mint && t <= maxt);
}

function pushHistogram(s: StoredSeries, t: number, h: NativeHistogram): void {
  const cur = s.histograms;
  if (cur === null) {
    s.histograms = { ts: [t], hs: [h] };
    return;
  }
  const last = cur.ts[cur.ts.length - 1];
  if (last !== undefined && t <= last) {
    if (t === last) cur.hs[cur.hs.length - 1] = h;
    return;
  }
  cur.ts.push(t);
  cur.hs.push(h);
}

/** Merges histogram points into a series' histogram samples; a later point replaces one at the same time. */
function loadHistograms(s: StoredSeries, points: readonly LoadPoint[]): void {
  const merged = new Map<number, NativeHistogram>();
  const cur = s.histograms;
  if (cur !== null) cur.ts.forEach((t, i) => merged.set(t, cur.hs[i] as NativeHistogram));
  for (const p of points) if (p.h !== undefined && !p.stale) merged.set(p.t, p.h);
  const ts = [...merged.keys()].sort((a, b) => a - b);
  s.histograms = { ts, hs: ts.map((t) => merged.get(t) as NativeHistogram) };
}

function trimHistograms(s: StoredSeries, cutoff: number): void {
  const h = s.histograms as HistogramSamples;
  let n = 0;
  while (n < h.ts.length && (h.ts[n] as number) < cutoff) n++;
  if (n === 0) return;
  if (n === h.ts.length) s.histograms = null;
  else s.histograms = { ts: h.ts.slice(n), hs: h.hs.slice(n) };
}

/** How long a series is kept; lets a growing series take the size it will need at once. */
interface Keeps {
  keepMs(s: StoredSeries): number;
}

function pushSample(s: StoredSeries, t: number, v: number, keeps?: Keeps): void {
  const end = s.head + s.len;
  if (s.len > 0 && t <= (s.ts[end - 1] as number)) {
    // Appends are expected in time order; an equal timestamp overwrites, an older one is ignored.
    if (t === s.ts[end - 1]) s.vs[end - 1] = v;
    return;
  }
  if (end === s.ts.length) grow(s, keeps);
  const at = s.head + s.len;
  s.ts[at] = t;
  s.vs[at] = v;
  s.len++;
}

function pushStale(s: StoredSeries, t: number): void {
  const last = s.stale[s.stale.length - 1];
  if (last !== undefined && t <= last) return;
  if (s.stale === NO_STALE) s.stale = [t];
  else s.stale.push(t);
}

function grow(s: StoredSeries, keeps: Keeps | undefined): void {
  // Once retention trims the head, reuse that space instead of growing: with a steady scrape interval the
  // array then stays at the size the window needs (plus one), which is what keeps 100k series small.
  if (s.head > 0) {
    s.ts.copyWithin(0, s.head, s.head + s.len);
    s.vs.copyWithin(0, s.head, s.head + s.len);
    s.head = 0;
    return;
  }
  let cap = Math.max(INITIAL_CAPACITY, Math.ceil(s.ts.length * 1.5));
  // Appended at a steady step, a series needs retention ÷ step samples: allocate that once
  // rather than growing by half again and again (fewer, right-sized buffers; far less RSS).
  if (keeps && s.len >= 2) {
    const step = ((s.ts[s.len - 1] as number) - (s.ts[0] as number)) / (s.len - 1);
    const need = step > 0 ? Math.ceil(keeps.keepMs(s) / step) + 2 : 0;
    if (need > s.ts.length && need < 1_000_000) cap = need;
  }
  const ts = new Float64Array(cap);
  const vs = new Float64Array(cap);
  ts.set(s.ts.subarray(0, s.len));
  vs.set(s.vs.subarray(0, s.len));
  s.ts = ts;
  s.vs = vs;
}

/** First index in [lo, hi) with arr[i] >= x. */
export function lowerBound(arr: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in [lo, hi) of a plain array with arr[i] > x (histogram timestamps). */
export function upperBoundOf(arr: readonly number[], lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in [lo, hi) with arr[i] > x. */
export function upperBound(arr: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
