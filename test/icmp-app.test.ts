// The icmp kind in a whole healthmon: the load-time judgement of ICMP access as config errors
// with file and line (on made-up /proc facts), and real pings of the loopback as a scrape of
// /metrics, promtool check metrics and GET /probe show them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { ConfigError } from '../src/config/issues.js';
import { loadConfig, loadConfigAsync } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { createIcmpKind } from '../src/probes/icmp.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { parseExposition } from './helpers/parse-exposition.js';
import { findPeer } from './helpers/peers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'healthmon-icmp-app-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, checks: string): string {
  const file = join(dir, name);
  writeFileSync(file, `server: {listen: "127.0.0.1:0"}\nstorage: {path: "${join(dir, 'data')}"}\nhost: {enabled: false}\n${checks}`);
  return file;
}

describe('ICMP access, judged when the config loads', () => {
  let proc: string;
  let ping: string;
  beforeAll(() => {
    proc = join(dir, 'proc');
    mkdirSync(join(proc, 'self'), { recursive: true });
    mkdirSync(join(proc, 'sys/net/ipv4'), { recursive: true });
    ping = join(dir, 'ping');
    writeFileSync(ping, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  });
  const facts = (uid: number, groupRange: string) => {
    writeFileSync(join(proc, 'self/status'), `Uid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t100\t100\t100\t100\nGroups:\t100\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n`);
    writeFileSync(join(proc, 'sys/net/ipv4/ping_group_range'), `${groupRange}\n`);
  };
  const kinds = () => ({ ...PROBE_KINDS, icmp: createIcmpKind({ ping, procRoot: proc }) });
  const CHECKS = `checks:
  - name: web
    kind: tcp
    tcp: {host: 127.0.0.1, port: 1}
  - name: gateway
    kind: icmp
    icmp: {host: 10.0.0.1}
  - name: dns-server
    kind: icmp
    icmp:
      host: 10.0.0.53
      count: 3
`;

  it('refuses every icmp check with the reason and what to change, at its file and line', async () => {
    facts(1000, '1\t0');
    const file = config('refused.yaml', CHECKS);
    const err = await loadConfigAsync(file, { kinds: kinds(), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(2);
    const why = (line: number, path: string) =>
      new RegExp(
        `^${path.replace(/[[\]]/g, '\\$&')} \\(${file}:${line}\\): ping cannot open an ICMP socket when healthmon runs it: ` +
          `net\\.ipv4\\.ping_group_range is "1 0", which holds none of healthmon's groups \\(100\\); healthmon runs as uid 1000 without CAP_NET_RAW; .*` +
          `Do one of: let its group open ICMP sockets: sysctl -w net\\.ipv4\\.ping_group_range="0 2147483647" \\(and keep it in /etc/sysctl\\.d/\\); ` +
          `or give healthmon CAP_NET_RAW as an ambient capability \\(systemd: AmbientCapabilities=CAP_NET_RAW\\); or setcap cap_net_raw\\+p ${ping}$`,
      );
    expect(problems[0]).toMatch(why(10, 'checks[1].icmp'));
    expect(problems[1]).toMatch(why(14, 'checks[2].icmp'));
  });

  it.each([
    ['the group range holds its group', 1000, '100\t100'],
    ['it runs as root', 0, '1\t0'],
  ])('loads when %s', async (_why, uid, groupRange) => {
    facts(uid, groupRange);
    const loaded = await loadConfigAsync(config('allowed.yaml', CHECKS), { kinds: kinds(), env: {} });
    expect(loaded.checks.map((c) => [c.name, c.target])).toEqual([['web', '127.0.0.1:1'], ['gateway', '10.0.0.1'], ['dns-server', '10.0.0.53']]);
  });

  it('judges /probe modules of kind icmp too', async () => {
    facts(1000, '1\t0');
    const file = config('module.yaml', 'modules:\n  icmp_3:\n    kind: icmp\n    icmp: {count: 3}\n');
    const err = await loadConfigAsync(file, { kinds: kinds(), env: {} }).catch((e: unknown) => e);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(new RegExp(`^modules\\.icmp_3\\.icmp \\(${file}:7\\): ping cannot open an ICMP socket`))]);
    facts(0, '1\t0');
    expect((await loadConfigAsync(file, { kinds: kinds(), env: {} })).modules.icmp_3).toMatchObject({ kind: 'icmp' });
  });

  it('needs loadConfigAsync, as every kind prepared at load does', () => {
    expect(() => loadConfig(config('sync.yaml', CHECKS), { kinds: kinds(), env: {} })).toThrow(/check "gateway" is of kind icmp, which is prepared at load: use loadConfigAsync/);
  });
});

const ping = findPeer('ping');
const promtool = findPeer('promtool');
const hasIpv6Loopback = Object.values(networkInterfaces()).some((addrs) => addrs?.some((a) => a.address === '::1'));

describe.skipIf(!ping)('real pings of the loopback in a running healthmon', () => {
  let app: App;
  let port: number;
  beforeAll(async () => {
    const kinds = { ...PROBE_KINDS, icmp: createIcmpKind({ ping: ping! }) };
    const file = config(
      'app.yaml',
      `modules:
  icmp_3: {kind: icmp, timeout: 2s, icmp: {count: 3, interval: 10ms}}
checks:
  - name: loopback
    kind: icmp
    icmp: {host: 127.0.0.1, count: 3, interval: 10ms, max_loss: "50%"}
  - name: localhost
    kind: icmp
    icmp: {host: localhost}
`,
    );
    const load = () => loadConfigAsync(file, { kinds, env: {} });
    app = createApp(await load(), { clock: createFakeClock(), logger: silentLogger(), kinds, build: { version: 't', nodeVersion: '20' }, loadConfig: load });
    port = (await app.start())!;
    await app.runOnce();
  });
  afterAll(() => app?.stop(0));

  const scrape = async (format: 'text' | 'openmetrics') => Buffer.concat(await app.metrics(format)).toString('utf8');

  it('exports blackbox names for the probe and healthmon_icmp_* for count, loss and rtt', async () => {
    const samples = parseExposition(await scrape('text'));
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && s.labels.check === 'loopback' && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('probe_success')).toBe(1);
    expect(value('probe_ip_protocol', { kind: 'icmp' })).toBe(4);
    expect(value('probe_icmp_reply_hop_limit')).toBe(64);
    for (const phase of ['resolve', 'setup', 'rtt']) expect(value('probe_icmp_duration_seconds', { phase })).toBeGreaterThanOrEqual(0);
    expect(value('healthmon_icmp_packets_sent')).toBe(3);
    expect(value('healthmon_icmp_packets_received')).toBe(3);
    expect(value('healthmon_icmp_packet_loss_ratio')).toBe(0);
    for (const stat of ['min', 'avg', 'max', 'stddev']) expect(value('healthmon_icmp_rtt_seconds', { stat })).toBeGreaterThanOrEqual(0);
    expect(value('healthmon_check_info', { target: '127.0.0.1' })).toBe(1);
    expect(samples.find((s) => s.name === 'probe_success' && s.labels.check === 'localhost')?.value).toBe(1);
  });

  it.skipIf(!promtool)('passes promtool check metrics in both formats', async () => {
    const complaints = (body: string) => {
      const run = spawnSync(promtool!, ['check', 'metrics'], { input: body, encoding: 'utf8' });
      return (run.stderr + run.stdout).split('\n').filter((l) => l !== '');
    };
    expect(complaints(await scrape('text'))).toEqual([]);
    // promtool 2.42 reads OpenMetrics as text and takes every OM counter's `_total` sample for one
    // without help (see promtool-metrics.test.ts); nothing else may be reported.
    const om = await scrape('openmetrics');
    const counters = new Set([...om.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => `${m[1]}_total no help text`));
    expect(complaints(om).filter((l) => !counters.has(l))).toEqual([]);
  });

  it.each([
    ['127.0.0.1', 4, true],
    ['[::1]', 6, hasIpv6Loopback],
  ])('answers GET /probe?module=icmp_3&target=%s as blackbox would', async (target, protocol, run) => {
    if (!run) return;
    const res = await fetch(`http://127.0.0.1:${port}/probe?module=icmp_3&target=${encodeURIComponent(target)}`);
    expect(res.status).toBe(200);
    const samples = parseExposition(await res.text());
    const value = (name: string) => samples.find((s) => s.name === name)?.value;
    expect(value('probe_success')).toBe(1);
    expect(value('probe_ip_protocol')).toBe(protocol);
    expect(value('healthmon_icmp_packets_received')).toBe(3);
    expect(samples.filter((s) => s.name === 'probe_icmp_duration_seconds').map((s) => s.labels.phase)).toEqual(['resolve', 'setup', 'rtt']);
  });
});
