import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../test/helpers/parse-exposition.js';
import { createFilesystemTrends, registerFilesystemTrend, zeroCrossing } from './filesystem-trend.js';
import type { FilesystemStats, HostSampler, HostSnapshot } from './host-collector.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const GiB = 2 ** 30;

const fs = (availBytes: number | undefined, mountpoint = '/', device = '/dev/vda1'): FilesystemStats => ({
  device,
  mountpoint,
  fstype: 'ext4',
  readonly: false,
  deviceError: availBytes === undefined,
  ...(availBytes === undefined ? {} : { availBytes, sizeBytes: 200 * GiB }),
});

/** 100 GiB available at T0, losing 10 GiB a day: full at T0 + 10 days. */
const shrinking = (at: number) => 100 * GiB - (10 * GiB * (at - T0)) / DAY;

describe('filesystem trend', () => {
  it('extends the least-squares line to zero', () => {
    const t = createFilesystemTrends();
    for (let at = T0; at <= T0 + 6 * HOUR; at += MIN) t.observe(at, [fs(shrinking(at))]);
    const [only, ...rest] = t.daysUntilFull(T0 + 6 * HOUR);
    expect(rest).toEqual([]);
    expect(only!.labels).toEqual({ device: '/dev/vda1', fstype: 'ext4', mountpoint: '/' });
    expect(only!.days).toBeCloseTo(9.75, 9); // 10 days from T0, read 6 hours in
    // An hour later with no new sample the line is the same, the day an hour nearer.
    expect(t.daysUntilFull(T0 + 7 * HOUR)[0]!.days).toBeCloseTo(10 - 7 / 24, 9);
  });

  it('fits through noise', () => {
    const t = createFilesystemTrends();
    let i = 0;
    for (let at = T0; at <= T0 + 6 * HOUR; at += MIN) t.observe(at, [fs(shrinking(at) + (i++ % 2 === 0 ? 1 : -1) * 0.5 * GiB)]);
    expect(t.daysUntilFull(T0 + 6 * HOUR)[0]!.days).toBeCloseTo(9.75, 1);
  });

  it('gives nothing for a filesystem that is not shrinking', () => {
    const t = createFilesystemTrends();
    for (let at = T0; at <= T0 + HOUR; at += MIN) {
      t.observe(at, [fs(50 * GiB, '/flat'), fs(50 * GiB + (at - T0), '/growing', '/dev/vdb1')]);
    }
    expect(t.daysUntilFull(T0 + HOUR)).toEqual([]);
  });

  it('waits for 6 samples spanning 30 minutes', () => {
    const t = createFilesystemTrends();
    for (let at = T0; at < T0 + 5 * MIN; at += MIN) t.observe(at, [fs(shrinking(at))]);
    expect(t.daysUntilFull(T0 + 5 * MIN)).toEqual([]); // 5 samples
    t.observe(T0 + 25 * MIN, [fs(shrinking(T0 + 25 * MIN))]);
    expect(t.daysUntilFull(T0 + 25 * MIN)).toEqual([]); // 6, over 25 minutes
    t.observe(T0 + 30 * MIN, [fs(shrinking(T0 + 30 * MIN))]);
    expect(t.daysUntilFull(T0 + 30 * MIN)[0]!.days).toBeCloseTo(10 - 30 / (24 * 60), 9);
  });

  it('keeps one sample a minute, and only the last six hours', () => {
    const t = createFilesystemTrends();
    // Six hours of growth then six of shrinking: only the shrinking half is left in the window.
    for (let at = T0; at < T0 + 6 * HOUR; at += 10_000) t.observe(at, [fs(10 * GiB + (at - T0))]);
    for (let at = T0 + 6 * HOUR; at <= T0 + 12 * HOUR + MIN; at += 10_000) t.observe(at, [fs(shrinking(at))]);
    expect(t.daysUntilFull(T0 + 12 * HOUR + MIN)[0]!.days).toBeCloseTo(10 - (12 * HOUR + MIN) / DAY, 9);
  });

  it('is 0 once the line has reached zero', () => {
    const t = createFilesystemTrends();
    for (let at = T0; at <= T0 + HOUR; at += MIN) t.observe(at, [fs(Math.max(0, 30 * MIN * 1000 - (at - T0) * 1000))]);
    expect(t.daysUntilFull(T0 + HOUR)[0]!.days).toBe(0);
  });

  it('forgets filesystems that are gone, and keeps the samples of one whose statfs failed', () => {
    const t = createFilesystemTrends();
    for (let at = T0; at <= T0 + HOUR; at += MIN) t.observe(at, [fs(shrinking(at)), fs(shrinking(at), '/data', '/dev/vdb1')]);
    expect(t.daysUntilFull(T0 + HOUR).map((d) => d.labels.mountpoint).sort()).toEqual(['/', '/data']);
    t.observe(T0 + HOUR + MIN, [fs(undefined)]);
    expect(t.daysUntilFull(T0 + HOUR + MIN).map((d) => d.labels.mountpoint)).toEqual(['/']);
  });

  it('zeroCrossing needs two distinct times and a falling line', () => {
    expect(zeroCrossing([[0, 10]])).toBeUndefined();
    expect(zeroCrossing([[5, 10], [5, 8]])).toBeUndefined();
    expect(zeroCrossing([[0, 10], [1, 8], [2, 6]])).toBe(5);
    expect(zeroCrossing([[0, 6], [1, 8]])).toBeUndefined();
  });
});

describe('healthmon_filesystem_days_until_full', () => {
  it('is exported with node_exporter filesystem labels from the host readings scrapes take', async () => {
    let now = T0;
    const sampler: HostSampler = {
      sample: async () => ({ takenAt: now, filesystems: [fs(shrinking(now))], collectors: {} }) as unknown as HostSnapshot,
    };
    const registry = new Registry();
    registerFilesystemTrend(registry, sampler);
    expect(await registry.metrics()).not.toMatch(/^healthmon_filesystem_days_until_full/m);
    for (; now <= T0 + HOUR; now += MIN) await registry.metrics();
    const samples = parseExposition(await registry.metrics()).filter((s) => s.name === 'healthmon_filesystem_days_until_full');
    expect(samples).toHaveLength(1);
    expect(samples[0]!.labels).toEqual({ device: '/dev/vda1', fstype: 'ext4', mountpoint: '/' });
    expect(samples[0]!.value).toBeCloseTo(10 - (HOUR + MIN) / DAY, 9);
  });
});
