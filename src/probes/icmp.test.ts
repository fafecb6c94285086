import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { findPeer } from '../../test/helpers/peers.js';
import { probeContext } from '../../test/helpers/probe-peers.js';
import { createIcmpKind, icmpAccessProblem, icmpKind, parsePingOutput, readIcmpAccessFacts, type IcmpAccessFacts } from './icmp.js';

const parse = (block: Record<string, unknown>) => icmpKind.schema.parse(block);
const value = (o: ProbeOutcome, metric: string, labels?: Record<string, string>) =>
  o.observations.find((x) => x.metric === metric && (labels === undefined || JSON.stringify(x.labels) === JSON.stringify(labels)))?.value;

describe('icmp schema', () => {
  it('fills defaults: one request, 1s apart, wait until the deadline, fail only when nothing comes back', () => {
    expect(parse({ host: 'example.com' })).toEqual({ host: 'example.com', count: 1, intervalMs: 1000, timeoutMs: undefined, family: undefined, maxLoss: 1 });
    expect(parse({ host: '::1', count: 5, interval: '200ms', timeout: '1s', ip_protocol: 'ip6', max_loss: '20%' })).toEqual({
      host: '::1', count: 5, intervalMs: 200, timeoutMs: 1000, family: 6, maxLoss: 0.2,
    });
    expect(parse({ host: 'h', max_loss: 0.25 }).maxLoss).toBe(0.25);
    expect(parse({ host: 'h', max_loss: 0 }).maxLoss).toBe(0);
  });

  it.each([
    [{}, 'host', ''],
    [{ host: '' }, 'host', 'expected a host name or address'],
    [{ host: 'h', count: 0 }, 'count', ''],
    [{ host: 'h', count: 1001 }, 'count', ''],
    [{ host: 'h', interval: '1ms' }, 'interval', "expected at least 2ms (ping's limit for users other than root)"],
    [{ host: 'h', interval: 1 }, 'interval', 'expected a duration like "5s", got 1'],
    [{ host: 'h', timeout: '0' }, 'timeout', 'expected a duration of at least 1ms'],
    [{ host: 'h', ip_protocol: 'ipv4' }, 'ip_protocol', ''],
    [{ host: 'h', max_loss: '120%' }, 'max_loss', 'expected a loss ratio from 0 to 1 or a percentage like "20%", got "120%"'],
    [{ host: 'h', max_loss: 2 }, 'max_loss', 'expected a loss ratio from 0 to 1 or a percentage like "20%", got 2'],
    [{ host: 'h', deadline: '5s' }, '', 'Unrecognized key: "deadline"'],
  ])('rejects %j at %s', (block, path, message) => {
    const result = icmpKind.schema.safeParse(block);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue).toBeDefined();
    if (message !== '') expect(issue!.message).toContain(message);
  });

  it('shows the host as target and takes /probe targets as hosts, brackets dropped', () => {
    expect(icmpKind.target(parse({ host: 'router.lan', count: 3 }))).toBe('router.lan');
    expect(icmpKind.fromTarget!('10.0.0.1')).toEqual({ host: '10.0.0.1' });
    expect(icmpKind.fromTarget!('[::1]')).toEqual({ host: '::1' });
  });
});

describe('ping output', () => {
  it('reads iputils replies and statistics, IPv4 and IPv6, dropping duplicates', () => {
    const v4 = parsePingOutput(`PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms
64 bytes from 127.0.0.1: icmp_seq=1 ttl=63 time=9.1 ms (DUP!)
64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=123 ms

--- 127.0.0.1 ping statistics ---
3 packets transmitted, 2 received, +1 duplicates, 33.3333% packet loss, time 2003ms
rtt min/avg/max/mdev = 0.045/41.0/123/50.1 ms
`);
    expect(v4).toEqual({ replies: new Map([[1, { ttl: 64, rttMs: 0.045 }], [3, { ttl: 64, rttMs: 123 }]]), transmitted: 3 });
    const v6 = parsePingOutput('PING ::1(::1) 56 data bytes\n64 bytes from ::1: icmp_seq=1 ttl=64 time=0.218 ms\n\n--- ::1 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n');
    expect(v6).toEqual({ replies: new Map([[1, { ttl: 64, rttMs: 0.218 }]]), transmitted: 1 });
  });

  it('keeps the first ICMP error a router sent back', () => {
    const out = parsePingOutput(`PING 10.9.9.9 (10.9.9.9) 56(84) bytes of data.
From 10.0.0.1 icmp_seq=1 Destination Host Unreachable
From 10.0.0.1 icmp_seq=2 Destination Host Unreachable

--- 10.9.9.9 ping statistics ---
2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1001ms
`);
    expect(out).toEqual({ replies: new Map(), icmpError: 'From 10.0.0.1 icmp_seq=1 Destination Host Unreachable', transmitted: 2 });
  });

  it('finds nothing in garbage', () => {
    expect(parsePingOutput('\x00\x1b[31mhello\n64 bytes from: icmp_seq=x\n')).toEqual({ replies: new Map() });
  });
});

describe('may ping open an ICMP socket?', () => {
  const user: IcmpAccessFacts = {
    ping: { path: '/usr/bin/ping', setuidRoot: false, fileCapNetRaw: false },
    euid: 1000,
    gids: [1000, 27],
    netRaw: { effective: false, ambient: false, bounding: true },
    noNewPrivs: false,
    pingGroupRange: [1, 0],
  };
  const facts = (change: Partial<IcmpAccessFacts>): IcmpAccessFacts => ({ ...user, ...change });

  it.each([
    ['its group is in ping_group_range', facts({ pingGroupRange: [0, 2147483647] })],
    ['a supplementary group is in ping_group_range', facts({ pingGroupRange: [20, 30] })],
    ['it runs as root', facts({ euid: 0, netRaw: { effective: true, ambient: false, bounding: true } })],
    ['it has CAP_NET_RAW as an ambient capability', facts({ netRaw: { effective: true, ambient: true, bounding: true } })],
    ['ping has the file capability', facts({ ping: { path: '/usr/bin/ping', setuidRoot: false, fileCapNetRaw: true } })],
    ['ping is setuid root', facts({ ping: { path: '/usr/bin/ping', setuidRoot: true, fileCapNetRaw: undefined } })],
    ['no_new_privs is set but the group range allows it', facts({ noNewPrivs: true, pingGroupRange: [0, 2147483647] })],
  ])('allowed when %s', (_why, f) => {
    expect(icmpAccessProblem(f)).toBeUndefined();
  });

  it('refused for a plain user: says why and every way to fix it', () => {
    expect(icmpAccessProblem(user)).toBe(
      'ping cannot open an ICMP socket when healthmon runs it: net.ipv4.ping_group_range is "1 0", which holds none of healthmon\'s groups (1000, 27); ' +
        'healthmon runs as uid 1000 without CAP_NET_RAW; /usr/bin/ping is neither setuid root nor given cap_net_raw. ' +
        'Do one of: let its group open ICMP sockets: sysctl -w net.ipv4.ping_group_range="0 2147483647" (and keep it in /etc/sysctl.d/); ' +
        'or give healthmon CAP_NET_RAW as an ambient capability (systemd: AmbientCapabilities=CAP_NET_RAW); or setcap cap_net_raw+p /usr/bin/ping',
    );
  });

  it.each([
    ['CAP_NET_RAW that is not ambient', facts({ netRaw: { effective: true, ambient: false, bounding: true } }), 'with CAP_NET_RAW, but not as an ambient capability, so ping, which it runs, does not get it'],
    ['no_new_privs voiding the file capability', facts({ noNewPrivs: true, ping: { path: '/bin/ping', setuidRoot: false, fileCapNetRaw: true } }), '/bin/ping is given cap_net_raw, which no_new_privs voids'],
    ['root without NET_RAW in the bounding set', facts({ euid: 0, netRaw: { effective: false, ambient: false, bounding: false } }), 'give its container NET_RAW (docker run --cap-add NET_RAW)'],
    ['no ping sockets in the kernel', facts({ pingGroupRange: undefined }), 'the kernel has no unprivileged ICMP sockets'],
    ['unreadable file capabilities', facts({ ping: { path: '/usr/bin/ping', setuidRoot: false, fileCapNetRaw: undefined } }), 'could not be read (no getcap)'],
    ['ping missing', facts({ ping: undefined }), 'install iputils-ping (apt-get install iputils-ping)'],
  ])('refused with %s, saying so', (_why, f, says) => {
    expect(icmpAccessProblem(f)).toContain(says);
  });

  describe('facts read from /proc', () => {
    let proc: string;
    let fakePing: string;
    beforeAll(() => {
      proc = mkdtempSync(join(tmpdir(), 'healthmon-icmp-proc-'));
      mkdirSync(join(proc, 'self'));
      mkdirSync(join(proc, 'sys/net/ipv4'), { recursive: true });
      fakePing = join(proc, 'ping');
      writeFileSync(fakePing, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    });
    afterAll(() => rmSync(proc, { recursive: true, force: true }));

    const status = (uid: number, gid: number, caps: { eff: string; amb?: string; bnd?: string }, noNewPrivs = 0) =>
      writeFileSync(
        join(proc, 'self/status'),
        `Name:\tnode\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${gid}\t${gid}\t${gid}\t${gid}\nGroups:\t${gid} 44 \n` +
          `CapInh:\t0000000000000000\nCapPrm:\t${caps.eff}\nCapEff:\t${caps.eff}\nCapBnd:\t${caps.bnd ?? '000001ffffffffff'}\nCapAmb:\t${caps.amb ?? '0000000000000000'}\nNoNewPrivs:\t${noNewPrivs}\n`,
      );
    const range = (text: string) => writeFileSync(join(proc, 'sys/net/ipv4/ping_group_range'), text);

    it('reads ids, groups, capabilities, no_new_privs, the group range and the ping program', async () => {
      status(1000, 1000, { eff: '0000000000002000', amb: '0000000000002000' }, 1);
      range('1\t0\n');
      expect(await readIcmpAccessFacts(fakePing, proc)).toEqual({
        ping: { path: fakePing, setuidRoot: false, fileCapNetRaw: expect.toBeOneOf([false, undefined]) },
        euid: 1000,
        gids: [1000, 44],
        netRaw: { effective: true, ambient: true, bounding: true },
        noNewPrivs: true,
        pingGroupRange: [1, 0],
      });
    });

    it.each([
      ['the group range', 1000, { eff: '0000000000000000' }, '0\t2147483647', undefined],
      ['root', 0, { eff: '000001ffffffffff' }, '1\t0', undefined],
      ['an ambient CAP_NET_RAW', 1000, { eff: '0000000000002000', amb: '0000000000002000' }, '1\t0', undefined],
      ['nothing', 1000, { eff: '0000000000000000' }, '1\t0', /net\.ipv4\.ping_group_range is "1 0".*sysctl -w net\.ipv4\.ping_group_range="0 2147483647"/],
      ['a CapEff without CapAmb', 1000, { eff: '0000000000002000' }, '1\t0', /not as an ambient capability.*AmbientCapabilities=CAP_NET_RAW/],
    ])('judges a load with %s through prepare', async (_what, uid, caps, groupRange, problem) => {
      status(uid, 1000, caps);
      range(groupRange);
      const kind = createIcmpKind({ ping: fakePing, procRoot: proc });
      const prepared = await kind.prepare!(parse({ host: '127.0.0.1' }), { baseDir: proc });
      if (problem === undefined) expect(prepared).toEqual({ ok: true, settings: parse({ host: '127.0.0.1' }) });
      else expect(prepared).toMatchObject({ ok: false, issues: [{ path: [], message: expect.stringMatching(problem) }] });
    });

    it('says to install iputils-ping when there is no ping', async () => {
      status(1000, 1000, { eff: '0000000000000000' });
      const kind = createIcmpKind({ ping: join(proc, 'no-such-ping'), procRoot: proc });
      expect(await kind.prepare!(parse({ host: 'h' }), { baseDir: proc })).toMatchObject({ ok: false, issues: [{ message: expect.stringContaining('install iputils-ping') }] });
    });

    it('checks nothing without /proc (not Linux): the probe finds out', async () => {
      expect(await readIcmpAccessFacts(fakePing, join(proc, 'nowhere'))).toBeUndefined();
      const kind = createIcmpKind({ ping: fakePing, procRoot: join(proc, 'nowhere') });
      expect((await kind.prepare!(parse({ host: 'h' }), { baseDir: proc })).ok).toBe(true);
    });
  });
});

const ping = findPeer('ping');
const hasIpv6Loopback = Object.values(networkInterfaces()).some((addrs) => addrs?.some((a) => a.address === '::1'));

describe.skipIf(!ping)('icmp against the loopback, with the real ping', () => {
  const kind = createIcmpKind({ ping: ping! });
  const probe = (block: Record<string, unknown>, timeoutMs = 3000) => kind.probe(parse(block), probeContext(timeoutMs));

  it('the real process may ping here (or this machine is misconfigured for the tests)', async () => {
    expect(await kind.prepare!(parse({ host: '127.0.0.1' }), { baseDir: '/' })).toMatchObject({ ok: true });
  });

  it('pings 127.0.0.1 once: rtt, hop limit, IPv4, no loss', async () => {
    const o = await probe({ host: '127.0.0.1' });
    expect(o).toMatchObject({ ok: true });
    expect(o.warning).toBeUndefined();
    expect(value(o, 'probe_ip_protocol')).toBe(4);
    expect(value(o, 'probe_icmp_reply_hop_limit')).toBe(64);
    expect(value(o, 'healthmon_icmp_packets_sent')).toBe(1);
    expect(value(o, 'healthmon_icmp_packets_received')).toBe(1);
    expect(value(o, 'healthmon_icmp_packet_loss_ratio')).toBe(0);
    const rtt = value(o, 'probe_icmp_duration_seconds', { phase: 'rtt' })!;
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThan(0.1);
    expect(value(o, 'probe_icmp_duration_seconds', { phase: 'resolve' })).toBe(0);
    expect(value(o, 'probe_icmp_duration_seconds', { phase: 'setup' })).toBeGreaterThan(0);
  });

  it('resolves localhost itself (a timed resolve phase), preferring IPv4 when asked', async () => {
    const o = await probe({ host: 'localhost', ip_protocol: 'ip4' });
    expect(o).toMatchObject({ ok: true });
    expect(value(o, 'probe_ip_protocol')).toBe(4);
    expect(value(o, 'probe_dns_lookup_time_seconds')).toBeGreaterThan(0);
    expect(o.phases.resolve).toBeGreaterThan(0);
  });

  it('sends count requests and reports loss and rtt statistics', async () => {
    const started = performance.now();
    const o = await probe({ host: '127.0.0.1', count: 4, interval: '20ms' });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(o).toMatchObject({ ok: true });
    expect(value(o, 'healthmon_icmp_packets_sent')).toBe(4);
    expect(value(o, 'healthmon_icmp_packets_received')).toBe(4);
    expect(value(o, 'healthmon_icmp_packet_loss_ratio')).toBe(0);
    const [min, avg, max, stddev] = ['min', 'avg', 'max', 'stddev'].map((stat) => value(o, 'healthmon_icmp_rtt_seconds', { stat })!);
    expect(min).toBeGreaterThan(0);
    expect(min).toBeLessThanOrEqual(avg!);
    expect(avg).toBeLessThanOrEqual(max!);
    expect(stddev).toBeGreaterThanOrEqual(0);
    expect(value(o, 'probe_icmp_duration_seconds', { phase: 'rtt' })).toBeCloseTo(avg!, 9);
  });

  it('fails a name that does not resolve with dns_error, without running ping', async () => {
    const o = await probe({ host: 'healthmon-no-such-host.invalid' });
    expect(o).toMatchObject({ ok: false, reason: 'dns_error', message: 'cannot resolve "healthmon-no-such-host.invalid" (ENOTFOUND)' });
    expect(value(o, 'probe_ip_protocol')).toBeUndefined();
  });

  it.skipIf(!hasIpv6Loopback)('pings ::1 over IPv6', async () => {
    const o = await probe({ host: '::1', count: 2, interval: '20ms' });
    expect(o).toMatchObject({ ok: true });
    expect(value(o, 'probe_ip_protocol')).toBe(6);
    expect(value(o, 'healthmon_icmp_packets_received')).toBe(2);
    expect(value(o, 'probe_icmp_reply_hop_limit')).toBeGreaterThan(0);
  });
});
