// The process kind: find a process by pid, pid file or name/cmdline pattern in /proc, and report
// whether it runs, its CPU seconds, memory, open fds, threads and start time; fail when it is
// gone or over a threshold.
//
// With a pattern, every matching process counts and the gauges are totals over them (the start
// time is the oldest's), as process-exporter's name groups are; thresholds judge the same totals,
// so what fails a check is what the graph shows. Processes come and go while /proc is read: one
// that vanishes between reads counts as not there, never as an error. Zombies do not count: they
// have exited. CPU percentages are left to rules (`rate(healthmon_process_cpu_seconds_total[5m])`),
// which see a window rather than two samples and survive restarts.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import type { FailureReason } from '../core/failure-reason.js';
import { byteSize, regex } from '../config/fields.js';
import type { ProbeContext, ProbeKind } from './types.js';

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ): 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;
/** /proc entries read at once while scanning: enough to be quick, few enough not to flood libuv's pool. */
const BATCH = 64;

export interface ProcessSettings {
  pid?: number;
  pidFile?: string;
  /** Matched against the process name (/proc/<pid>/comm: at most 15 characters, as ps and pgrep show it). */
  name?: RegExp;
  /** Matched against the command line, arguments joined by spaces (as pgrep -f sees it). */
  cmdline?: RegExp;
  maxRssBytes?: number;
  maxOpenFds?: number;
  minCount: number;
  maxCount?: number;
}

const schema = z
  .strictObject({
    pid: z.int().min(1).optional(),
    pid_file: z.string().min(1).optional(),
    name: regex().optional(),
    cmdline: regex().optional(),
    max_rss: byteSize().optional(),
    max_open_fds: z.int().min(0).optional(),
    min_count: z.int().min(0).optional(),
    max_count: z.int().min(0).optional(),
  })
  .transform((b, ctx): ProcessSettings => {
    if (b.pid === undefined && b.pid_file === undefined && b.name === undefined && b.cmdline === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected one of pid, pid_file, name or cmdline to find the process by' });
    }
    if (b.pid !== undefined && b.pid_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['pid_file'], message: 'pid and pid_file exclude each other; set one' });
    }
    const byPid = b.pid !== undefined || b.pid_file !== undefined;
    for (const key of ['min_count', 'max_count'] as const) {
      if (byPid && b[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} counts the processes matching name or cmdline; with pid or pid_file there is one process` });
      }
    }
    if (b.min_count !== undefined && b.max_count !== undefined && b.max_count < b.min_count) {
      ctx.addIssue({ code: 'custom', path: ['max_count'], message: `max_count (${b.max_count}) is below min_count (${b.min_count})` });
    }
    return {
      pid: b.pid,
      pidFile: b.pid_file,
      name: b.name,
      cmdline: b.cmdline,
      maxRssBytes: b.max_rss,
      maxOpenFds: b.max_open_fds,
      minCount: b.min_count ?? 1,
      maxCount: b.max_count,
    };
  });

/** The fields of /proc/<pid>/stat the kind uses. */
export interface PidStat {
  comm: string;
  /** R, S, D, Z (zombie), X (dead), T, t, I … */
  state: string;
  cpuSeconds: number;
  threads: number;
  /** Clock ticks after boot. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat, whose second field, the name in parentheses, may hold spaces and parentheses. */
export function parsePidStat(text: string): PidStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) return undefined;
  // Fields from the third (state) on; field n of proc(5) is rest[n - 3].
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  const stat = {
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '',
    cpuSeconds: (field(14) + field(15)) / USER_HZ,
    threads: field(20),
    startTicks: field(22),
  };
  return Number.isFinite(stat.cpuSeconds) && Number.isFinite(stat.threads) && Number.isFinite(stat.startTicks) ? stat : undefined;
}

/** VmRSS of /proc/<pid>/status in bytes; 0 when absent (kernel threads, zombies). */
export function parseRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** A process found, with what could be read of it. */
interface Found {
  pid: number;
  stat: PidStat;
  rssBytes: number;
  openFds?: number;
  /** Why the fds could not be counted (the fd directory is readable by the owner and root only). */
  fdsError?: string;
}

/** Why a process is not in the results: it is gone, a zombie, or its stat could not be read. */
type Missing = { gone: true; zombie?: boolean } | { gone: false; error: string };

const isGone = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
};
const errorCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** Reads a process's stat, or says why there is no live process to read. */
async function readCandidate(root: string, pid: number): Promise<{ stat: PidStat } | Missing> {
  let stat: PidStat | undefined;
  try {
    stat = parsePidStat(await fsp.readFile(join(root, String(pid), 'stat'), 'utf8'));
  } catch (err) {
    if (isGone(err)) return { gone: true };
    return { gone: false, error: `cannot read ${join(root, String(pid), 'stat')}: ${errorCode(err)}` };
  }
  if (!stat) return { gone: false, error: `cannot parse ${join(root, String(pid), 'stat')}` };
  if (stat.state === 'Z' || stat.state === 'X') return { gone: true, zombie: true };
  return { stat };
}

/** Whether the process matches name and cmdline; 'gone' when it exited while being read. */
async function matches(root: string, pid: number, stat: PidStat, s: ProcessSettings): Promise<boolean | 'gone'> {
  if (s.name && !s.name.test(stat.comm)) return false;
  if (!s.cmdline) return true;
  try {
    const raw = await fsp.readFile(join(root, String(pid), 'cmdline'), 'utf8');
    return s.cmdline.test(raw.replace(/\0+$/, '').replaceAll('\0', ' '));
  } catch (err) {
    return isGone(err) ? 'gone' : false;
  }
}

/** Adds memory and fds; undefined when the process went away meanwhile. */
async function details(root: string, pid: number, stat: PidStat, signal: AbortSignal): Promise<Found | undefined> {
  let rssBytes: number;
  try {
    rssBytes = parseRss(await fsp.readFile(join(root, String(pid), 'status'), 'utf8'));
  } catch (err) {
    if (isGone(err)) return undefined;
    rssBytes = 0;
  }
  const found: Found = { pid, stat, rssBytes };
  const fdDir = join(root, String(pid), 'fd');
  try {
    // Counted while iterating, never listed: a process may hold a million fds.
    let n = 0;
    const dir = await fsp.opendir(fdDir, { bufferSize: 256 });
    for await (const _ of dir) {
      n++;
      if (signal.aborted) break;
    }
    found.openFds = n;
  } catch (err) {
    if (isGone(err)) {
      // The fd directory of a live process exists; without it, the process has just exited.
      const still = await fsp.access(join(root, String(pid), 'stat')).then(() => true, () => false);
      if (!still) return undefined;
    }
    found.fdsError = `${fdDir}: ${errorCode(err)}`;
  }
  return found;
}

async function bootTimeSeconds(root: string): Promise<number | undefined> {
  try {
    const m = /^btime\s+(\d+)/m.exec(await fsp.readFile(join(root, 'stat'), 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** What was looked for, for messages: `name /^nginx$/ and cmdline /master/`. */
function patternText(s: ProcessSettings): string {
  const parts: string[] = [];
  if (s.name) parts.push(`name /${s.name.source}/`);
  if (s.cmdline) parts.push(`cmdline /${s.cmdline.source}/`);
  return parts.join(' and ');
}

/** 1.5GiB, 300MiB, 512B: for messages. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  // Compared after rounding, so that 1 byte short of 1GiB shows as 1GiB rather than 1024MiB.
  while (Number(v.toFixed(2)) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : Number(v.toFixed(2))}${units[u]}`;
}

type Failure = { reason: FailureReason; message: string };

/** Finds the processes the settings name: a list of matches, or why there is none to look at. */
async function find(root: string, s: ProcessSettings, ctx: ProbeContext): Promise<{ found: Found[] } | Failure> {
  if (s.pid !== undefined || s.pidFile !== undefined) {
    let pid = s.pid;
    let from = '';
    if (s.pidFile !== undefined) {
      let text: string;
      try {
        text = await fsp.readFile(s.pidFile, 'utf8');
      } catch (err) {
        if (isGone(err)) return { reason: 'not_running', message: `pid file ${s.pidFile} does not exist` };
        return { reason: 'condition_failed', message: `cannot read pid file ${s.pidFile}: ${errorCode(err)}` };
      }
      // The first line: PostgreSQL's postmaster.pid, for one, goes on with more.
      const m = /^\s*(\d+)\s*$/.exec(text.slice(0, 100).split('\n')[0]!);
      if (!m || Number(m[1]) < 1) return { reason: 'condition_failed', message: `pid file ${s.pidFile} holds ${JSON.stringify(text.slice(0, 40))}, expected a process id on its first line` };
      pid = Number(m[1]);
      from = ` (from ${s.pidFile})`;
    }
    const c = await readCandidate(root, pid!);
    if ('gone' in c) {
      if (!c.gone) return { reason: 'condition_failed', message: c.error };
      if (c.zombie) return { reason: 'not_running', message: `process ${pid}${from} is a zombie: it has exited and its parent has not reaped it` };
      return { reason: 'not_running', message: `process ${pid}${from} is not running` };
    }
    const match = await matches(root, pid!, c.stat, s);
    if (match === 'gone') return { reason: 'not_running', message: `process ${pid}${from} is not running` };
    // The pid was reused by another program: the one looked for is not running.
    if (!match) return { reason: 'not_running', message: `process ${pid}${from} is ${JSON.stringify(c.stat.comm)}, which does not match ${patternText(s)}` };
    const d = await details(root, pid!, c.stat, ctx.signal);
    if (!d) return { reason: 'not_running', message: `process ${pid}${from} is not running` };
    return { found: [d] };
  }

  let names: string[];
  try {
    names = await fsp.readdir(root);
  } catch (err) {
    return { reason: 'condition_failed', message: `cannot list ${root}: ${errorCode(err)}` };
  }
  const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
  const found: Found[] = [];
  for (let i = 0; i < pids.length; i += BATCH) {
    if (ctx.signal.aborted) return { reason: 'timeout', message: `${root} not scanned within ${ctx.timeoutMs}ms` };
    const batch = await Promise.all(
      pids.slice(i, i + BATCH).map(async (pid) => {
        const c = await readCandidate(root, pid);
        if ('gone' in c) return undefined; // gone, a zombie, or unreadable (hidepid): not a match
        if ((await matches(root, pid, c.stat, s)) !== true) return undefined;
        return details(root, pid, c.stat, ctx.signal);
      }),
    );
    for (const f of batch) if (f) found.push(f);
  }
  if (ctx.signal.aborted) return { reason: 'timeout', message: `${root} not scanned within ${ctx.timeoutMs}ms` };
  return { found };
}

async function probeProcess(root: string, s: ProcessSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = performance.now();
  const [result, btime] = await Promise.all([find(root, s, ctx), bootTimeSeconds(root)]);
  const phases = { scan: performance.now() - t0 };
  const byPattern = s.pid === undefined && s.pidFile === undefined;
  const found = 'found' in result ? result.found : [];
  const observations: Observation[] = [
    { metric: 'healthmon_process_up', value: found.length > 0 ? 1 : 0 },
    { metric: 'healthmon_process_matches', value: found.length },
  ];
  if (found.length > 0) {
    const sum = (f: (p: Found) => number) => found.reduce((n, p) => n + f(p), 0);
    observations.push(
      { metric: 'healthmon_process_cpu_seconds_total', value: sum((p) => p.stat.cpuSeconds) },
      { metric: 'healthmon_process_resident_memory_bytes', value: sum((p) => p.rssBytes) },
      { metric: 'healthmon_process_threads', value: sum((p) => p.stat.threads) },
    );
    // A partial count would read as fewer fds than there are.
    if (found.every((p) => p.openFds !== undefined)) observations.push({ metric: 'healthmon_process_open_fds', value: sum((p) => p.openFds!) });
    if (btime !== undefined) {
      const oldest = Math.min(...found.map((p) => p.stat.startTicks));
      observations.push({ metric: 'healthmon_process_start_time_seconds', value: btime + oldest / USER_HZ });
    }
  }
  if (!('found' in result)) return { ok: false, reason: result.reason, message: result.message, phases, observations };

  const failures: Failure[] = [];
  const count = found.length;
  if (byPattern) {
    const plural = (n: number) => `${n} process${n === 1 ? '' : 'es'} match${n === 1 ? 'es' : ''}`;
    if (count === 0 && s.minCount > 0) failures.push({ reason: 'not_running', message: `no process matches ${patternText(s)}` });
    else if (count < s.minCount) failures.push({ reason: 'condition_failed', message: `${plural(count)} ${patternText(s)}, expected at least ${s.minCount} (min_count)` });
    if (s.maxCount !== undefined && count > s.maxCount) {
      const pids = found.slice(0, 5).map((p) => p.pid).join(', ') + (count > 5 ? ', …' : '');
      failures.push({ reason: 'condition_failed', message: `${plural(count)} ${patternText(s)} (pid ${pids}), expected ${s.maxCount === 0 ? 'none' : `at most ${s.maxCount}`} (max_count)` });
    }
  }
  if (count > 0 && s.maxRssBytes !== undefined) {
    const rss = found.reduce((n, p) => n + p.rssBytes, 0);
    if (rss > s.maxRssBytes) {
      let [got, limit] = [formatBytes(rss), formatBytes(s.maxRssBytes)];
      if (got === limit) [got, limit] = [`${rss} bytes`, `${s.maxRssBytes} bytes`];
      failures.push({ reason: 'condition_failed', message: `resident memory ${got}, expected at most ${limit} (max_rss)` });
    }
  }
  if (count > 0 && s.maxOpenFds !== undefined) {
    const unreadable = found.find((p) => p.fdsError !== undefined);
    if (unreadable) {
      failures.push({
        reason: 'condition_failed',
        message: `cannot count the open fds of process ${unreadable.pid} (${unreadable.fdsError}), needed for max_open_fds; healthmon must run as the process's user, as root or with CAP_SYS_PTRACE`,
      });
    } else {
      const fds = found.reduce((n, p) => n + p.openFds!, 0);
      if (fds > s.maxOpenFds) failures.push({ reason: 'condition_failed', message: `${fds} open fds, expected at most ${s.maxOpenFds} (max_open_fds)` });
    }
  }
  if (failures.length > 0) return { ok: false, reason: failures[0]!.reason, message: failures.map((f) => f.message).join('; '), phases, observations };
  return { ok: true, phases, observations };
}

function processTarget(s: ProcessSettings): string {
  const parts: string[] = [];
  if (s.pid !== undefined) parts.push(`pid ${s.pid}`);
  if (s.pidFile !== undefined) parts.push(`pid_file ${s.pidFile}`);
  if (s.name || s.cmdline) parts.push(patternText(s));
  return parts.join(', ');
}

export interface ProcessKindDeps {
  /** Where procfs is mounted; a fixture directory in tests. Default `/proc`. */
  procRoot?: string;
}

export function createProcessKind(deps: ProcessKindDeps = {}): ProbeKind<ProcessSettings> {
  const root = deps.procRoot ?? '/proc';
  return {
    kind: 'process',
    schema,
    probe: (s, ctx) => probeProcess(root, s, ctx),
    target: processTarget,
    metrics: [
      { name: 'healthmon_process_up', help: 'Whether the process (or at least one process matching the pattern) is running.' },
      { name: 'healthmon_process_matches', help: 'How many processes match the pattern (0 or 1 for pid and pid_file); zombies do not count.' },
      { name: 'healthmon_process_cpu_seconds_total', help: 'User and system CPU seconds the process(es) have used since they started.', type: 'counter' },
      { name: 'healthmon_process_resident_memory_bytes', help: 'Resident memory of the process(es) in bytes (VmRSS).' },
      { name: 'healthmon_process_open_fds', help: 'Open file descriptors of the process(es); absent when /proc/<pid>/fd is not readable.' },
      { name: 'healthmon_process_threads', help: 'Threads of the process(es).' },
      { name: 'healthmon_process_start_time_seconds', help: 'When the (oldest matching) process started, in unix seconds.' },
    ],
  };
}

export const processKind = createProcessKind();
