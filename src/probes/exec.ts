// The exec kind: run a local command (an argv, or a string through /bin/sh -c) under the check's
// deadline; healthy on exit 0, or judged by the Nagios plugin convention with perfdata as gauges.
//
// The command runs through ./run-command.ts: in a process group of its own that is killed at the
// deadline and once the command exits, with at most max_output bytes of stdout and stderr kept.
//
// The environment is a minimal one: PATH (DEFAULT_PATH unless `env` sets it) and `env`, nothing
// inherited from healthmon's own environment, so that healthmon's secrets do not leak into
// every command and a check behaves the same under systemd as in a shell. `${VAR}` in `env`
// values passes a variable on explicitly.
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import type { FailureReason } from '../core/failure-reason.js';
import { byteSize, shown } from '../config/fields.js';
import { clip, DEFAULT_PATH, firstLine, MESSAGE_CHARS, printable, runCommand, type Run } from './run-command.js';
import type { ProbeContext, ProbeKind } from './types.js';

export { DEFAULT_PATH };
const SHELL = '/bin/sh';
const DEFAULT_MAX_OUTPUT = 64 * 1024;
/** Perfdata values exported per run, and characters of a perfdata label: bounded label sets. */
export const MAX_PERFDATA = 64;
const MAX_PERFDATA_LABEL = 128;

export interface ExecSettings {
  /** The program and its arguments; with `shell`, `/bin/sh -c <script>`. */
  argv: [string, ...string[]];
  shell: boolean;
  /** The child's whole environment. */
  env: Record<string, string>;
  cwd?: string;
  nagios: boolean;
  maxOutputBytes: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const schema = z
  .strictObject({
    command: z.unknown(),
    shell: z.boolean().default(false),
    env: z
      .record(
        z.string().regex(ENV_NAME, { message: 'environment variable names must match [A-Za-z_][A-Za-z0-9_]*' }),
        z.string({ error: (iss) => `expected a string value, got ${shown(iss.input)} (quote it)` }),
      )
      .optional(),
    cwd: z.string().min(1).optional(),
    nagios: z.boolean().default(false),
    max_output: byteSize()
      .refine((n) => n >= 1 && n <= 64 * 1024 * 1024, { message: 'expected a size from 1 byte to 64MiB' })
      .optional(),
  })
  .transform((b, ctx): ExecSettings => {
    const argv = commandArgv(b.command, b.shell, ctx);
    if (b.cwd !== undefined && isAbsolute(b.cwd)) {
      const why = problemWith(b.cwd, 'directory');
      if (why) ctx.addIssue({ code: 'custom', path: ['cwd'], input: b.cwd, message: why });
    }
    return {
      argv: argv ?? [SHELL],
      shell: b.shell,
      env: { PATH: DEFAULT_PATH, ...b.env },
      cwd: b.cwd,
      nagios: b.nagios,
      maxOutputBytes: b.max_output ?? DEFAULT_MAX_OUTPUT,
    };
  });

/** Checks `command` against `shell` and, for an absolute program path, that it can be run. */
function commandArgv(command: unknown, shell: boolean, ctx: z.RefinementCtx<unknown>): [string, ...string[]] | undefined {
  const issue = (message: string, path: Array<string | number> = ['command']) => {
    ctx.addIssue({ code: 'custom', path, input: command, message });
    return undefined;
  };
  if (command === undefined) return issue(shell ? 'required: expected a shell command line' : 'required: expected a list like [/usr/bin/check_thing, --flag]');
  if (shell) {
    if (typeof command !== 'string' || command.trim() === '') return issue(`with shell: true, expected a command line for ${SHELL} -c, got ${shown(command)}`);
    return [SHELL, '-c', command];
  }
  if (typeof command === 'string') {
    return issue(`expected a list like [/usr/bin/check_thing, --flag], got a string (set shell: true to run it through ${SHELL} -c)`);
  }
  if (!Array.isArray(command) || command.length === 0) return issue(`expected a non-empty list: the program, then its arguments, got ${shown(command)}`);
  let ok = true;
  command.forEach((arg, i) => {
    if (typeof arg !== 'string') {
      // YAML reads `80` or `yes` as a number or a boolean; turning them back into text could
      // change them (`1.50` → "1.5"), so they must be quoted.
      ok = false;
      issue(`expected a string, got ${shown(arg)} (quote it)`, ['command', i]);
    }
  });
  if (!ok) return undefined;
  const program = command[0] as string;
  if (program === '') return issue('expected a program, got ""', ['command', 0]);
  if (isAbsolute(program)) {
    const why = problemWith(program, 'program');
    if (why) return issue(why, ['command', 0]);
  }
  return command as [string, ...string[]];
}

/** Why `path` cannot serve as a program or a working directory, or undefined if it can. */
function problemWith(path: string, as: 'program' | 'directory'): string | undefined {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no such ${as === 'program' ? 'file' : 'directory'}: ${path}` : `cannot use ${path}: ${code ?? (err as Error).message}`;
  }
  if (as === 'directory') return isDir ? undefined : `not a directory: ${path}`;
  if (isDir) return `${path} is a directory, expected a program`;
  try {
    accessSync(path, fsConstants.X_OK);
  } catch {
    return `${path} is not executable`;
  }
  return undefined;
}

const NAGIOS_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

async function probeExec(s: ExecSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const run = await runCommand(s, ctx.signal);
  const phases = { run: run.durationMs };
  const observations: Observation[] = [
    { metric: 'probe_exec_duration_seconds', value: run.durationMs / 1000 },
    { metric: 'probe_exec_exit_code', value: exitCodeValue(run) },
  ];
  const fail = (reason: FailureReason, message: string): ProbeOutcome => ({ ok: false, reason, message, phases, observations });
  if (run.spawnError !== undefined) return fail('exec_error', run.spawnError);

  const stdout = run.stdout.text();
  const nagios = s.nagios ? parseNagiosOutput(stdout) : undefined;
  if (nagios) for (const p of nagios.perfdata) observations.push({ metric: 'probe_exec_perfdata', value: p.value, labels: { label: p.label, unit: p.unit } });
  // What the command said: the Nagios status text, else the first line of stdout, else of stderr.
  const said = (nagios ? clip(printable(nagios.text), MESSAGE_CHARS) : firstLine(stdout)) || firstLine(run.stderr.text());
  const saying = said === '' ? '' : `: ${said}`;

  if (run.timedOut) {
    return fail('timeout', `the command did not exit within ${ctx.timeoutMs}ms and was killed with its process group${said === '' ? '' : `; it said: ${said}`}`);
  }
  const { code, signal } = run.exit!;
  if (code === null) return fail('exec_error', `the command was killed by ${signal ?? 'a signal'}${saying}`);
  // /bin/sh's own codes for a command it could not find or run.
  if (s.shell && (code === 127 || code === 126)) return fail('exec_error', `exit status ${code} from ${SHELL} (${code === 127 ? 'command not found' : 'not executable'})${saying}`);

  if (!s.nagios) {
    if (code === 0) return { ok: true, ...(said === '' ? {} : { message: said }), phases, observations };
    return fail('status_mismatch', `exit status ${code}, expected 0${saying}`);
  }
  const state = NAGIOS_STATES[code];
  if (state === undefined) return fail('exec_error', `exit status ${code}, outside the Nagios plugin range 0-3${saying}`);
  // Plugins usually name their state ("DISK CRITICAL - …"); when one does not, the message does.
  const message = said === '' ? `${state} (exit status ${code}), no output` : new RegExp(`\\b${state}\\b`).test(said) ? said : `${state}: ${said}`;
  switch (state) {
    case 'OK':
      return { ok: true, ...(said === '' ? {} : { message: said }), phases, observations };
    case 'WARNING':
      return { ok: true, warning: message, message, phases, observations };
    case 'CRITICAL':
      return fail('condition_failed', message);
    case 'UNKNOWN':
      return fail('exec_error', message);
  }
}

/** The exit status as probe_exec_exit_code shows it: 128 + the signal number when killed, -1 when it never exited. */
function exitCodeValue(run: Run): number {
  if (!run.exit || run.timedOut) return -1;
  if (run.exit.code !== null) return run.exit.code;
  const n = run.exit.signal ? osConstants.signals[run.exit.signal] : undefined;
  return n === undefined ? -1 : 128 + n;
}

export interface NagiosOutput {
  /** The status text: the first line, before any `|`. */
  text: string;
  perfdata: PerfValue[];
}

/**
 * Splits plugin output as Nagios does: `TEXT | PERFDATA` on the first line, then long text, and
 * from the first later line with a `|` on, everything after it is perfdata too.
 */
export function parseNagiosOutput(output: string): NagiosOutput {
  const lines = output.replace(/\r/g, '').split('\n');
  const first = lines[0] ?? '';
  const bar = first.indexOf('|');
  const text = (bar === -1 ? first : first.slice(0, bar)).trim();
  const perf: string[] = bar === -1 ? [] : [first.slice(bar + 1)];
  const more = lines.findIndex((l, i) => i > 0 && l.includes('|'));
  if (more !== -1) {
    perf.push(lines[more]!.slice(lines[more]!.indexOf('|') + 1));
    perf.push(...lines.slice(more + 1));
  }
  return { text, perfdata: parsePerfdata(perf.join(' ')) };
}

export interface PerfValue {
  label: string;
  /** In base units: seconds, bytes, a ratio for %. */
  value: number;
  /** `seconds`, `bytes`, `ratio`, `counter`, '' for none, or the unit as written when unknown. */
  unit: string;
}

// Unit of measure → [multiplier, unit label]. KB, MB … are binary, as monitoring-plugins
// (check_disk, check_swap) mean them; % becomes a ratio, Prometheus's base unit.
const UNITS: Record<string, readonly [number, string]> = {
  '': [1, ''],
  s: [1, 'seconds'],
  ms: [1e-3, 'seconds'],
  us: [1e-6, 'seconds'],
  'µs': [1e-6, 'seconds'],
  ns: [1e-9, 'seconds'],
  '%': [0.01, 'ratio'],
  b: [1, 'bytes'],
  kb: [1024, 'bytes'],
  mb: [1024 ** 2, 'bytes'],
  gb: [1024 ** 3, 'bytes'],
  tb: [1024 ** 4, 'bytes'],
  kib: [1024, 'bytes'],
  mib: [1024 ** 2, 'bytes'],
  gib: [1024 ** 3, 'bytes'],
  tib: [1024 ** 4, 'bytes'],
  c: [1, 'counter'],
};

const VALUE_RE = /^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)([^\d;]*)$/;

/**
 * Reads `label=value[UOM];warn;crit;min;max` items separated by spaces; a label with spaces is
 * quoted ('disk /home'=5GB, '' for a quote). Items that do not parse, and values of "U"
 * (undetermined), are skipped; a label seen before keeps its first value.
 */
export function parsePerfdata(text: string): PerfValue[] {
  const out: PerfValue[] = [];
  const seen = new Set<string>();
  let i = 0;
  const n = text.length;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n';
  while (i < n && out.length < MAX_PERFDATA) {
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    let label = '';
    let good = true;
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= n) {
          good = false;
          break;
        }
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            label += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        label += text[i++];
      }
      if (text[i] !== '=') good = false;
    } else {
      const start = i;
      while (i < n && text[i] !== '=' && !isSpace(text[i])) i++;
      label = text.slice(start, i);
      if (text[i] !== '=') good = false;
    }
    const start = i + 1;
    while (i < n && !isSpace(text[i])) i++;
    if (!good || label === '') continue;
    const m = VALUE_RE.exec(text.slice(start, i).split(';')[0] ?? '');
    if (!m) continue; // "U", or not a number
    const uom = m[2]!;
    const known = UNITS[uom] ?? UNITS[uom.toLowerCase()];
    const value = Number(m[1]) * (known ? known[0] : 1);
    const unit = known ? known[1] : clip(uom.replace(/[^\w%/.-]/g, '_'), 16);
    const key = clip(label, MAX_PERFDATA_LABEL);
    if (!Number.isFinite(value) || seen.has(key)) continue;
    seen.add(key);
    out.push({ label: key, value, unit });
  }
  return out;
}

/** The program as a target: its path, never its arguments, which may carry passwords. */
function execTarget(s: ExecSettings): string {
  if (!s.shell) return s.argv[0];
  // The first word when it is a plain program name; `TOKEN=… cmd` shows nothing.
  const word = /^\s*([\w./-]+)(?:\s|$)/.exec(s.argv[2] ?? '')?.[1];
  return word ? `${SHELL} -c ${word} …` : `${SHELL} -c …`;
}

export const execKind: ProbeKind<ExecSettings> = {
  kind: 'exec',
  schema,
  probe: probeExec,
  target: execTarget,
  runsCode: true,
  metrics: [
    { name: 'probe_exec_exit_code', help: 'Exit status of the command; 128 + the signal number when killed by one, -1 when it did not exit in time or did not start.' },
    { name: 'probe_exec_duration_seconds', help: 'Seconds from starting the command until it exited (or was killed at the deadline).' },
    {
      name: 'probe_exec_perfdata',
      help: 'Nagios performance data of the command (nagios: true), in base units: seconds, bytes, ratio for %.',
      labels: ['label', 'unit'],
    },
  ],
};
