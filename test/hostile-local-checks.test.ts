// Local checks that misbehave on purpose (commands, processes, plug-ins): each must end as a
// result with a reason from the closed list, by its deadline at the latest, and leave no process
// or listener behind. Only processes these tests start are ever signalled, by their PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { getEventListeners, once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/logger.js';
import { execKind } from '../src/probes/exec.js';
import { pluginKind } from '../src/probes/plugin.js';
import { processKind } from '../src/probes/process.js';
import type { ProbeContext, ProbeFn } from '../src/probes/types.js';
import { runCheck } from '../src/scheduler/run-check.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { probeContext } from './helpers/probe-peers.js';
import { spec } from './helpers/specs.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'healthmon-hostile-local-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exec = (block: Record<string, unknown>, ctx: ProbeContext) => execKind.probe(execKind.schema.parse(block), ctx);

/** Whether a process is still alive: present in /proc and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Waits, boundedly, until none of `pids` is alive; the kernel needs a moment to tear one down. */
async function gone(pids: number[]): Promise<boolean> {
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
  return !pids.some(alive);
}

/** The pids a command printed, one a line. */
const pidsIn = (text: string | undefined) => (text ?? '').split(/\D+/).filter(Boolean).map(Number);

describe('hostile commands (exec)', () => {
  it('a command that prints 10 MB: read to the end, only max_output kept, healthy', async () => {
    const started = performance.now();
    const o = await exec({ command: 'head -c 10000000 /dev/zero | tr "\\0" y; echo; echo done', shell: true, max_output: '16KiB' }, probeContext(10_000));
    expect(o).toMatchObject({ ok: true });
    expect(o.message).toHaveLength(300); // the first line, shortened
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a command that prints 10 MB and never exits: killed at the deadline', async () => {
    const o = await exec({ command: 'echo $$; while :; do head -c 1000000 /dev/zero; done', shell: true }, probeContext(500));
    expect(o).toMatchObject({ ok: false, reason: 'timeout' });
    expect(await gone(pidsIn(o.message?.split('it said: ')[1]))).toBe(true);
  });

  it('a command that hangs and ignores SIGTERM: its whole group is killed at the deadline', async () => {
    const started = performance.now();
    const o = await exec({ command: 'trap "" TERM; sleep 30 & echo $$ $!; wait', shell: true }, probeContext(300));
    expect(performance.now() - started).toBeLessThan(2300);
    expect(o).toMatchObject({ ok: false, reason: 'timeout' });
    const pids = pidsIn(o.message?.split('it said: ')[1]);
    expect(pids).toHaveLength(2);
    expect(await gone(pids)).toBe(true);
  });

  it('a command that leaves a grandchild holding its output pipe: done when it exits, the grandchild killed', async () => {
    const started = performance.now();
    const o = await exec({ command: 'sleep 30 & echo $!; exit 0', shell: true }, probeContext(5000));
    expect(performance.now() - started).toBeLessThan(2000); // not the 5 s deadline
    expect(o.ok).toBe(true);
    expect(await gone(pidsIn(o.message))).toBe(true);
  });

  it('a grandchild that escapes into its own session with the pipe: given up at the deadline, the exit status kept', async () => {
    const pidFile = join(dir, 'escaped.pid');
    let escaped: number[] = [];
    try {
      const started = performance.now();
      const o = await exec({ command: `setsid /bin/sh -c 'echo $$ > ${pidFile}; exec sleep 30' & sleep 0.1; echo parent done`, shell: true }, probeContext(600));
      expect(performance.now() - started).toBeLessThan(2600);
      expect(o).toMatchObject({ ok: true, message: 'parent done' });
      expect(o.observations.find((x) => x.metric === 'probe_exec_exit_code')?.value).toBe(0);
    } finally {
      // The one process healthmon cannot reach (documented); this test started it, so it ends it.
      for (let i = 0; i < 50 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
      escaped = pidsIn(existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : '');
      for (const pid of escaped) process.kill(pid, 'SIGKILL');
    }
    expect(escaped).toHaveLength(1);
    expect(await gone(escaped)).toBe(true);
  });

  it('leaves no abort listener behind after many runs, finished and killed', async () => {
    const shared = new AbortController();
    const ctx: ProbeContext = { ...probeContext(5000), signal: shared.signal };
    for (let round = 0; round < 5; round++) {
      const outcomes = await Promise.all([
        exec({ command: ['/bin/true'] }, ctx),
        exec({ command: ['/bin/false'] }, ctx),
        exec({ command: ['healthmon-no-such-program'] }, ctx),
        exec({ command: 'sleep 10', shell: true }, probeContext(30)),
      ]);
      expect(outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'status_mismatch', 'exec_error', 'timeout']);
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });
});

describe('hostile processes (process)', () => {
  it('processes that exit while /proc is being read: never an error, only counted or not', async () => {
    // Short-lived children with a unique argument, started and ending all the time.
    const marker = `0.0${process.pid}`;
    const children = new Set<ChildProcess>();
    let churning = true;
    const churn = async () => {
      while (churning) {
        const batch = Array.from({ length: 8 }, () => spawn('sleep', [marker], { stdio: 'ignore' }));
        for (const c of batch) children.add(c);
        await Promise.all(batch.map((c) => once(c, 'exit').then(() => children.delete(c))));
      }
    };
    const churner = churn();
    try {
      const reasons = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const o = await processKind.probe(processKind.schema.parse({ cmdline: `^sleep ${marker.replace('.', '\\.')}$`, max_rss: '1GiB', max_open_fds: 1000 }), probeContext(5000));
        reasons.add(o.reason ?? 'ok');
        const count = o.observations.find((x) => x.metric === 'healthmon_process_matches')!.value;
        expect(count).toBeGreaterThanOrEqual(0);
        expect(count).toBeLessThanOrEqual(8);
      }
      for (const r of reasons) expect(['ok', 'not_running']).toContain(r);
    } finally {
      churning = false;
      await churner;
      for (const c of children) c.kill('SIGKILL');
    }
  });
});

describe('hostile plug-ins (plugin)', () => {
  const prepare = async (source: string) => {
    const file = join(dir, `plugin-${Math.random().toString(36).slice(2)}.js`);
    writeFileSync(file, source);
    const p = await pluginKind.prepare!(pluginKind.schema.parse({ module: file }), { baseDir: dir });
    if (!p.ok) throw new Error(JSON.stringify(p.issues));
    return p.settings;
  };

  it('a plug-in that never resolves and ignores its signal: the check ends at the deadline, on the injected clock', async () => {
    const settings = await prepare('export default () => new Promise(() => {});\n');
    const clock = createFakeClock(0);
    const pending = runCheck(spec('stuck', { kind: 'plugin', timeoutMs: 2_000, settings }), pluginKind.probe as ProbeFn<unknown>, { clock, logger: silentLogger() });
    await clock.advance(2_000);
    expect(await pending).toMatchObject({ ok: false, reason: 'timeout', message: `plug-in ${settings.module} did not finish within 2000ms`, attempts: 1 });
  });

  it.each([
    ['throws', 'export default () => { throw new Error("boom"); };\n', 'internal_error', /threw Error: boom$/],
    ['rejects with nothing', 'export default () => Promise.reject();\n', 'internal_error', /threw undefined$/],
    ['returns garbage', 'export default async () => "OK";\n', 'internal_error', /returned "OK", expected an object like \{ok: true\}$/],
    ['returns a cyclic object', 'export default async () => { const o = { ok: true }; o.self = o; o.message = o; return o; };\n', 'internal_error', /returned message: an object, expected a string$/],
    ['returns a huge message', 'export default async () => ({ ok: false, message: "x".repeat(10_000_000) });\n', 'condition_failed', /^x{999}…$/],
  ])('a plug-in that %s: a failed check, never a crash', async (_what, source, reason, message) => {
    const o = await pluginKind.probe(await prepare(source), probeContext(2000));
    expect(o).toMatchObject({ ok: false, reason });
    expect(o.message).toMatch(message);
  });
});
