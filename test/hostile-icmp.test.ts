// The icmp kind against pings that misbehave on purpose: fake `ping` programs written into a
// temp dir stand in for iputils (loopback never loses packets or prints garbage). Each run must
// end as a result with a reason from the closed list, by its deadline at the latest, leaving no
// process behind. Only processes these tests start are ever looked at, by their PID.
import { getEventListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../src/core/check-result.js';
import { FAILURE_REASONS } from '../src/core/failure-reason.js';
import { createIcmpKind } from '../src/probes/icmp.js';
import { DEFAULT_PATH } from '../src/probes/run-command.js';
import type { ProbeContext } from '../src/probes/types.js';
import { probeContext } from './helpers/probe-peers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'healthmon-hostile-icmp-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let scripts = 0;
/** A fake ping: a shell script with `body`, run as ping would be. */
function fakePing(body: string): string {
  const path = join(dir, `ping-${++scripts}`);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

const HEADER = 'echo "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data."';
const reply = (seq: number, ms: number | string, extra = '') => `echo "64 bytes from 127.0.0.1: icmp_seq=${seq} ttl=64 time=${ms} ms${extra}"`;
const statistics = (sent: number, received: number) =>
  `echo; echo "--- 127.0.0.1 ping statistics ---"; echo "${sent} packets transmitted, ${received} received, ${Math.round((100 * (sent - received)) / sent)}% packet loss, time 1ms"`;

async function probe(script: string, block: Record<string, unknown>, ctx: ProbeContext = probeContext(2000)): Promise<ProbeOutcome> {
  const kind = createIcmpKind({ ping: fakePing(script) });
  const o = await kind.probe(kind.schema.parse({ host: '127.0.0.1', ...block }), ctx);
  // Whatever happens, a value with a reason from the closed list, never an exception.
  if (!o.ok) expect(FAILURE_REASONS).toContain(o.reason);
  return o;
}

const value = (o: ProbeOutcome, metric: string) => o.observations.find((x) => x.metric === metric)?.value;

/** Whether a process is still alive: present in /proc and not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pids: number[]): Promise<boolean> {
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
  return !pids.some(alive);
}

describe('how ping is run', () => {
  it('without a shell: -n -c -i -W and the family, the address last, in a minimal environment', async () => {
    const args = join(dir, 'args');
    const env = join(dir, 'env');
    const o = await probe(`printf '%s\\n' "$@" > ${args}; env > ${env}; ${HEADER}; ${reply(1, 0.1)}; ${reply(2, 0.1)}; ${reply(3, 0.1)}; ${statistics(3, 3)}`, {
      count: 3,
      interval: '20ms',
      timeout: '500ms',
    });
    expect(o).toMatchObject({ ok: true });
    expect(readFileSync(args, 'utf8').trim().split('\n')).toEqual(['-n', '-c', '3', '-i', '0.02', '-W', '0.5', '-4', '127.0.0.1']);
    const vars = readFileSync(env, 'utf8');
    expect(vars).toContain(`PATH=${DEFAULT_PATH}\n`);
    expect(vars).toContain('LC_ALL=C\n');
    expect(vars).not.toContain('HOME=');
  });

  it('waits for a reply until the deadline when no timeout is set', async () => {
    const args = join(dir, 'args-default');
    await probe(`printf '%s\\n' "$@" > ${args}; ${HEADER}; ${reply(1, 0.1)}; ${statistics(1, 1)}`, { host: '::1' }, probeContext(1500));
    const argv = readFileSync(args, 'utf8').trim().split('\n');
    expect(argv.slice(0, 6)).toEqual(['-n', '-c', '1', '-i', '1', '-W']);
    expect(Number(argv[6])).toBeGreaterThan(1.4);
    expect(argv.slice(7)).toEqual(['-6', '::1']);
  });
});

describe('pings that fail or misbehave', () => {
  it.each([
    ['prints garbage and exits 0', 'echo "hello, I am not ping"; exit 0', 'protocol_error', 'ping printed no statistics line; its output began: "hello, I am not ping"'],
    ['prints binary garbage and exits 1', "printf '\\033[31m\\001\\002 bytes from nowhere\\n'; exit 1", 'protocol_error', 'ping printed no statistics line; its output began: "[31m bytes from nowhere"'],
    ['sends nothing back and exits 1', `${HEADER}; ${statistics(3, 0)}; exit 1`, 'timeout', 'no echo reply from 127.0.0.1 within 2000ms (3 sent)'],
    [
      'has no ICMP socket',
      'echo "ping: socktype: SOCK_RAW" >&2; echo "ping: socket: Operation not permitted" >&2; exit 2',
      'exec_error',
      'ping cannot open an ICMP socket (ping: socktype: SOCK_RAW; ping: socket: Operation not permitted): allow it with net.ipv4.ping_group_range or CAP_NET_RAW',
    ],
    ['has no route', 'echo "ping: connect: Network is unreachable" >&2; exit 2', 'network_unreachable', 'ping: connect: Network is unreachable'],
    ['rejects its arguments', 'echo "ping: invalid argument: \'x\'" >&2; exit 2', 'exec_error', "ping failed (exit status 2): ping: invalid argument: 'x'"],
    ['dies of a signal', `${HEADER}; kill -9 $$`, 'exec_error', 'ping failed (killed by SIGKILL)'],
    [
      'gets an ICMP error back',
      `${HEADER}; echo "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable"; ${statistics(1, 0)}; exit 1`,
      'network_unreachable',
      'no echo reply from 127.0.0.1: From 10.0.0.1 icmp_seq=1 Destination Host Unreachable',
    ],
  ])('a ping that %s: %s', async (_what, script, reason, message) => {
    expect(await probe(script, {})).toMatchObject({ ok: false, reason, message });
  });

  it('a ping that is not there: exec_error naming the package', async () => {
    const kind = createIcmpKind({ ping: join(dir, 'no-such-ping') });
    expect(await kind.probe(kind.schema.parse({ host: '127.0.0.1' }), probeContext(1000))).toMatchObject({
      ok: false,
      reason: 'exec_error',
      message: `cannot run ${join(dir, 'no-such-ping')}: no such file (the icmp kind runs ping from iputils-ping)`,
    });
  });

  it('a ping that prints 10 MB: read to the end, at most 256 KiB kept, too_large', async () => {
    const started = performance.now();
    const o = await probe(`${HEADER}; head -c 10000000 /dev/zero | tr '\\0' x; exit 0`, {}, probeContext(10_000));
    expect(o).toMatchObject({ ok: false, reason: 'too_large', message: 'ping wrote more than 256KiB, far more than 1 requests take' });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a ping that hangs and ignores SIGINT: killed with its group at the deadline, timeout', async () => {
    const pids = join(dir, 'hang.pids');
    const started = performance.now();
    const o = await probe(`trap "" INT; ${HEADER}; ${reply(1, 0.2)}; sleep 30 & echo $$ $! > ${pids}; wait`, { count: 3 }, probeContext(400));
    expect(performance.now() - started).toBeLessThan(2400);
    expect(o).toMatchObject({ ok: false, reason: 'timeout', message: 'ping did not finish within 400ms and was killed with its process group (1 replies so far)' });
    const started2 = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect(started2).toHaveLength(2);
    expect(await gone(started2)).toBe(true);
  });
});

describe('replies, loss and time', () => {
  // Like iputils: on SIGINT, print the statistics and exit.
  const onInterrupt = (sent: number, received: number) => `trap '${statistics(sent, received).replaceAll("'", '"')}; exit 0' INT`;

  it('counts duplicates once, ignores sequence numbers never sent, and warns of partial loss', async () => {
    const o = await probe(`${HEADER}; ${reply(1, 1.5)}; ${reply(1, 1.5, ' (DUP!)')}; ${reply(9, 1)}; ${reply(3, 2.5)}; ${statistics(4, 2)}; exit 0`, { count: 4 });
    expect(o).toMatchObject({ ok: true, warning: 'packet loss 50% (2 of 4 lost)', message: 'packet loss 50% (2 of 4 lost)' });
    expect(value(o, 'healthmon_icmp_packets_sent')).toBe(4);
    expect(value(o, 'healthmon_icmp_packets_received')).toBe(2);
    expect(value(o, 'healthmon_icmp_packet_loss_ratio')).toBe(0.5);
    expect(o.observations.filter((x) => x.metric === 'healthmon_icmp_rtt_seconds')).toEqual([
      { metric: 'healthmon_icmp_rtt_seconds', value: 0.0015, labels: { stat: 'min' } },
      { metric: 'healthmon_icmp_rtt_seconds', value: 0.002, labels: { stat: 'avg' } },
      { metric: 'healthmon_icmp_rtt_seconds', value: 0.0025, labels: { stat: 'max' } },
      { metric: 'healthmon_icmp_rtt_seconds', value: 0.0005, labels: { stat: 'stddev' } },
    ]);
  });

  it('counts a reply later than timeout as lost, and fails over max_loss', async () => {
    const script = `${HEADER}; ${reply(1, 10)}; ${reply(2, 80)}; ${reply(3, 20)}; ${statistics(3, 3)}; exit 0`;
    expect(await probe(script, { count: 3, timeout: '50ms' })).toMatchObject({ ok: true, warning: 'packet loss 33.3% (1 of 3 lost; 1 came later than the 50ms timeout)' });
    expect(await probe(script, { count: 3, timeout: '50ms', max_loss: '20%' })).toMatchObject({
      ok: false,
      reason: 'condition_failed',
      message: 'packet loss 33.3% (1 of 3 lost; 1 came later than the 50ms timeout), expected at most 20% (max_loss)',
    });
    expect(await probe(`${HEADER}; ${reply(1, 80)}; ${statistics(1, 1)}; exit 0`, { timeout: '50ms' })).toMatchObject({
      ok: false,
      reason: 'timeout',
      message: 'no echo reply from 127.0.0.1 within the 50ms timeout (1 sent; 1 came later than the 50ms timeout)',
    });
  });

  it('interrupts a ping still waiting for its last reply before the deadline, and judges what it reports', async () => {
    const started = performance.now();
    const o = await probe(`${onInterrupt(3, 2)}; ${HEADER}; ${reply(1, 1)}; ${reply(2, 1)}; sleep 30 & wait`, { count: 3, interval: '2ms' }, probeContext(600));
    expect(performance.now() - started).toBeLessThan(600);
    expect(o).toMatchObject({ ok: true, warning: 'packet loss 33.3% (1 of 3 lost)' });
  });

  it('fails with timeout when count × interval does not fit in the check timeout', async () => {
    const o = await probe(`${onInterrupt(2, 2)}; ${HEADER}; ${reply(1, 1)}; ${reply(2, 1)}; sleep 30 & wait`, { count: 5 }, probeContext(500));
    expect(o).toMatchObject({
      ok: false,
      reason: 'timeout',
      message: "only 2 of 5 echo requests were sent within the check's 500ms timeout: it must cover (count - 1) × interval and the wait for the last reply",
    });
  });

  it('leaves no abort listener behind after many runs, finished and killed', async () => {
    const shared = new AbortController();
    const ctx: ProbeContext = { ...probeContext(5000), signal: shared.signal };
    for (let round = 0; round < 3; round++) {
      const outcomes = await Promise.all([
        probe(`${HEADER}; ${reply(1, 1)}; ${statistics(1, 1)}`, {}, ctx),
        probe(`${HEADER}; ${statistics(1, 0)}; exit 1`, {}, ctx),
        probe('exit 2', {}, ctx),
        probe('trap "" INT; sleep 10', {}, probeContext(50)),
      ]);
      expect(outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'timeout', 'exec_error', 'timeout']);
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });
});
