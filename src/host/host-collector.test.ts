import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { parseExposition, type ParsedSample } from '../../test/helpers/parse-exposition.js';
import { hostConfigSchema } from './host-config.js';
import { HOST_METRIC_NAMES, registerHostMetrics, type HostCollectorDeps, type HostCollectorOptions, type StatFsLike } from './host-collector.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/proc', import.meta.url));

const STATFS: StatFsLike = { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 64, ffree: 60 };

function scrapeWith(deps: HostCollectorDeps, options: HostCollectorOptions = {}) {
  const registry = new Registry();
  registerHostMetrics(registry, { now: () => 1_700_000_000_500, ...deps }, options);
  return async () => {
    const text = await registry.metrics();
    return { text, samples: parseExposition(text) };
  };
}

const pick = (samples: ParsedSample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

const value = (samples: ParsedSample[], name: string, labels: Record<string, string> = {}) => {
  const found = pick(samples, name, labels);
  if (found.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!.value;
};

const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('host metrics from fixture /proc files', () => {
  it('renders node_exporter names, types and labels', async () => {
    const statfsCalls: string[] = [];
    const scrape = scrapeWith({
      procRoot: FIXTURES,
      statfs: async (path) => {
        statfsCalls.push(path);
        return STATFS;
      },
    });
    const { text, samples } = await scrape();

    expect(text).toContain('# TYPE node_cpu_seconds_total counter');
    expect(text).toContain('# TYPE node_memory_MemTotal_bytes gauge');
    expect(text).toContain('# TYPE node_disk_read_bytes_total counter');
    expect(text).toContain('# TYPE node_network_receive_bytes_total counter');
    expect(value(samples, 'node_cpu_seconds_total', { cpu: '1', mode: 'idle' })).toBe(4369.46);
    expect(pick(samples, 'node_cpu_seconds_total')).toHaveLength(16);
    expect(value(samples, 'node_memory_MemTotal_bytes')).toBe(24684084 * 1024);
    expect(value(samples, 'node_load15')).toBe(0.22);
    expect(value(samples, 'node_boot_time_seconds')).toBe(1795281667);
    expect(value(samples, 'node_time_seconds')).toBe(1_700_000_000.5);
    expect(value(samples, 'node_disk_written_bytes_total', { device: 'vda' })).toBe(1574616 * 512);
    expect(pick(samples, 'node_disk_reads_completed_total').map((s) => s.labels.device)).toEqual(['vda']);
    expect(value(samples, 'node_network_transmit_packets_total', { device: 'eth0' })).toBe(3519);

    // Pseudo filesystems, /proc, /sys, /dev, docker and credentials mounts are left out; the
    // stacked /srv mount appears once.
    const mounts = pick(samples, 'node_filesystem_size_bytes').map((s) => s.labels.mountpoint).sort();
    expect(mounts).toEqual(['/', '/boot', '/media/usb stick', '/run', '/srv']);
    expect(statfsCalls.sort()).toEqual(mounts);
    expect(pick(samples, 'node_filesystem_size_bytes', { mountpoint: '/' })[0]!.labels).toEqual({ device: '/dev/vda', fstype: 'ext4', mountpoint: '/' });
    expect(value(samples, 'node_filesystem_size_bytes', { mountpoint: '/' })).toBe(4096 * 1000);
    expect(value(samples, 'node_filesystem_free_bytes', { mountpoint: '/' })).toBe(4096 * 400);
    expect(value(samples, 'node_filesystem_avail_bytes', { mountpoint: '/' })).toBe(4096 * 300);
    expect(value(samples, 'node_filesystem_files_free', { mountpoint: '/' })).toBe(60);
    expect(value(samples, 'node_filesystem_readonly', { mountpoint: '/media/usb stick' })).toBe(1);
    expect(value(samples, 'node_filesystem_readonly', { mountpoint: '/' })).toBe(0);

    for (const c of ['cpu', 'meminfo', 'filesystem', 'diskstats', 'netdev', 'loadavg', 'stat', 'time']) {
      expect(value(samples, 'node_scrape_collector_success', { collector: c })).toBe(1);
    }
  });

  it('reads /proc once per scrape however many families render', async () => {
    let calls = 0;
    const scrape = scrapeWith({ procRoot: FIXTURES, statfs: async () => (calls++, STATFS) }, { reuseMs: 0 });
    await scrape();
    expect(calls).toBe(5);
    await scrape();
    expect(calls).toBe(10);
  });

  it('applies the configured exclusions', async () => {
    const settings = hostConfigSchema.parse({
      filesystem_exclude_mountpoints: '^/(boot|run|proc|sys|dev)($|/)',
      filesystem_exclude_fstypes: '^(vfat|tmpfs)$',
      disk_exclude_devices: '^(vda|loop\\d+)$',
      network_exclude_devices: '^(lo|ifb\\d+)$',
    });
    const { samples } = await scrapeWith({ procRoot: FIXTURES, statfs: async () => STATFS }, settings)();
    // The given patterns replace the defaults: overlay and squashfs mounts now count.
    const mounts = pick(samples, 'node_filesystem_size_bytes').map((s) => s.labels.mountpoint).sort();
    expect(mounts).toEqual(['/', '/snap/core/1', '/srv', '/var/lib/docker/overlay2/abc/merged']);
    expect(pick(samples, 'node_disk_io_now').map((s) => s.labels.device)).toEqual(['zram0']);
    expect(pick(samples, 'node_network_receive_bytes_total').map((s) => s.labels.device)).toEqual(['eth0']);
  });

  it('marks a failing or hanging statfs as a device error without sizes', async () => {
    let hungCalls = 0;
    const scrape = scrapeWith(
      {
        procRoot: FIXTURES,
        statfs: (path) => {
          if (path === '/boot') return Promise.reject(Object.assign(new Error('EACCES'), { code: 'EACCES' }));
          if (path === '/srv') {
            hungCalls++;
            return new Promise<StatFsLike>(() => {});
          }
          return Promise.resolve(STATFS);
        },
      },
      { statfsTimeoutMs: 50, reuseMs: 0 },
    );
    const { samples } = await scrape();
    expect(value(samples, 'node_filesystem_device_error', { mountpoint: '/boot' })).toBe(1);
    expect(value(samples, 'node_filesystem_device_error', { mountpoint: '/srv' })).toBe(1);
    expect(value(samples, 'node_filesystem_device_error', { mountpoint: '/' })).toBe(0);
    expect(pick(samples, 'node_filesystem_size_bytes', { mountpoint: '/srv' })).toEqual([]);
    expect(value(samples, 'node_scrape_collector_success', { collector: 'filesystem' })).toBe(1);
    // The hung mount is not asked again while its first call is outstanding, so a scrape stays fast.
    await scrape();
    expect(hungCalls).toBe(1);
    expect(value((await scrape()).samples, 'node_filesystem_device_error', { mountpoint: '/srv' })).toBe(1);
  });

  it('keeps cpu counters from going backwards, unless a cpu was re-plugged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-proc-'));
    tmpDirs.push(dir);
    const stat = (iowait: number, idle: number) => writeFileSync(join(dir, 'stat'), `cpu0 100 0 100 ${idle} ${iowait} 0 0 0 0 0\nbtime 1\n`);
    const scrape = scrapeWith({ procRoot: dir, statfs: async () => STATFS }, { reuseMs: 0 });
    const iowait = async () => value((await scrape()).samples, 'node_cpu_seconds_total', { cpu: '0', mode: 'iowait' });
    stat(500, 100000);
    expect(await iowait()).toBe(5);
    stat(490, 100100);
    expect(await iowait()).toBe(5);
    stat(510, 100200);
    expect(await iowait()).toBe(5.1);
    stat(20, 500); // idle fell by far more than 3s: a new cpu behind the same number
    expect(await iowait()).toBe(0.2);
  });
});

describe('host metrics when collectors fail', () => {
  it('keeps the scrape working, reports success 0 and logs each failure once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-proc-'));
    tmpDirs.push(dir);
    writeFileSync(join(dir, 'loadavg'), '1.5 1.0 0.5 1/85 12480\n');
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } });
    const scrape = scrapeWith({ procRoot: dir, logger, statfs: async () => STATFS }, { reuseMs: 0 });

    const { text, samples } = await scrape();
    await scrape();
    expect(value(samples, 'node_load1')).toBe(1.5);
    expect(pick(samples, 'node_cpu_seconds_total')).toEqual([]);
    expect(text).toContain('# TYPE node_cpu_seconds_total counter');
    for (const c of ['cpu', 'stat', 'meminfo', 'diskstats', 'netdev', 'filesystem']) {
      expect(value(samples, 'node_scrape_collector_success', { collector: c })).toBe(0);
    }
    expect(value(samples, 'node_scrape_collector_success', { collector: 'loadavg' })).toBe(1);
    const failures = lines.map((l) => JSON.parse(l) as { msg: string; collector?: string }).filter((l) => l.msg === 'host collector failed');
    expect(failures.map((f) => f.collector).sort()).toEqual(['cpu', 'diskstats', 'filesystem', 'meminfo', 'netdev', 'stat']);

    writeFileSync(join(dir, 'meminfo'), 'MemTotal: 10 kB\n');
    const after = await scrape();
    expect(value(after.samples, 'node_memory_MemTotal_bytes')).toBe(10240);
    expect(lines.some((l) => l.includes('host collector recovered') && l.includes('meminfo'))).toBe(true);
  });
});

describe('host config', () => {
  it('defaults to node_exporter exclusions', () => {
    const s = hostConfigSchema.parse({});
    expect(s.enabled).toBe(true);
    expect(s.filesystemExcludeFstypes.test('overlay')).toBe(true);
    expect(s.filesystemExcludeFstypes.test('ext4')).toBe(false);
    expect(s.filesystemExcludeMountpoints.test('/var/lib/docker/overlay2/x')).toBe(true);
    expect(s.filesystemExcludeMountpoints.test('/var/lib/docker')).toBe(false);
    expect(s.filesystemExcludeMountpoints.test('/run/credentials/x.service')).toBe(true);
    expect(s.filesystemExcludeMountpoints.test('/run')).toBe(false);
    expect(s.diskExcludeDevices.test('sda1')).toBe(true);
    expect(s.networkExcludeDevices).toBeUndefined();
  });

  it.each([
    [{ enabled: 'yes' }, 'enabled'],
    [{ disk_exclude_devices: '(' }, 'invalid regular expression'],
    [{ filesystem_exclude_mountpoint: '^/x' }, 'filesystem_exclude_mountpoint'],
  ])('rejects %j', (block, text) => {
    const r = hostConfigSchema.safeParse(block);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(text);
  });

  it('lists every registered name once, each a valid metric name', () => {
    expect(new Set(HOST_METRIC_NAMES).size).toBe(HOST_METRIC_NAMES.length);
    for (const n of HOST_METRIC_NAMES) expect(n).toMatch(/^node_[a-zA-Z0-9_]+$/);
  });
});
