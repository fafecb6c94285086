import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DISK_EXCLUDE_DEVICES } from './host-config.js';
import { parseDiskstats, parseLoadavg, parseMeminfo, parseMountinfo, parseNetDev, parseStat } from './proc-parsers.js';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/proc/${name}`, import.meta.url), 'utf8');

describe('parseStat', () => {
  it('turns per-cpu ticks into seconds at USER_HZ=100 and skips the aggregate line', () => {
    const s = parseStat(fixture('stat'));
    expect(s.cpus.map((c) => c.cpu)).toEqual(['0', '1']);
    expect(s.cpus[0]!.seconds).toEqual({ user: 166.5, nice: 0, system: 81.47, idle: 4398.04, iowait: 0.79, irq: 0, softirq: 2.12, steal: 0.24 });
    expect(s).toMatchObject({ bootTimeSeconds: 1795281667, contextSwitches: 1280040, forks: 12481, interrupts: 682701, procsRunning: 1, procsBlocked: 0 });
  });

  it('keeps guest time inside user/nice and reports it separately, as node_exporter does', () => {
    const s = parseStat(fixture('stat-guest'));
    expect(s.cpus[1]).toEqual({
      cpu: '1',
      seconds: { user: 10, nice: 0.5, system: 5, idle: 250, iowait: 1, irq: 0, softirq: 0.25, steal: 0.05 },
      guestSeconds: 1.5,
      guestNiceSeconds: 0.1,
    });
    expect(s).toMatchObject({ procsRunning: 3, procsBlocked: 1 });
  });

  it('tolerates old kernels with fewer columns', () => {
    const s = parseStat('cpu0 100 0 50 1000\nbtime 5\n');
    expect(s.cpus[0]!.seconds).toMatchObject({ user: 1, idle: 10, iowait: 0, steal: 0 });
    expect(s.cpus[0]!.guestSeconds).toBe(0);
  });
});

describe('parseMeminfo', () => {
  it('converts kB to bytes and names fields like node_exporter', () => {
    const m = parseMeminfo(fixture('meminfo'));
    expect(m.get('MemTotal_bytes')).toBe(24684084 * 1024);
    expect(m.get('MemAvailable_bytes')).toBe(24228760 * 1024);
    expect(m.get('Buffers_bytes')).toBe(1032 * 1024);
    expect(m.has('SwapTotal_bytes')).toBe(true);
    expect(m.has('Active_anon_bytes')).toBe(true);
    expect([...m.keys()].some((k) => k.includes('('))).toBe(false);
  });

  it('keeps unitless fields as they are', () => {
    const m = parseMeminfo('HugePages_Total:       0\nHugepagesize:       2048 kB\nActive(file):  10 kB\n');
    expect(Object.fromEntries(m)).toEqual({ HugePages_Total: 0, Hugepagesize_bytes: 2048 * 1024, Active_file_bytes: 10240 });
  });
});

describe('parseLoadavg', () => {
  it('reads the three averages', () => {
    expect(parseLoadavg(fixture('loadavg'))).toEqual({ load1: 0.81, load5: 0.36, load15: 0.22 });
  });

  it('rejects garbage', () => {
    expect(() => parseLoadavg('nope')).toThrow(/unexpected \/proc\/loadavg/);
  });
});

describe('parseDiskstats', () => {
  it('converts sectors to bytes and ms to seconds, dropping excluded devices', () => {
    const d = parseDiskstats(fixture('diskstats'), new RegExp(DEFAULT_DISK_EXCLUDE_DEVICES));
    expect(d.map((x) => x.device)).toEqual(['vda']);
    expect(d[0]).toEqual({
      device: 'vda',
      readsCompleted: 52817,
      readsMerged: 11285,
      readBytes: 4993682 * 512,
      readTimeSeconds: 25.412,
      writesCompleted: 8966,
      writesMerged: 15088,
      writtenBytes: 1574616 * 512,
      writeTimeSeconds: 5.862,
      ioNow: 0,
      ioTimeSeconds: 9.476,
      ioTimeWeightedSeconds: 31.751,
      discardsCompleted: 4246,
      discardsMerged: 25,
      discardedSectors: 86064,
      discardTimeSeconds: 0.415,
      flushRequests: 975,
      flushRequestsTimeSeconds: 0.06,
    });
  });

  it.each(['sda1', 'nvme0n1p2', 'loop3', 'ram0', 'zram0', 'xvda1', 'vdb9'])('excludes %s by default', (device) => {
    expect(new RegExp(DEFAULT_DISK_EXCLUDE_DEVICES).test(device)).toBe(true);
  });

  it.each(['sda', 'nvme0n1', 'vda', 'dm-0', 'md0', 'mmcblk0'])('keeps %s by default', (device) => {
    expect(new RegExp(DEFAULT_DISK_EXCLUDE_DEVICES).test(device)).toBe(false);
  });

  it('reads old kernels without discard and flush columns', () => {
    const d = parseDiskstats('   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n');
    expect(d[0]).toMatchObject({ device: 'sda', readBytes: 3 * 512, ioTimeWeightedSeconds: 0.011 });
    expect(d[0]!.discardsCompleted).toBeUndefined();
  });
});

describe('parseNetDev', () => {
  it('reads receive and transmit columns per device', () => {
    const n = parseNetDev(fixture('net/dev'));
    expect(n.map((x) => x.device)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    const eth0 = n.find((x) => x.device === 'eth0')!;
    expect(eth0.receive).toMatchObject({ bytes: 204945408, packets: 5489, errs: 0, drop: 0, multicast: 0 });
    expect(eth0.transmit).toMatchObject({ bytes: 456992, packets: 3519, colls: 0, carrier: 0 });
  });

  it('handles counters glued to the colon and the exclusion regex', () => {
    const text = 'Inter-|\n face |\n  eth1:123 4 0 0 0 0 0 0 5 6 0 0 0 0 0 0\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n';
    const n = parseNetDev(text, /^lo$/);
    expect(n).toHaveLength(1);
    expect(n[0]).toMatchObject({ device: 'eth1', receive: { bytes: 123, packets: 4 }, transmit: { bytes: 5, packets: 6 } });
  });
});

describe('parseMountinfo', () => {
  it('reads mount point, type, source and per-mount options, past optional fields', () => {
    const m = parseMountinfo(fixture('1/mountinfo'));
    expect(m.find((x) => x.mountPoint === '/')).toEqual({ majorMinor: '254:0', mountPoint: '/', fsType: 'ext4', source: '/dev/vda', options: ['rw', 'relatime'] });
    expect(m.find((x) => x.mountPoint === '/boot')).toMatchObject({ fsType: 'ext4', source: '/dev/vdb1' });
  });

  it('unescapes octal escapes in mount points', () => {
    const usb = parseMountinfo(fixture('1/mountinfo')).find((x) => x.source === '/dev/sdb1');
    expect(usb).toMatchObject({ mountPoint: '/media/usb stick', fsType: 'vfat' });
    expect(usb!.options).toContain('ro');
  });

  it('skips malformed lines', () => {
    expect(parseMountinfo('garbage\n\n1 2 3 4 5\n')).toEqual([]);
  });
});
