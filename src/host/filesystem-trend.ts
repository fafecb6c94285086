// Days until each filesystem is full, from the trend of its available bytes: a least-squares line
// through the last six hours of samples, extended to where it reaches zero. What
// `predict_linear(node_filesystem_avail_bytes[6h], …)` answers in Prometheus, for those without one.
//
// Samples come from the host readings scrapes already take (at most one kept per minute, in a
// ring per filesystem). A filesystem gets a figure once it has 6 samples spanning 30 minutes and
// only while the line goes down; a filesystem that disappears from the readings is forgotten.
import type { Registry } from 'prom-client';
import { registerFamily } from '../metrics/family.js';
import type { FilesystemStats, HostSampler } from './host-collector.js';

export const TREND_WINDOW_MS = 6 * 3_600_000;
/** Samples closer than this to the last one kept are skipped: a ring of a minute's resolution. */
export const TREND_SAMPLE_EVERY_MS = 60_000;
export const TREND_MIN_SAMPLES = 6;
export const TREND_MIN_SPAN_MS = 30 * 60_000;

const DAY_MS = 86_400_000;

export interface FilesystemLabels {
  device: string;
  fstype: string;
  mountpoint: string;
}

export interface TrendOptions {
  windowMs?: number;
  sampleEveryMs?: number;
  minSamples?: number;
  minSpanMs?: number;
}

export interface FilesystemTrends {
  /** One reading of the filesystems at `at`; those absent from it are forgotten. */
  observe(at: number, filesystems: readonly FilesystemStats[]): void;
  /** Per shrinking filesystem with enough samples, days until its trend line reaches zero. */
  daysUntilFull(now: number): Array<{ labels: FilesystemLabels; days: number }>;
}

/** A fixed-size ring of (time, bytes) samples, oldest first. */
class Ring {
  private readonly at: Float64Array;
  private readonly bytes: Float64Array;
  private start = 0;
  size = 0;
  constructor(
    readonly labels: FilesystemLabels,
    capacity: number,
  ) {
    this.at = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
  }
  private index(i: number) {
    return (this.start + i) % this.at.length;
  }
  lastAt(): number | undefined {
    return this.size === 0 ? undefined : this.at[this.index(this.size - 1)];
  }
  push(at: number, bytes: number) {
    if (this.size === this.at.length) {
      this.start = this.index(1);
      this.size--;
    }
    const i = this.index(this.size);
    this.at[i] = at;
    this.bytes[i] = bytes;
    this.size++;
  }
  dropBefore(cutoff: number) {
    while (this.size > 0 && this.at[this.start]! < cutoff) {
      this.start = this.index(1);
      this.size--;
    }
  }
  forEach(fn: (at: number, bytes: number) => void) {
    for (let i = 0; i < this.size; i++) {
      const j = this.index(i);
      fn(this.at[j]!, this.bytes[j]!);
    }
  }
}

/** Least squares through the points: where the line crosses zero (epoch ms), or undefined unless it goes down. */
export function zeroCrossing(points: ReadonlyArray<readonly [at: number, bytes: number]>): number | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  let meanT = 0;
  let meanV = 0;
  for (const [t, v] of points) {
    meanT += t / n;
    meanV += v / n;
  }
  // Centred sums: epoch milliseconds squared would lose the digits that matter.
  let sxy = 0;
  let sxx = 0;
  for (const [t, v] of points) {
    sxy += (t - meanT) * (v - meanV);
    sxx += (t - meanT) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  return slope < 0 ? meanT - meanV / slope : undefined;
}

export function createFilesystemTrends(options: TrendOptions = {}): FilesystemTrends {
  const windowMs = options.windowMs ?? TREND_WINDOW_MS;
  const sampleEveryMs = options.sampleEveryMs ?? TREND_SAMPLE_EVERY_MS;
  const minSamples = options.minSamples ?? TREND_MIN_SAMPLES;
  const minSpanMs = options.minSpanMs ?? TREND_MIN_SPAN_MS;
  const capacity = Math.ceil(windowMs / sampleEveryMs) + 1;
  const rings = new Map<string, Ring>();
  const keyOf = (f: FilesystemLabels) => `${f.device}\0${f.fstype}\0${f.mountpoint}`;

  return {
    observe(at, filesystems) {
      const seen = new Set<string>();
      for (const f of filesystems) {
        const key = keyOf(f);
        seen.add(key);
        let ring = rings.get(key);
        if (!ring) rings.set(key, (ring = new Ring({ device: f.device, fstype: f.fstype, mountpoint: f.mountpoint }, capacity)));
        // A mount whose statfs failed keeps its samples but adds none.
        if (f.availBytes === undefined) continue;
        const last = ring.lastAt();
        if (last !== undefined && at - last < sampleEveryMs) continue;
        ring.push(at, f.availBytes);
      }
      for (const key of rings.keys()) if (!seen.has(key)) rings.delete(key);
    },
    daysUntilFull(now) {
      const out: Array<{ labels: FilesystemLabels; days: number }> = [];
      for (const ring of rings.values()) {
        ring.dropBefore(now - windowMs);
        if (ring.size < minSamples) continue;
        const points: Array<[number, number]> = [];
        ring.forEach((at, bytes) => points.push([at, bytes]));
        if (points[points.length - 1]![0] - points[0]![0] < minSpanMs) continue;
        const full = zeroCrossing(points);
        if (full === undefined) continue;
        out.push({ labels: { ...ring.labels }, days: Math.max(0, (full - now) / DAY_MS) });
      }
      return out;
    },
  };
}

/**
 * Registers healthmon_filesystem_days_until_full, labelled as node_filesystem_avail_bytes. Each
 * scrape reads the host through the same sampler as the node_* families, so it costs no extra read.
 */
export function registerFilesystemTrend(registry: Registry, sampler: HostSampler, options: TrendOptions = {}): FilesystemTrends {
  const trends = createFilesystemTrends(options);
  registerFamily(registry, {
    name: 'healthmon_filesystem_days_until_full',
    help: 'Days until the filesystem is full at the trend of its available bytes over the last 6 hours; absent unless it is shrinking.',
    type: 'gauge',
    async collect() {
      const snapshot = await sampler.sample();
      if (snapshot.filesystems) trends.observe(snapshot.takenAt, snapshot.filesystems);
      return trends.daysUntilFull(snapshot.takenAt).map(({ labels, days }) => ({ labels: { ...labels }, value: days }));
    },
  });
  return trends;
}
