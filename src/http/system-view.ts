// The host as the JSON API shows it (/health/system…): the host sampler's reading (the same one
// node_* series come from, parsed by host/proc-parsers) turned into totals, percentages and,
// against an earlier reading at least a second old, rates.
import type { FilesystemStats, HostSnapshot } from '../host/host-collector.js';
import { CPU_MODES } from '../host/proc-parsers.js';

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const pct = (part: number, whole: number) => (whole > 0 ? round((100 * part) / whole) : undefined);
const iso = (ms: number) => new Date(ms).toISOString();

/** Seconds per mode summed over the CPUs, and the busy share (neither idle nor iowait). */
function cpuTotals(s: HostSnapshot) {
  const modes = Object.fromEntries(CPU_MODES.map((m) => [m, 0])) as Record<(typeof CPU_MODES)[number], number>;
  for (const c of s.stat?.cpus ?? []) for (const m of CPU_MODES) modes[m] += c.seconds[m];
  const total = CPU_MODES.reduce((n, m) => n + modes[m], 0);
  return { modes, total, busy: total - modes.idle - modes.iowait };
}

export function cpuView(now: HostSnapshot, before?: HostSnapshot) {
  if (!now.stat) return undefined;
  const t = cpuTotals(now);
  const b = before?.stat ? cpuTotals(before) : undefined;
  const interval = b && t.total > b.total ? { since: iso(before!.takenAt), usagePercent: pct(t.busy - b.busy, t.total - b.total) } : undefined;
  return {
    cores: now.stat.cpus.length,
    // Since boot unless an earlier reading lets it be measured over the interval between them.
    usagePercent: interval?.usagePercent ?? pct(t.busy, t.total),
    usageSince: interval?.since ?? (now.stat.bootTimeSeconds === undefined ? 'boot' : iso(now.stat.bootTimeSeconds * 1000)),
    secondsByMode: Object.fromEntries(Object.entries(t.modes).map(([m, v]) => [m, round(v)])),
    load: now.load ? { load1: now.load.load1, load5: now.load.load5, load15: now.load.load15 } : undefined,
    processes: { running: now.stat.procsRunning, blocked: now.stat.procsBlocked },
    bootTime: now.stat.bootTimeSeconds === undefined ? undefined : iso(now.stat.bootTimeSeconds * 1000),
  };
}

export function memoryView(s: HostSnapshot) {
  const m = s.memory;
  if (!m) return undefined;
  const total = m.MemTotal_bytes ?? 0;
  // Kernels before 3.14 have no MemAvailable; free + buffers + page cache is the usual stand-in.
  const available = m.MemAvailable_bytes ?? (m.MemFree_bytes ?? 0) + (m.Buffers_bytes ?? 0) + (m.Cached_bytes ?? 0);
  const swapTotal = m.SwapTotal_bytes ?? 0;
  const swapFree = m.SwapFree_bytes ?? 0;
  return {
    totalBytes: total,
    availableBytes: available,
    usedBytes: total - available,
    usedPercent: pct(total - available, total),
    freeBytes: m.MemFree_bytes,
    buffersBytes: m.Buffers_bytes,
    cachedBytes: m.Cached_bytes,
    swap: { totalBytes: swapTotal, freeBytes: swapFree, usedBytes: swapTotal - swapFree, usedPercent: pct(swapTotal - swapFree, swapTotal) },
  };
}

function filesystemView(f: FilesystemStats) {
  if (f.deviceError || f.sizeBytes === undefined) return { mountpoint: f.mountpoint, device: f.device, fstype: f.fstype, readonly: f.readonly, error: true };
  const used = f.sizeBytes - (f.freeBytes ?? 0);
  return {
    mountpoint: f.mountpoint,
    device: f.device,
    fstype: f.fstype,
    readonly: f.readonly,
    sizeBytes: f.sizeBytes,
    usedBytes: used,
    availableBytes: f.availBytes,
    // As df: used over what users can have (used + available), so root's reserve is not counted.
    usedPercent: pct(used, used + (f.availBytes ?? 0)),
    files: f.files,
    filesFree: f.filesFree,
  };
}

const rate = (now: number, before: number | undefined, seconds: number | undefined) =>
  before === undefined || seconds === undefined || now < before ? undefined : round((now - before) / seconds);

export function diskView(now: HostSnapshot, before?: HostSnapshot) {
  if (!now.filesystems && !now.disks) return undefined;
  const seconds = before && now.takenAt > before.takenAt ? (now.takenAt - before.takenAt) / 1000 : undefined;
  const prev = new Map((before?.disks ?? []).map((d) => [d.device, d]));
  return {
    filesystems: (now.filesystems ?? []).map(filesystemView),
    devices: (now.disks ?? []).map((d) => {
      const p = prev.get(d.device);
      return {
        device: d.device,
        readBytes: d.readBytes,
        writtenBytes: d.writtenBytes,
        readsCompleted: d.readsCompleted,
        writesCompleted: d.writesCompleted,
        ioTimeSeconds: d.ioTimeSeconds,
        ioInProgress: d.ioNow,
        readBytesPerSecond: rate(d.readBytes, p?.readBytes, seconds),
        writtenBytesPerSecond: rate(d.writtenBytes, p?.writtenBytes, seconds),
      };
    }),
  };
}

export function networkView(now: HostSnapshot, before?: HostSnapshot) {
  if (!now.network) return undefined;
  const seconds = before && now.takenAt > before.takenAt ? (now.takenAt - before.takenAt) / 1000 : undefined;
  const prev = new Map((before?.network ?? []).map((n) => [n.device, n]));
  return {
    interfaces: now.network.map((n) => {
      const p = prev.get(n.device);
      return {
        device: n.device,
        receiveBytes: n.receive.bytes,
        transmitBytes: n.transmit.bytes,
        receivePackets: n.receive.packets,
        transmitPackets: n.transmit.packets,
        receiveErrors: n.receive.errs,
        transmitErrors: n.transmit.errs,
        receiveDrops: n.receive.drop,
        transmitDrops: n.transmit.drop,
        receiveBytesPerSecond: rate(n.receive.bytes, p?.receive.bytes, seconds),
        transmitBytesPerSecond: rate(n.transmit.bytes, p?.transmit.bytes, seconds),
      };
    }),
  };
}

/** Which collectors failed in this reading: their part of the answer is left out. */
export function collectorFailures(s: HostSnapshot): string[] {
  return Object.entries(s.collectors).filter(([, c]) => !c.success).map(([name]) => name);
}

export function systemView(now: HostSnapshot, before?: HostSnapshot) {
  const failed = collectorFailures(now);
  return {
    at: iso(now.takenAt),
    status: failed.length === 0 ? 'ok' : 'partial',
    ...(failed.length > 0 ? { failedCollectors: failed } : {}),
    cpu: cpuView(now, before),
    memory: memoryView(now),
    disk: diskView(now, before),
    network: networkView(now, before),
  };
}
