// Pure parsers of the /proc files node_exporter reads, returning values already in the base
// units its metrics use (seconds, bytes), so the collector only names and labels them.

/** Kernel clock ticks per second for /proc/stat; 100 on every Linux architecture Node runs on. */
export const USER_HZ = 100;

export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export type CpuMode = (typeof CPU_MODES)[number];

export interface CpuTimes {
  /** The cpu number as node_exporter labels it: "0", "1", … */
  cpu: string;
  /** Seconds per mode. As in the kernel (and node_exporter), user and nice include guest time. */
  seconds: Record<CpuMode, number>;
  guestSeconds: number;
  guestNiceSeconds: number;
}

export interface ProcStat {
  cpus: CpuTimes[];
  bootTimeSeconds?: number;
  contextSwitches?: number;
  forks?: number;
  interrupts?: number;
  procsRunning?: number;
  procsBlocked?: number;
}

export function parseStat(text: string): ProcStat {
  const out: ProcStat = { cpus: [] };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const key = f[0];
    if (key === undefined || key === '') continue;
    const n = (i: number) => Number(f[i] ?? 0);
    if (/^cpu\d+$/.test(key)) {
      const ticks = f.slice(1).map(Number);
      const sec = (i: number) => (ticks[i] ?? 0) / USER_HZ;
      const seconds = {} as Record<CpuMode, number>;
      CPU_MODES.forEach((mode, i) => (seconds[mode] = sec(i)));
      out.cpus.push({ cpu: key.slice(3), seconds, guestSeconds: sec(8), guestNiceSeconds: sec(9) });
    } else if (key === 'btime') out.bootTimeSeconds = n(1);
    else if (key === 'ctxt') out.contextSwitches = n(1);
    else if (key === 'processes') out.forks = n(1);
    else if (key === 'intr') out.interrupts = n(1);
    else if (key === 'procs_running') out.procsRunning = n(1);
    else if (key === 'procs_blocked') out.procsBlocked = n(1);
  }
  return out;
}

/**
 * /proc/meminfo keyed by node_exporter's metric suffix: `MemTotal_bytes`, `Active_anon_bytes`
 * (parentheses become `_`), and fields without a unit as they are (`HugePages_Total`).
 */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:\s]+):\s+(\d+)(?:\s+(\S+))?/.exec(line);
    if (!m) continue;
    const key = m[1]!.replace(/\((.*)\)/, '_$1');
    // The kernel writes "kB" but means KiB.
    if (m[3] !== undefined) out.set(`${key}_bytes`, Number(m[2]) * 1024);
    else out.set(key, Number(m[2]));
  }
  return out;
}

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

export function parseLoadavg(text: string): LoadAvg {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((v) => v !== undefined && Number.isFinite(v))) throw new Error(`unexpected /proc/loadavg: ${JSON.stringify(text.slice(0, 80))}`);
  return { load1: a!, load5: b!, load15: c! };
}

/** One block device from /proc/diskstats, in node_exporter's units (bytes, seconds). */
export interface DiskStats {
  device: string;
  readsCompleted: number;
  readsMerged: number;
  readBytes: number;
  readTimeSeconds: number;
  writesCompleted: number;
  writesMerged: number;
  writtenBytes: number;
  writeTimeSeconds: number;
  ioNow: number;
  ioTimeSeconds: number;
  ioTimeWeightedSeconds: number;
  /** Kernel 4.18+. */
  discardsCompleted?: number;
  discardsMerged?: number;
  discardedSectors?: number;
  discardTimeSeconds?: number;
  /** Kernel 5.5+. */
  flushRequests?: number;
  flushRequestsTimeSeconds?: number;
}

// diskstats counts 512-byte sectors whatever the device's real sector size.
const SECTOR_BYTES = 512;

export function parseDiskstats(text: string, exclude?: RegExp): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const device = f[2]!;
    if (exclude?.test(device)) continue;
    const v = f.slice(3).map(Number);
    const at = (i: number) => v[i] ?? 0;
    const d: DiskStats = {
      device,
      readsCompleted: at(0),
      readsMerged: at(1),
      readBytes: at(2) * SECTOR_BYTES,
      readTimeSeconds: at(3) / 1000,
      writesCompleted: at(4),
      writesMerged: at(5),
      writtenBytes: at(6) * SECTOR_BYTES,
      writeTimeSeconds: at(7) / 1000,
      ioNow: at(8),
      ioTimeSeconds: at(9) / 1000,
      ioTimeWeightedSeconds: at(10) / 1000,
    };
    if (v.length >= 15) {
      d.discardsCompleted = at(11);
      d.discardsMerged = at(12);
      d.discardedSectors = at(13);
      d.discardTimeSeconds = at(14) / 1000;
    }
    if (v.length >= 17) {
      d.flushRequests = at(15);
      d.flushRequestsTimeSeconds = at(16) / 1000;
    }
    out.push(d);
  }
  return out;
}

export const NETDEV_RECEIVE_FIELDS = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'] as const;
export const NETDEV_TRANSMIT_FIELDS = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'] as const;

export interface NetDevStats {
  device: string;
  receive: Record<(typeof NETDEV_RECEIVE_FIELDS)[number], number>;
  transmit: Record<(typeof NETDEV_TRANSMIT_FIELDS)[number], number>;
}

export function parseNetDev(text: string, exclude?: RegExp): NetDevStats[] {
  const out: NetDevStats[] = [];
  for (const line of text.split('\n')) {
    // Old kernels glue big counters to the colon ("eth0:123"), so split on it, not on spaces.
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const device = line.slice(0, colon).trim();
    if (device === '' || exclude?.test(device)) continue;
    const v = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (v.length < 16) continue;
    const receive = {} as NetDevStats['receive'];
    const transmit = {} as NetDevStats['transmit'];
    NETDEV_RECEIVE_FIELDS.forEach((k, i) => (receive[k] = v[i] ?? 0));
    NETDEV_TRANSMIT_FIELDS.forEach((k, i) => (transmit[k] = v[8 + i] ?? 0));
    out.push({ device, receive, transmit });
  }
  return out;
}

export interface MountInfo {
  mountPoint: string;
  fsType: string;
  /** The mount source, which node_exporter labels `device`. */
  source: string;
  /** Per-mount options (`ro`, `nosuid`, …), not the superblock's. */
  options: string[];
  majorMinor: string;
}

// mountinfo escapes space, tab, newline and backslash as three-digit octal (\040 …).
const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    // Optional fields (shared:N, master:N …) sit between field 6 and the "-" separator.
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0 || sep + 2 >= f.length) continue;
    out.push({
      majorMinor: f[2]!,
      mountPoint: unescapeOctal(f[4]!),
      options: f[5]!.split(','),
      fsType: f[sep + 1]!,
      source: unescapeOctal(f[sep + 2]!),
    });
  }
  return out;
}
