import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { probeContext } from '../../test/helpers/probe-peers.js';
import { DEFAULT_PATH, execKind, MAX_PERFDATA, parseNagiosOutput, parsePerfdata } from './exec.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'healthmon-exec-'));
  // A Nagios plugin that exits with its first argument and prints the rest.
  writeFileSync(join(dir, 'check_fake'), '#!/bin/sh\ncode=$1; shift; printf "%s\\n" "$@"; exit "$code"\n', { mode: 0o755 });
  writeFileSync(join(dir, 'not-executable'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (block: Record<string, unknown>) => execKind.schema.parse(block);
const probe = (block: Record<string, unknown>, timeoutMs = 5000): Promise<ProbeOutcome> => execKind.probe(parse(block), probeContext(timeoutMs));
const observed = (o: ProbeOutcome, metric: string) => o.observations.filter((x) => x.metric === metric);
const fake = (code: number, ...lines: string[]) => ({ command: [join(dir, 'check_fake'), String(code), ...lines], nagios: true });

describe('exec schema', () => {
  it('fills defaults: no shell, a minimal environment, 64 KiB of output', () => {
    expect(parse({ command: ['/bin/true', '-x'] })).toEqual({
      argv: ['/bin/true', '-x'],
      shell: false,
      env: { PATH: DEFAULT_PATH },
      nagios: false,
      maxOutputBytes: 65536,
    });
    expect(parse({ command: ['true'], env: { PATH: '/opt/bin', LC_ALL: 'C' }, max_output: '1KiB' })).toMatchObject({ env: { PATH: '/opt/bin', LC_ALL: 'C' }, maxOutputBytes: 1024 });
    expect(parse({ command: 'df -h | grep /', shell: true }).argv).toEqual(['/bin/sh', '-c', 'df -h | grep /']);
  });

  it.each([
    [{ command: ['check_mysql', '-p', 'secret'] }, 'check_mysql'],
    [{ command: 'check_load -w 5', shell: true }, '/bin/sh -c check_load …'],
    [{ command: 'TOKEN=abc curl x', shell: true }, '/bin/sh -c …'],
  ])('shows %j as target %s, never the arguments', (block, target) => {
    expect(execKind.target(parse(block))).toBe(target);
  });

  it.each([
    [{}, 'command'],
    [{ command: [] }, 'command'],
    [{ command: [''] }, 'command.0'],
    [{ command: ['check', true] }, 'command.1'],
    [{ command: ['x'], shell: true }, 'command'],
    [{ command: '  ', shell: true }, 'command'],
    [{ command: ['/'] }, 'command.0'],
    [{ command: ['x'], env: { '1X': 'y' } }, 'env.1X'],
    [{ command: ['x'], env: { X: 1 } }, 'env.X'],
    [{ command: ['x'], cwd: '/etc/passwd' }, 'cwd'],
    [{ command: ['x'], max_output: 0 }, 'max_output'],
    [{ command: ['x'], timeout: '5s' }, ''],
  ])('rejects %j at %s', (block, path) => {
    const result = execKind.schema.safeParse(block);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('Nagios output', () => {
  it('splits the status text from the perfdata, on the first line and after the long text', () => {
    const out = parseNagiosOutput('DISK OK - free space: / 3326 MB | /=2643MB;5948;5958;0;5968\nlong text\nmore text | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414\n');
    expect(out.text).toBe('DISK OK - free space: / 3326 MB');
    expect(out.perfdata.map((p) => p.label)).toEqual(['/', '/boot', '/home']);
    expect(out.perfdata[1]).toEqual({ label: '/boot', value: 68 * 1024 ** 2, unit: 'bytes' });
    expect(parseNagiosOutput('OK\r\n')).toEqual({ text: 'OK', perfdata: [] });
    expect(parseNagiosOutput('')).toEqual({ text: '', perfdata: [] });
  });

  it.each([
    ['time=0.5s', 0.5, 'seconds'],
    ['time=250ms', 0.25, 'seconds'],
    ['time=125us', 0.000125, 'seconds'],
    ['load=1.5', 1.5, ''],
    ['used=80%;90;95', 0.8, 'ratio'],
    ['mem=2KB', 2048, 'bytes'],
    ['mem=2kb', 2048, 'bytes'],
    ['mem=1.5GiB', 1.5 * 1024 ** 3, 'bytes'],
    ['mem=3TB', 3 * 1024 ** 4, 'bytes'],
    ['mem=10B', 10, 'bytes'],
    ['packets=12345c', 12345, 'counter'],
    ['temp=-4.5e1', -45, ''],
    ['speed=3000rpm;;;0', 3000, 'rpm'],
  ])('%s is %d %s', (item, value, unit) => {
    const [p] = parsePerfdata(item);
    expect(p!.unit).toBe(unit);
    expect(p!.value).toBeCloseTo(value, 9);
  });

  it('reads quoted labels and skips what does not parse', () => {
    expect(parsePerfdata("'disk /home'=5B 'it''s'=1 broken = 'unterminated=3")).toEqual([
      { label: 'disk /home', value: 5, unit: 'bytes' },
      { label: "it's", value: 1, unit: '' },
    ]);
    expect(parsePerfdata('a=U b=x c=1;2;3 d= =4 e')).toEqual([{ label: 'c', value: 1, unit: '' }]);
    expect(parsePerfdata('a=1 a=2')).toEqual([{ label: 'a', value: 1, unit: '' }]);
  });

  it(`keeps at most ${MAX_PERFDATA} values and short labels`, () => {
    const many = Array.from({ length: 500 }, (_, i) => `v${i}=${i}`).join(' ');
    expect(parsePerfdata(many)).toHaveLength(MAX_PERFDATA);
    expect(parsePerfdata(`${'x'.repeat(1000)}=1`)[0]!.label).toHaveLength(128);
  });
});

describe('exec probe', () => {
  it('is healthy on exit 0 and reports the exit code and duration', async () => {
    const o = await probe({ command: ['/bin/echo', 'all good'] });
    expect(o).toMatchObject({ ok: true, message: 'all good' });
    expect(observed(o, 'probe_exec_exit_code')).toEqual([{ metric: 'probe_exec_exit_code', value: 0 }]);
    expect(observed(o, 'probe_exec_duration_seconds')[0]!.value).toBeGreaterThan(0);
    expect(o.phases.run).toBeGreaterThan(0);
  });

  it('fails status_mismatch on another exit status, quoting the output (stderr when stdout is empty)', async () => {
    const o = await probe({ command: 'echo "queue too deep: 812" >&2; exit 3', shell: true });
    expect(o).toMatchObject({ ok: false, reason: 'status_mismatch', message: 'exit status 3, expected 0: queue too deep: 812' });
    expect(observed(o, 'probe_exec_exit_code')[0]!.value).toBe(3);
    // Without nagios: true, a 1 is a failure, and perfdata is text like any other.
    const plain = await probe({ command: [join(dir, 'check_fake'), '1', 'WARNING | x=1'] });
    expect(plain).toMatchObject({ ok: false, reason: 'status_mismatch', message: 'exit status 1, expected 0: WARNING | x=1' });
    expect(observed(plain, 'probe_exec_perfdata')).toEqual([]);
  });

  it.each([
    [0, ['DISK OK - 40% used | /=40%'], { ok: true, message: 'DISK OK - 40% used' }],
    [1, ['DISK WARNING - 85% used | /=85%'], { ok: true, warning: 'DISK WARNING - 85% used', message: 'DISK WARNING - 85% used' }],
    [1, ['85% used'], { ok: true, warning: 'WARNING: 85% used' }],
    [2, ['DISK CRITICAL - 99% used | /=99%'], { ok: false, reason: 'condition_failed', message: 'DISK CRITICAL - 99% used' }],
    [2, [], { ok: false, reason: 'condition_failed', message: 'CRITICAL (exit status 2), no output' }],
    [3, ['invalid threshold -w x'], { ok: false, reason: 'exec_error', message: 'UNKNOWN: invalid threshold -w x' }],
    [4, ['what'], { ok: false, reason: 'exec_error', message: 'exit status 4, outside the Nagios plugin range 0-3: what' }],
  ])('nagios: exit %d with %j is %j', async (code, lines, expected) => {
    const o = await probe(fake(code, ...lines));
    expect(o).toMatchObject(expected);
    if (!('warning' in expected)) expect(o.warning).toBeUndefined();
  });

  it('nagios: exports perfdata in base units', async () => {
    const o = await probe(fake(0, "PING OK | rta=0.25ms;100;500;0 pl=0%;20;60;0 'rx bytes'=2KB", 'details', 'more | size=1MB'));
    expect(observed(o, 'probe_exec_perfdata')).toEqual([
      { metric: 'probe_exec_perfdata', value: 0.00025, labels: { label: 'rta', unit: 'seconds' } },
      { metric: 'probe_exec_perfdata', value: 0, labels: { label: 'pl', unit: 'ratio' } },
      { metric: 'probe_exec_perfdata', value: 2048, labels: { label: 'rx bytes', unit: 'bytes' } },
      { metric: 'probe_exec_perfdata', value: 1024 ** 2, labels: { label: 'size', unit: 'bytes' } },
    ]);
    expect(o.message).toBe('PING OK');
  });

  it('gives the command PATH and env only, nothing of healthmon’s environment', async () => {
    // env prints a variable a line and the message is the first line: sort|tr makes it one.
    const all = await probe({ command: '/usr/bin/env | sort | tr "\\n" " "', shell: true, env: { GREETING: 'hello world' } });
    const vars = all.message!.split(' ').filter((v) => /^[A-Z_]+=/.test(v)).map((v) => v.split('=')[0]);
    expect(all.message).toContain(`PATH=${DEFAULT_PATH}`);
    expect(all.message).toContain('GREETING=hello world');
    // /bin/sh adds PWD (and may add SHLVL, _ or OLDPWD) of its own.
    expect(vars.filter((v) => !['PWD', 'OLDPWD', 'SHLVL', '_'].includes(v!)).sort()).toEqual(['GREETING', 'PATH']);
  });

  it('runs in cwd', async () => {
    expect(await probe({ command: ['/bin/pwd'], cwd: dir })).toMatchObject({ ok: true, message: dir });
    expect(await probe({ command: ['./check_fake', '0', 'relative to cwd'], cwd: dir })).toMatchObject({ ok: true, message: 'relative to cwd' });
  });

  it.each([
    ['a program not in PATH', { command: ['healthmon-no-such-program'] }, `cannot run healthmon-no-such-program: not found in PATH (${DEFAULT_PATH})`],
    ['a missing relative path', { command: ['./no-such-script'], cwd: '/' }, 'cannot run ./no-such-script: no such file'],
    ['a file that is not executable', { command: ['./not-executable'], cwd: 'TMP' }, 'cannot run ./not-executable: permission denied (not executable?)'],
    ['a missing working directory', { command: ['/bin/true'], cwd: 'no-such-dir-here' }, 'cannot run /bin/true: the working directory no-such-dir-here does not exist'],
    ['a shell that cannot find the command', { command: 'healthmon-no-such-program --flag', shell: true }, /^exit status 127 from \/bin\/sh \(command not found\): .*healthmon-no-such-program.*not found/],
    ['a command killed by a signal', { command: 'kill -KILL $$', shell: true }, 'the command was killed by SIGKILL'],
  ])('fails exec_error for %s', async (_what, block: Record<string, unknown>, message) => {
    const o = await probe({ ...block, ...(block.cwd === 'TMP' ? { cwd: dir } : {}) });
    expect(o).toMatchObject({ ok: false, reason: 'exec_error' });
    expect(o.message).toMatch(message);
  });

  it('reports 128 + the signal number as the exit code of a killed command', async () => {
    const o = await probe({ command: 'kill -TERM $$', shell: true });
    expect(observed(o, 'probe_exec_exit_code')[0]!.value).toBe(128 + 15);
  });

  it('fails timeout at the deadline, with what the command said so far', async () => {
    const started = performance.now();
    const o = await probe({ command: 'echo waiting for the lock; exec sleep 10', shell: true }, 300);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(o).toMatchObject({ ok: false, reason: 'timeout', message: 'the command did not exit within 300ms and was killed with its process group; it said: waiting for the lock' });
    expect(observed(o, 'probe_exec_exit_code')[0]!.value).toBe(-1);
  });

  it('does not start a command when the deadline has already passed', async () => {
    const marker = join(dir, 'started');
    const ctx = { ...probeContext(1000), signal: AbortSignal.abort(new DOMException('late', 'TimeoutError')) };
    const o = await execKind.probe(parse({ command: ['/usr/bin/touch', marker] }), ctx);
    expect(o).toMatchObject({ ok: false, reason: 'timeout' });
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps messages to one printable line', async () => {
    const o = await probe({ command: 'printf "\\033[31mred\\033[0m\\tand\\001 more\\n"; head -c 2000 /dev/zero | tr "\\0" x', shell: true });
    expect(o.message).toBe('[31mred[0m and more');
    const long = await probe({ command: 'head -c 2000 /dev/zero | tr "\\0" x', shell: true });
    expect(long.message).toHaveLength(300);
  });
});
