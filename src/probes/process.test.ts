import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { probeContext } from '../../test/helpers/probe-peers.js';
import { createProcessKind, formatBytes, parsePidStat, parseRss, processKind } from './process.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'proc-processes');
const BTIME = 1_700_000_000;
const fixtureKind = createProcessKind({ procRoot: FIXTURE });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'healthmon-process-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inFixture = (block: Record<string, unknown>, ctx = probeContext(2000)) => fixtureKind.probe(fixtureKind.schema.parse(block), ctx);
const onHost = (block: Record<string, unknown>) => processKind.probe(processKind.schema.parse(block), probeContext(5000));
const value = (o: ProbeOutcome, metric: string) => o.observations.find((x) => x.metric === metric)?.value;
const metrics = (o: ProbeOutcome) => Object.fromEntries(o.observations.map((x) => [x.metric.replace('healthmon_process_', ''), x.value]));

describe('process schema', () => {
  it('needs one way to find the process, and counts only for patterns', () => {
    expect(processKind.schema.parse({ name: '^nginx$', max_rss: '1GiB' })).toMatchObject({ minCount: 1, maxRssBytes: 1024 ** 3 });
    expect(processKind.schema.parse({ pid_file: '/run/x.pid', cmdline: 'x' }).minCount).toBe(1);
  });

  it.each([
    [{}, ''],
    [{ max_rss: '1GiB' }, ''],
    [{ pid: 1, pid_file: '/run/x.pid' }, 'pid_file'],
    [{ pid: 1, max_count: 2 }, 'max_count'],
    [{ name: 'x', min_count: 3, max_count: 2 }, 'max_count'],
    [{ pid: 0 }, 'pid'],
    [{ name: '(' }, 'name'],
    [{ name: 'x', max_rss: 'lots' }, 'max_rss'],
    [{ name: 'x', max_cpu_percent: 90 }, ''],
  ])('rejects %j at %s', (block, path) => {
    const result = processKind.schema.safeParse(block);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it.each([
    [{ pid: 42 }, 'pid 42'],
    [{ pid_file: '/run/nginx.pid', name: 'nginx' }, 'pid_file /run/nginx.pid, name /nginx/'],
    [{ name: '^nginx$', cmdline: 'master' }, 'name /^nginx$/ and cmdline /master/'],
  ])('shows %j as %s', (block, target) => {
    expect(processKind.target(processKind.schema.parse(block))).toBe(target);
  });
});

describe('/proc parsing', () => {
  it('reads a stat line whose name holds spaces and parentheses', () => {
    expect(parsePidStat('500 (my (odd) name) R 1 500 500 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 3 0 7000 5000000 1')).toEqual({
      comm: 'my (odd) name',
      state: 'R',
      cpuSeconds: 0.03,
      threads: 3,
      startTicks: 7000,
    });
    expect(parsePidStat('')).toBeUndefined();
    expect(parsePidStat('1 (x) S')).toBeUndefined();
  });

  it('reads VmRSS, 0 when there is none', () => {
    expect(parseRss('Name:\tx\nVmRSS:\t    2072 kB\n')).toBe(2072 * 1024);
    expect(parseRss('Name:\tkworker\n')).toBe(0);
  });

  it.each([
    [512, '512B'],
    [1536, '1.5KiB'],
    [1024 ** 3, '1GiB'],
    [1.234 * 1024 ** 2, '1.23MiB'],
  ])('formats %d bytes as %s', (n, text) => expect(formatBytes(n)).toBe(text));
});

describe('process probe on fixtures', () => {
  it('totals the processes a pattern matches; zombies and processes gone mid-read do not count', async () => {
    const o = await inFixture({ name: '^nginx$' });
    expect(o).toMatchObject({ ok: true });
    expect(metrics(o)).toEqual({
      up: 1,
      matches: 2, // 100 and 101; 200 is a zombie
      cpu_seconds_total: 5.5,
      resident_memory_bytes: 30 * 1024 ** 2,
      threads: 3,
      open_fds: 10,
      start_time_seconds: BTIME + 50, // the oldest, 100
    });
    // 300's cmdline matches but it exited before its status was read.
    expect(value(await inFixture({ cmdline: 'worker' }), 'healthmon_process_matches')).toBe(1);
  });

  it('matches name against comm and cmdline against the arguments joined by spaces', async () => {
    expect(value(await inFixture({ cmdline: '^/usr/sbin/nginx -g daemon off;$' }), 'healthmon_process_matches')).toBe(1);
    expect(value(await inFixture({ name: '^my \\(odd\\) name$' }), 'healthmon_process_matches')).toBe(1);
    expect(value(await inFixture({ name: 'nginx', cmdline: 'worker' }), 'healthmon_process_matches')).toBe(1);
  });

  it.each([
    [{ pid: 100 }, { ok: true }],
    [{ pid: 999 }, { ok: false, reason: 'not_running', message: 'process 999 is not running' }],
    [{ pid: 200 }, { ok: false, reason: 'not_running', message: 'process 200 is a zombie: it has exited and its parent has not reaped it' }],
    [{ pid: 300 }, { ok: false, reason: 'not_running', message: 'process 300 is not running' }],
    [{ pid: 400, name: '^nginx$' }, { ok: false, reason: 'not_running', message: 'process 400 is "postgres", which does not match name /^nginx$/' }],
    [{ name: '^apache2$' }, { ok: false, reason: 'not_running', message: 'no process matches name /^apache2$/' }],
    [{ name: '^apache2$', min_count: 0 }, { ok: true }],
    [{ name: '^nginx$', min_count: 3 }, { ok: false, reason: 'condition_failed', message: '2 processes match name /^nginx$/, expected at least 3 (min_count)' }],
    [{ name: '^nginx$', max_count: 1 }, { ok: false, reason: 'condition_failed', message: '2 processes match name /^nginx$/ (pid 100, 101), expected at most 1 (max_count)' }],
    [{ cmdline: 'postgres', max_count: 0 }, { ok: false, reason: 'condition_failed', message: '1 process matches cmdline /postgres/ (pid 400), expected none (max_count)' }],
    [{ pid: 400, max_rss: '512MiB' }, { ok: false, reason: 'condition_failed', message: 'resident memory 1GiB, expected at most 512MiB (max_rss)' }],
    [{ pid: 400, max_rss: 1024 ** 3 - 1 }, { ok: false, reason: 'condition_failed', message: 'resident memory 1073741824 bytes, expected at most 1073741823 bytes (max_rss)' }],
    [{ pid: 400, max_rss: '1GiB' }, { ok: true }],
    [{ name: '^nginx$', max_open_fds: 9 }, { ok: false, reason: 'condition_failed', message: '10 open fds, expected at most 9 (max_open_fds)' }],
    [{ name: '^nginx$', max_open_fds: 10, max_rss: '10MiB', min_count: 3 }, {
      ok: false,
      reason: 'condition_failed',
      message: '2 processes match name /^nginx$/, expected at least 3 (min_count); resident memory 30MiB, expected at most 10MiB (max_rss)',
    }],
  ])('%j → %j', async (block, expected) => {
    expect(await inFixture(block)).toMatchObject(expected);
  });

  it('leaves out open fds it cannot read, and fails max_open_fds saying why', async () => {
    const o = await inFixture({ pid: 400 });
    expect(o.ok).toBe(true);
    expect(value(o, 'healthmon_process_open_fds')).toBeUndefined();
    expect(value(o, 'healthmon_process_resident_memory_bytes')).toBe(1024 ** 3);
    const limited = await inFixture({ pid: 400, max_open_fds: 100 });
    expect(limited).toMatchObject({ ok: false, reason: 'condition_failed' });
    expect(limited.message).toMatch(/^cannot count the open fds of process 400 \(.*\/400\/fd: ENOTDIR\), needed for max_open_fds; healthmon must run as the process's user, as root or with CAP_SYS_PTRACE$/);
  });

  it('reports up and count only when nothing is found', async () => {
    expect(metrics(await inFixture({ pid: 999 }))).toEqual({ up: 0, matches: 0 });
  });

  it.each([
    ['missing', undefined, { reason: 'not_running', message: /^pid file .*\/missing\.pid does not exist$/ }],
    ['garbage', 'nginx\n', { reason: 'condition_failed', message: /^pid file .*\/garbage\.pid holds "nginx\\n", expected a process id on its first line$/ }],
    ['stale', '999\n', { reason: 'not_running', message: /^process 999 \(from .*\/stale\.pid\) is not running$/ }],
  ])('pid_file: a %s file fails', async (name, text, expected) => {
    const file = join(dir, `${name}.pid`);
    if (text !== undefined) writeFileSync(file, text);
    const o = await inFixture({ pid_file: file });
    expect(o).toMatchObject({ ok: false, reason: expected.reason });
    expect(o.message).toMatch(expected.message);
  });

  it('pid_file: follows the pid in it', async () => {
    const file = join(dir, 'nginx.pid');
    writeFileSync(file, '100\n/var/lib/postgresql/15/main\n1700000050\n'); // postmaster.pid goes on after the pid
    expect(metrics(await inFixture({ pid_file: file }))).toMatchObject({ up: 1, matches: 1, open_fds: 4 });
  });

  it('fails when /proc cannot be listed, and stops scanning at the deadline', async () => {
    const broken = createProcessKind({ procRoot: join(dir, 'no-proc-here') });
    expect(await broken.probe(broken.schema.parse({ name: 'x' }), probeContext())).toMatchObject({ ok: false, reason: 'condition_failed' });
    const ctx = { ...probeContext(), signal: AbortSignal.abort(new DOMException('late', 'TimeoutError')) };
    expect(await inFixture({ name: 'x' }, ctx)).toMatchObject({ ok: false, reason: 'timeout' });
  });
});

describe('process probe on the real /proc', () => {
  const children: ChildProcess[] = [];
  const start = async (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await once(child, 'spawn');
    return child;
  };
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL'); // by its PID: only processes this test started
    await exited;
  };
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stop));
  });

  it('finds a child by pid and by cmdline, and sees it gone once it exits', async () => {
    // A unique argument, so that the pattern matches this child only.
    const marker = `${1000 + Math.floor(Math.random() * 8000)}.${process.pid}`;
    const child = await start('sleep', [marker]);
    const byPid = await onHost({ pid: child.pid });
    expect(byPid).toMatchObject({ ok: true });
    const m = metrics(byPid);
    expect(m).toMatchObject({ up: 1, matches: 1, threads: 1 });
    expect(m.resident_memory_bytes).toBeGreaterThan(100 * 1024);
    expect(m.open_fds).toBeGreaterThanOrEqual(3);
    expect(m.cpu_seconds_total).toBeGreaterThanOrEqual(0);
    // /proc's start time is boot time + ticks; a minute of slack for a clock stepped since boot.
    expect(Math.abs(m.start_time_seconds! - Date.now() / 1000)).toBeLessThan(60);

    const pattern = { cmdline: `^sleep ${marker.replace('.', '\\.')}$` };
    expect(metrics(await onHost(pattern))).toMatchObject({ up: 1, matches: 1 });
    expect(await onHost({ ...pattern, max_count: 0 })).toMatchObject({ ok: false, reason: 'condition_failed' });
    expect(await onHost({ pid: child.pid, max_rss: '1KiB' })).toMatchObject({ ok: false, reason: 'condition_failed', message: expect.stringMatching(/^resident memory \S+, expected at most 1KiB \(max_rss\)$/) });

    await stop(child);
    expect(await onHost({ pid: child.pid })).toMatchObject({ ok: false, reason: 'not_running', message: `process ${child.pid} is not running` });
    expect(await onHost(pattern)).toMatchObject({ ok: false, reason: 'not_running' });
  });

  it('sees a real zombie as not running', async () => {
    // sh starts a short sleep, prints its pid, then becomes a long sleep that never reaps it.
    const parent = await start('/bin/sh', ['-c', 'sleep 0.01 & echo $!; exec sleep 30']);
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const zombie = Number(line.toString().trim());
    let o: ProbeOutcome | undefined;
    for (let i = 0; i < 100; i++) {
      o = await onHost({ pid: zombie });
      if (o.message?.includes('zombie')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(o).toMatchObject({ ok: false, reason: 'not_running', message: `process ${zombie} is a zombie: it has exited and its parent has not reaped it` });
  });
});
