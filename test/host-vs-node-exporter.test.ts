// Our host metrics against the real node_exporter on the same machine at the same moment:
// same names, types and labels, and values that agree within what a few milliseconds can change.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_DISK_EXCLUDE_DEVICES,
  DEFAULT_FILESYSTEM_EXCLUDE_FSTYPES,
  DEFAULT_FILESYSTEM_EXCLUDE_MOUNTPOINTS,
} from '../src/host/host-config.js';
import { HOST_METRIC_NAMES, registerHostMetrics } from '../src/host/host-collector.js';
import { parseExposition, type ParsedSample } from './helpers/parse-exposition.js';
import { findPeer } from './helpers/peers.js';

const binary = findPeer('prometheus-node-exporter');

let child: ChildProcess | undefined;
let url = '';
let ours: ParsedSample[] = [];
let theirs: ParsedSample[] = [];
let ourTypes = new Map<string, string>();
let theirTypes = new Map<string, string>();

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForReady(deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    if (child?.exitCode !== null) throw new Error(`node_exporter exited early with code ${child?.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = res.status;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`node_exporter did not answer on ${url}: ${String(last)}`);
}

function types(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

const of = (samples: ParsedSample[], name: string) => samples.filter((s) => s.name === name);
const single = (samples: ParsedSample[], name: string) => {
  const found = of(samples, name);
  if (found.length !== 1) throw new Error(`expected one ${name}, found ${found.length}`);
  return found[0]!.value;
};
const byLabel = (samples: ParsedSample[], name: string, key: (l: Record<string, string>) => string) =>
  new Map(of(samples, name).map((s) => [key(s.labels), s]));

describe.skipIf(!binary)('host metrics agree with node_exporter', () => {
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    // Only the collectors we mirror, with our exclusion defaults (Debian patches its own).
    child = spawn(
      binary!,
      [
        `--web.listen-address=127.0.0.1:${port}`,
        '--collector.disable-defaults',
        ...['cpu', 'meminfo', 'filesystem', 'loadavg', 'diskstats', 'netdev', 'stat', 'time'].map((c) => `--collector.${c}`),
        `--collector.filesystem.mount-points-exclude=${DEFAULT_FILESYSTEM_EXCLUDE_MOUNTPOINTS}`,
        `--collector.filesystem.fs-types-exclude=${DEFAULT_FILESYSTEM_EXCLUDE_FSTYPES}`,
        `--collector.diskstats.device-exclude=${DEFAULT_DISK_EXCLUDE_DEVICES}`,
        '--collector.netdev.device-exclude=',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    try {
      await waitForReady(10_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
    }

    const registry = new Registry();
    registerHostMetrics(registry);
    const [theirText, ourText] = await Promise.all([fetch(url).then((r) => r.text()), registry.metrics()]);
    theirs = parseExposition(theirText);
    ours = parseExposition(ourText);
    theirTypes = types(theirText);
    ourTypes = types(ourText);
  });

  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
  });

  it('uses the same type and label names for every family both expose', () => {
    const shared = HOST_METRIC_NAMES.filter((n) => theirTypes.has(n) && n !== 'node_scrape_collector_duration_seconds');
    expect(shared.length).toBeGreaterThan(40);
    for (const name of shared) {
      expect({ name, type: ourTypes.get(name) }).toEqual({ name, type: theirTypes.get(name) });
      const labelNames = (samples: ParsedSample[]) => [...new Set(of(samples, name).flatMap((s) => Object.keys(s.labels).sort().join(',')))];
      if (of(theirs, name).length > 0 && of(ours, name).length > 0) expect({ name, labels: labelNames(ours) }).toEqual({ name, labels: labelNames(theirs) });
    }
  });

  it('reports the same memory totals and a close MemAvailable', () => {
    expect(single(ours, 'node_memory_MemTotal_bytes')).toBe(single(theirs, 'node_memory_MemTotal_bytes'));
    expect(single(ours, 'node_memory_SwapTotal_bytes')).toBe(single(theirs, 'node_memory_SwapTotal_bytes'));
    const a = single(ours, 'node_memory_MemAvailable_bytes');
    const b = single(theirs, 'node_memory_MemAvailable_bytes');
    expect(Math.abs(a - b) / b).toBeLessThan(0.03);
    expect(single(ours, 'node_boot_time_seconds')).toBe(single(theirs, 'node_boot_time_seconds'));
  });

  it('reports close load averages', () => {
    for (const name of ['node_load1', 'node_load5', 'node_load15']) {
      const a = single(ours, name);
      const b = single(theirs, name);
      expect({ name, diff: Math.abs(a - b) <= 0.3 + 0.2 * Math.max(a, b) }).toEqual({ name, diff: true });
    }
  });

  it('has every cpu/mode pair of node_exporter, with counters within a second or two', () => {
    const key = (l: Record<string, string>) => `${l.cpu}/${l.mode}`;
    const mine = byLabel(ours, 'node_cpu_seconds_total', key);
    const real = byLabel(theirs, 'node_cpu_seconds_total', key);
    expect(real.size).toBeGreaterThan(0);
    expect([...mine.keys()].sort()).toEqual([...real.keys()].sort());
    for (const [k, s] of real) expect({ k, diff: Math.abs(mine.get(k)!.value - s.value) < 2 }).toEqual({ k, diff: true });
  });

  it('sees the same filesystems, with equal sizes and close free space', () => {
    const mine = byLabel(ours, 'node_filesystem_size_bytes', (l) => l.mountpoint!);
    const real = byLabel(theirs, 'node_filesystem_size_bytes', (l) => l.mountpoint!);
    const common = [...real.keys()].filter((m) => mine.has(m));
    expect(common.length).toBeGreaterThan(0);
    const avail = byLabel(ours, 'node_filesystem_avail_bytes', (l) => l.mountpoint!);
    const realAvail = byLabel(theirs, 'node_filesystem_avail_bytes', (l) => l.mountpoint!);
    for (const m of common) {
      expect(mine.get(m)!.labels).toEqual(real.get(m)!.labels);
      expect({ m, size: mine.get(m)!.value }).toEqual({ m, size: real.get(m)!.value });
      const a = avail.get(m)!.value;
      const b = realAvail.get(m)!.value;
      // Other processes write while we compare: allow 1% or 64 MiB.
      expect({ m, close: Math.abs(a - b) <= Math.max(0.01 * b, 64 * 1024 * 1024) }).toEqual({ m, close: true });
    }
  });

  it('sees the same disks and network devices', () => {
    const devices = (samples: ParsedSample[], name: string) => [...byLabel(samples, name, (l) => l.device!).keys()].sort();
    expect(devices(ours, 'node_disk_reads_completed_total')).toEqual(devices(theirs, 'node_disk_reads_completed_total'));
    expect(devices(ours, 'node_network_receive_bytes_total')).toEqual(devices(theirs, 'node_network_receive_bytes_total'));
    const mine = byLabel(ours, 'node_disk_read_bytes_total', (l) => l.device!);
    for (const [device, s] of byLabel(theirs, 'node_disk_read_bytes_total', (l) => l.device!)) {
      expect({ device, close: Math.abs(mine.get(device)!.value - s.value) <= Math.max(0.01 * s.value, 16 * 1024 * 1024) }).toEqual({ device, close: true });
    }
  });

  it('reports its collectors as node_exporter does', () => {
    const collectors = (samples: ParsedSample[]) =>
      of(samples, 'node_scrape_collector_success')
        .filter((s) => s.value === 1)
        .map((s) => s.labels.collector)
        .sort();
    expect(collectors(ours)).toEqual(collectors(theirs));
  });
});
