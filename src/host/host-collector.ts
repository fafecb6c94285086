// Host samples under node_exporter's names and labels (node_cpu_seconds_total, node_memory_*,
// node_filesystem_*, …), read from /proc and statfs when the registry is scraped.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../core/logger.js';
import { registerFamily, type FamilyType, type Sample } from '../metrics/family.js';
import { defaultHostSettings, type HostSettings } from './host-config.js';
import {
  CPU_MODES,
  NETDEV_RECEIVE_FIELDS,
  NETDEV_TRANSMIT_FIELDS,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMountinfo,
  parseNetDev,
  parseStat,
  type CpuTimes,
  type DiskStats,
  type LoadAvg,
  type MountInfo,
  type NetDevStats,
  type ProcStat,
} from './proc-parsers.js';

/** The part of fs.StatFs the filesystem collector needs. */
export interface StatFsLike {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

export interface HostCollectorDeps {
  /** Where procfs is mounted; a fixture directory in tests. Default `/proc`. */
  procRoot?: string;
  statfs?: (path: string) => Promise<StatFsLike>;
  logger?: Logger;
  /** Epoch milliseconds, for node_time_seconds. */
  now?: () => number;
}

export interface HostCollectorOptions extends Partial<HostSettings> {
  /** A statfs that has not returned by then marks the mount as failing (node_exporter's mount-timeout). */
  statfsTimeoutMs?: number;
  /** A scrape reuses a snapshot taken this recently instead of reading /proc again per family. */
  reuseMs?: number;
}

/** node_exporter's collector names, used as the `collector` label of node_scrape_collector_*. */
export const HOST_COLLECTORS = ['cpu', 'stat', 'meminfo', 'loadavg', 'diskstats', 'netdev', 'filesystem', 'time'] as const;
export type HostCollectorName = (typeof HOST_COLLECTORS)[number];

export interface FilesystemStats {
  device: string;
  mountpoint: string;
  fstype: string;
  readonly: boolean;
  /** statfs failed or hung; the size fields are then absent, as in node_exporter. */
  deviceError: boolean;
  sizeBytes?: number;
  freeBytes?: number;
  availBytes?: number;
  files?: number;
  filesFree?: number;
}

/** One reading of the host; a part is absent when its collector failed. Plain data, fit for a JSON API. */
export interface HostSnapshot {
  takenAt: number;
  stat?: ProcStat;
  memory?: Record<string, number>;
  load?: LoadAvg;
  disks?: DiskStats[];
  network?: NetDevStats[];
  filesystems?: FilesystemStats[];
  collectors: Record<HostCollectorName, { success: boolean; durationSeconds: number }>;
}

export interface HostSampler {
  /** Reads the host, sharing one reading between callers that ask at about the same time. */
  sample(): Promise<HostSnapshot>;
}

// node_exporter treats an idle counter that goes back this far as a CPU hot-plug, not jitter.
const CPU_JUMP_BACK_SECONDS = 3;

export function createHostSampler(deps: HostCollectorDeps = {}, options: HostCollectorOptions = {}): HostSampler {
  const procRoot = deps.procRoot ?? '/proc';
  const statfs = deps.statfs ?? ((path: string) => fsp.statfs(path));
  const logger = deps.logger ?? silentLogger();
  const now = deps.now ?? Date.now;
  const settings = { ...defaultHostSettings(), ...definedOnly(options) };
  const statfsTimeoutMs = options.statfsTimeoutMs ?? 5_000;
  const reuseMs = options.reuseMs ?? 250;

  const failing = new Set<HostCollectorName>();
  const stuckMounts = new Set<string>();
  let lastCpus = new Map<string, CpuTimes>();
  let inflight: Promise<HostSnapshot> | undefined;
  let last: { snapshot: HostSnapshot; at: number } | undefined;

  const readProc = (path: string) => fsp.readFile(join(procRoot, path), 'utf8');

  // The kernel's per-cpu counters can step back a little (iowait notably); exported counters must not.
  function monotonicCpus(cpus: CpuTimes[]): CpuTimes[] {
    const next = new Map<string, CpuTimes>();
    const out = cpus.map((c) => {
      let prev = lastCpus.get(c.cpu);
      if (prev && prev.seconds.idle - c.seconds.idle >= CPU_JUMP_BACK_SECONDS) prev = undefined;
      if (!prev) {
        next.set(c.cpu, c);
        return c;
      }
      const seconds = { ...c.seconds };
      for (const mode of CPU_MODES) seconds[mode] = Math.max(seconds[mode], prev.seconds[mode]);
      const kept: CpuTimes = {
        cpu: c.cpu,
        seconds,
        guestSeconds: Math.max(c.guestSeconds, prev.guestSeconds),
        guestNiceSeconds: Math.max(c.guestNiceSeconds, prev.guestNiceSeconds),
      };
      next.set(c.cpu, kept);
      return kept;
    });
    lastCpus = next;
    return out;
  }

  async function statMount(m: MountInfo): Promise<FilesystemStats> {
    const base = {
      device: m.source,
      mountpoint: m.mountPoint,
      fstype: m.fsType,
      readonly: m.options.includes('ro'),
    };
    // A hung NFS mount would hang every later statfs too; skip it until the first call returns.
    if (stuckMounts.has(m.mountPoint)) return { ...base, deviceError: true };
    const call = statfs(m.mountPoint);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), statfsTimeoutMs);
      timer.unref();
    });
    try {
      const s = await Promise.race([call, timedOut]);
      if (s === 'timeout') {
        stuckMounts.add(m.mountPoint);
        call.then(
          () => stuckMounts.delete(m.mountPoint),
          () => stuckMounts.delete(m.mountPoint),
        );
        logger.warn({ mountpoint: m.mountPoint, timeoutMs: statfsTimeoutMs }, 'statfs did not return; skipping the mount until it does');
        return { ...base, deviceError: true };
      }
      return {
        ...base,
        deviceError: false,
        sizeBytes: s.blocks * s.bsize,
        freeBytes: s.bfree * s.bsize,
        availBytes: s.bavail * s.bsize,
        files: s.files,
        filesFree: s.ffree,
      };
    } catch (err) {
      logger.debug({ mountpoint: m.mountPoint, err: (err as Error).message }, 'statfs failed');
      return { ...base, deviceError: true };
    } finally {
      clearTimeout(timer);
    }
  }

  async function readFilesystems(): Promise<FilesystemStats[]> {
    let text: string;
    try {
      text = await readProc('1/mountinfo');
    } catch {
      // hidepid or a container without pid 1's view: fall back to our own mount namespace.
      text = await readProc('self/mountinfo');
    }
    const seen = new Set<string>();
    const mounts = parseMountinfo(text).filter((m) => {
      if (settings.filesystemExcludeMountpoints.test(m.mountPoint) || settings.filesystemExcludeFstypes.test(m.fsType)) return false;
      // Stacked mounts repeat a label set, and a repeated series would make the whole scrape invalid.
      const key = `${m.source}\0${m.mountPoint}\0${m.fsType}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return Promise.all(mounts.map(statMount));
  }

  async function read(): Promise<HostSnapshot> {
    const collectors = {} as HostSnapshot['collectors'];
    const run = async <T>(names: HostCollectorName[], fn: () => Promise<T>): Promise<T | undefined> => {
      const t = performance.now();
      let value: T | undefined;
      let error: unknown;
      try {
        value = await fn();
      } catch (err) {
        error = err;
      }
      const durationSeconds = (performance.now() - t) / 1000;
      for (const name of names) {
        collectors[name] = { success: error === undefined, durationSeconds };
        // Logged when a collector starts or stops failing, not on every scrape.
        if (error !== undefined && !failing.has(name)) {
          failing.add(name);
          logger.warn({ collector: name, err: (error as Error)?.message ?? String(error) }, 'host collector failed');
        } else if (error === undefined && failing.delete(name)) {
          logger.info({ collector: name }, 'host collector recovered');
        }
      }
      return value;
    };
    const [stat, memory, load, disks, network, filesystems] = await Promise.all([
      run(['cpu', 'stat'], async () => parseStat(await readProc('stat'))),
      run(['meminfo'], async () => Object.fromEntries(parseMeminfo(await readProc('meminfo')))),
      run(['loadavg'], async () => parseLoadavg(await readProc('loadavg'))),
      run(['diskstats'], async () => parseDiskstats(await readProc('diskstats'), settings.diskExcludeDevices)),
      run(['netdev'], async () => parseNetDev(await readProc('net/dev'), settings.networkExcludeDevices)),
      run(['filesystem'], readFilesystems),
    ]);
    collectors.time = { success: true, durationSeconds: 0 };
    if (stat) stat.cpus = monotonicCpus(stat.cpus);
    return { takenAt: now(), stat, memory, load, disks, network, filesystems, collectors };
  }

  return {
    sample() {
      if (inflight) return inflight;
      if (last && performance.now() - last.at < reuseMs) return Promise.resolve(last.snapshot);
      inflight = read().then((snapshot) => {
        last = { snapshot, at: performance.now() };
        return snapshot;
      });
      inflight.finally(() => (inflight = undefined)).catch(() => {});
      return inflight;
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

interface HostFamily {
  name: string;
  help: string;
  type: FamilyType;
  samples(s: HostSnapshot): Sample[];
}

// The meminfo fields exported, by node_exporter's name. Registration needs names up front, so
// this is the set dashboards use rather than every field a kernel may print.
const MEMINFO_FIELDS = [
  'MemTotal_bytes', 'MemFree_bytes', 'MemAvailable_bytes', 'Buffers_bytes', 'Cached_bytes', 'SwapCached_bytes',
  'Active_bytes', 'Inactive_bytes', 'Active_anon_bytes', 'Inactive_anon_bytes', 'Active_file_bytes', 'Inactive_file_bytes',
  'Unevictable_bytes', 'Mlocked_bytes', 'SwapTotal_bytes', 'SwapFree_bytes', 'Dirty_bytes', 'Writeback_bytes',
  'AnonPages_bytes', 'Mapped_bytes', 'Shmem_bytes', 'KReclaimable_bytes', 'Slab_bytes', 'SReclaimable_bytes',
  'SUnreclaim_bytes', 'KernelStack_bytes', 'PageTables_bytes', 'CommitLimit_bytes', 'Committed_AS_bytes',
  'VmallocTotal_bytes', 'VmallocUsed_bytes', 'HugePages_Total', 'HugePages_Free', 'Hugepagesize_bytes',
] as const;

const one = (value: number | undefined): Sample[] => (value === undefined ? [] : [{ labels: {}, value }]);

function fsLabels(f: FilesystemStats): Record<string, string> {
  return { device: f.device, fstype: f.fstype, mountpoint: f.mountpoint };
}

function fsFamily(suffix: string, help: string, pick: (f: FilesystemStats) => number | undefined): HostFamily {
  return {
    name: `node_filesystem_${suffix}`,
    help,
    type: 'gauge',
    samples: (s) =>
      (s.filesystems ?? []).flatMap((f) => {
        const v = pick(f);
        return v === undefined ? [] : [{ labels: fsLabels(f), value: v }];
      }),
  };
}

function diskFamily(suffix: string, help: string, type: FamilyType, pick: (d: DiskStats) => number | undefined): HostFamily {
  return {
    name: `node_disk_${suffix}`,
    help,
    type,
    samples: (s) =>
      (s.disks ?? []).flatMap((d) => {
        const v = pick(d);
        return v === undefined ? [] : [{ labels: { device: d.device }, value: v }];
      }),
  };
}

const FAMILIES: HostFamily[] = [
  {
    name: 'node_cpu_seconds_total',
    help: 'Seconds the CPUs spent in each mode.',
    type: 'counter',
    samples: (s) => (s.stat?.cpus ?? []).flatMap((c) => CPU_MODES.map((mode) => ({ labels: { cpu: c.cpu, mode }, value: c.seconds[mode] }))),
  },
  {
    name: 'node_cpu_guest_seconds_total',
    help: 'Seconds the CPUs spent in guests (VMs) for each mode.',
    type: 'counter',
    samples: (s) =>
      (s.stat?.cpus ?? []).flatMap((c) => [
        { labels: { cpu: c.cpu, mode: 'nice' }, value: c.guestNiceSeconds },
        { labels: { cpu: c.cpu, mode: 'user' }, value: c.guestSeconds },
      ]),
  },
  { name: 'node_boot_time_seconds', help: 'Node boot time, in unixtime.', type: 'gauge', samples: (s) => one(s.stat?.bootTimeSeconds) },
  { name: 'node_context_switches_total', help: 'Total number of context switches.', type: 'counter', samples: (s) => one(s.stat?.contextSwitches) },
  { name: 'node_forks_total', help: 'Total number of forks.', type: 'counter', samples: (s) => one(s.stat?.forks) },
  { name: 'node_intr_total', help: 'Total number of interrupts serviced.', type: 'counter', samples: (s) => one(s.stat?.interrupts) },
  { name: 'node_procs_running', help: 'Number of processes in runnable state.', type: 'gauge', samples: (s) => one(s.stat?.procsRunning) },
  { name: 'node_procs_blocked', help: 'Number of processes blocked waiting for I/O to complete.', type: 'gauge', samples: (s) => one(s.stat?.procsBlocked) },
  ...MEMINFO_FIELDS.map(
    (field): HostFamily => ({
      name: `node_memory_${field}`,
      help: `Memory information field ${field}.`,
      type: 'gauge',
      samples: (s) => one(s.memory?.[field]),
    }),
  ),
  { name: 'node_load1', help: '1m load average.', type: 'gauge', samples: (s) => one(s.load?.load1) },
  { name: 'node_load5', help: '5m load average.', type: 'gauge', samples: (s) => one(s.load?.load5) },
  { name: 'node_load15', help: '15m load average.', type: 'gauge', samples: (s) => one(s.load?.load15) },
  fsFamily('size_bytes', 'Filesystem size in bytes.', (f) => f.sizeBytes),
  fsFamily('free_bytes', 'Filesystem free space in bytes.', (f) => f.freeBytes),
  fsFamily('avail_bytes', 'Filesystem space available to non-root users in bytes.', (f) => f.availBytes),
  fsFamily('files', 'Filesystem total file nodes.', (f) => f.files),
  fsFamily('files_free', 'Filesystem total free file nodes.', (f) => f.filesFree),
  fsFamily('readonly', 'Filesystem read-only status.', (f) => (f.readonly ? 1 : 0)),
  fsFamily('device_error', 'Whether an error occurred while getting statistics for the given device.', (f) => (f.deviceError ? 1 : 0)),
  diskFamily('reads_completed_total', 'The total number of reads completed successfully.', 'counter', (d) => d.readsCompleted),
  diskFamily('reads_merged_total', 'The total number of reads merged.', 'counter', (d) => d.readsMerged),
  diskFamily('read_bytes_total', 'The total number of bytes read successfully.', 'counter', (d) => d.readBytes),
  diskFamily('read_time_seconds_total', 'The total number of seconds spent by all reads.', 'counter', (d) => d.readTimeSeconds),
  diskFamily('writes_completed_total', 'The total number of writes completed successfully.', 'counter', (d) => d.writesCompleted),
  diskFamily('writes_merged_total', 'The number of writes merged.', 'counter', (d) => d.writesMerged),
  diskFamily('written_bytes_total', 'The total number of bytes written successfully.', 'counter', (d) => d.writtenBytes),
  diskFamily('write_time_seconds_total', 'This is the total number of seconds spent by all writes.', 'counter', (d) => d.writeTimeSeconds),
  diskFamily('io_now', 'The number of I/Os currently in progress.', 'gauge', (d) => d.ioNow),
  diskFamily('io_time_seconds_total', 'Total seconds spent doing I/Os.', 'counter', (d) => d.ioTimeSeconds),
  diskFamily('io_time_weighted_seconds_total', 'The weighted # of seconds spent doing I/Os.', 'counter', (d) => d.ioTimeWeightedSeconds),
  diskFamily('discards_completed_total', 'The total number of discards completed successfully.', 'counter', (d) => d.discardsCompleted),
  diskFamily('discards_merged_total', 'The total number of discards merged.', 'counter', (d) => d.discardsMerged),
  diskFamily('discarded_sectors_total', 'The total number of sectors discarded successfully.', 'counter', (d) => d.discardedSectors),
  diskFamily('discard_time_seconds_total', 'This is the total number of seconds spent by all discards.', 'counter', (d) => d.discardTimeSeconds),
  diskFamily('flush_requests_total', 'The total number of flush requests completed successfully.', 'counter', (d) => d.flushRequests),
  diskFamily('flush_requests_time_seconds_total', 'This is the total number of seconds spent by all flush requests.', 'counter', (d) => d.flushRequestsTimeSeconds),
  ...NETDEV_RECEIVE_FIELDS.map(
    (field): HostFamily => ({
      name: `node_network_receive_${field}_total`,
      help: `Network device statistic receive_${field}.`,
      type: 'counter',
      samples: (s) => (s.network ?? []).map((n) => ({ labels: { device: n.device }, value: n.receive[field] })),
    }),
  ),
  ...NETDEV_TRANSMIT_FIELDS.map(
    (field): HostFamily => ({
      name: `node_network_transmit_${field}_total`,
      help: `Network device statistic transmit_${field}.`,
      type: 'counter',
      samples: (s) => (s.network ?? []).map((n) => ({ labels: { device: n.device }, value: n.transmit[field] })),
    }),
  ),
  { name: 'node_time_seconds', help: 'System time in seconds since epoch (1970).', type: 'gauge', samples: (s) => one(s.takenAt / 1000) },
  {
    name: 'node_scrape_collector_success',
    help: 'node_exporter: Whether a collector succeeded.',
    type: 'gauge',
    samples: (s) => HOST_COLLECTORS.map((c) => ({ labels: { collector: c }, value: s.collectors[c]?.success ? 1 : 0 })),
  },
  {
    name: 'node_scrape_collector_duration_seconds',
    help: 'node_exporter: Duration of a collector scrape.',
    type: 'gauge',
    samples: (s) => HOST_COLLECTORS.map((c) => ({ labels: { collector: c }, value: s.collectors[c]?.durationSeconds ?? 0 })),
  },
];

/** Every metric name registerHostMetrics registers, for docs and collision checks. */
export const HOST_METRIC_NAMES: readonly string[] = FAMILIES.map((f) => f.name);

/**
 * Registers the host families in `registry`. Nothing is read now: each scrape samples the host
 * once and every family renders from that one reading.
 */
export function registerHostMetrics(registry: Registry, deps: HostCollectorDeps = {}, options: HostCollectorOptions = {}): HostSampler {
  const sampler = createHostSampler(deps, options);
  for (const family of FAMILIES) {
    registerFamily(registry, {
      name: family.name,
      help: family.help,
      type: family.type,
      collect: async () => family.samples(await sampler.sample()),
    });
  }
  return sampler;
}
