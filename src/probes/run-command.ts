// Runs a local program for a probe (the exec kind's command, the icmp kind's ping) under a
// deadline, in a process group of its own, keeping a bounded part of what it writes.
//
// The program runs in a new session, so that at the deadline, on shutdown, and once the program
// itself has exited, everything it started is killed with it: a background process holding the
// output pipes open can neither hold the probe nor outlive it. Only a process that moves itself
// into yet another session escapes; its pipes are then abandoned at the deadline. Output is read
// as it comes, keeping at most maxOutputBytes of stdout and of stderr each and discarding the
// rest, so a chatty program cannot fill memory and is never blocked writing into a full pipe.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { isAbsolute } from 'node:path';

/** systemd's default PATH: what a command gets unless told otherwise. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Characters of output kept in a message. */
export const MESSAGE_CHARS = 300;

export interface Command {
  /** The program and its arguments; a bare name is looked up in `env.PATH`. */
  argv: [string, ...string[]];
  /** The child's whole environment. */
  env: Record<string, string>;
  cwd?: string;
  /** Kept of stdout and of stderr each. */
  maxOutputBytes: number;
  /**
   * Sends SIGINT to the program (not its group) this long after the start, for programs that
   * report what they have on SIGINT (ping prints its statistics), ahead of the deadline's kill.
   */
  interruptAfterMs?: number;
}

/** At most `cap` bytes of a stream, and how many bytes it had in all. */
export class Captured {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.cap) return;
    // A copy of a partly kept chunk, so the rest of it is not held on to.
    const part = chunk.length <= this.cap - this.kept ? chunk : Buffer.from(chunk.subarray(0, this.cap - this.kept));
    this.chunks.push(part);
    this.kept += part.length;
  }
  /** Whether bytes were dropped. */
  get truncated(): boolean {
    return this.total > this.kept;
  }
  text(): string {
    return Buffer.concat(this.chunks, this.kept).toString('utf8');
  }
}

/** What running the command came to. */
export interface Run {
  /** Set when the command could not be started. */
  spawnError?: string;
  /** Set when the command exited (by itself or by a signal not sent at the deadline). */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** The deadline passed (or healthmon shut down) before the command exited. */
  timedOut: boolean;
  /** SIGINT was sent at interruptAfterMs. */
  interrupted: boolean;
  durationMs: number;
  /** Milliseconds from the start until stdout first had something, if it ever did. */
  firstOutputMs?: number;
  stdout: Captured;
  stderr: Captured;
}

/** Runs `cmd` until it exits or `signal` aborts; never rejects. */
export function runCommand(cmd: Command, signal: AbortSignal): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const run: Run = { timedOut: false, interrupted: false, durationMs: 0, stdout: new Captured(cmd.maxOutputBytes), stderr: new Captured(cmd.maxOutputBytes) };
    let child: ChildProcess | undefined;
    let settled = false;
    let interrupt: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(interrupt);
      signal.removeEventListener('abort', onAbort);
      if (!run.exit) run.durationMs = performance.now() - t0;
      child?.stdout?.destroy();
      child?.stderr?.destroy();
      resolve(run);
    };
    const killGroup = () => {
      if (child?.pid === undefined) return;
      try {
        // The negative pid names the group the detached child leads.
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: nothing of the group is left.
      }
    };
    // At the deadline the group gets SIGKILL at once: a check has no state worth a graceful
    // stop, and a grace period would let it outlive its deadline.
    const onAbort = () => {
      killGroup();
      if (!run.exit) run.timedOut = true;
      finish();
    };
    if (signal.aborted) {
      run.timedOut = true;
      return finish();
    }
    try {
      child = spawn(cmd.argv[0], cmd.argv.slice(1), { cwd: cmd.cwd, env: cmd.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      run.spawnError = `cannot run ${cmd.argv[0]}: ${(err as Error).message}`;
      return finish();
    }
    signal.addEventListener('abort', onAbort, { once: true });
    if (cmd.interruptAfterMs !== undefined) {
      // A real timer: the program runs in real time, whatever clock drives the deadline.
      interrupt = setTimeout(() => {
        if (run.exit) return;
        run.interrupted = true;
        child?.kill('SIGINT');
      }, cmd.interruptAfterMs);
    }
    child.stdout!.on('data', (chunk: Buffer) => {
      run.firstOutputMs ??= performance.now() - t0;
      run.stdout.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => run.stderr.push(chunk));
    // A stream error (a pipe torn down at the deadline) ends nothing by itself: exit and close do.
    child.stdout!.on('error', () => {});
    child.stderr!.on('error', () => {});
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child?.pid !== undefined) return; // a failed kill(), not a failed start
      void spawnProblem(err, cmd).then((why) => {
        if (settled) return; // the deadline came first
        run.spawnError = why;
        finish();
      });
    });
    child.on('exit', (code, exitSignal) => {
      // Whatever the command left running goes with it; output still in the pipes is read on.
      killGroup();
      if (settled) return;
      run.exit = { code, signal: exitSignal };
      run.durationMs = performance.now() - t0;
    });
    // Exit and both pipes closed (a failed start closes without an exit, and reports above); a
    // pipe held by a process outside the group is given up at the deadline.
    child.on('close', () => {
      if (run.exit) finish();
    });
  });
}

/** Says why the command did not start; ENOENT can mean a missing cwd as well as a missing program. */
async function spawnProblem(err: NodeJS.ErrnoException, cmd: Command): Promise<string> {
  const program = cmd.argv[0];
  if (err.code === 'ENOENT' && cmd.cwd !== undefined) {
    const cwdOk = await fsp.stat(cmd.cwd).then((st) => st.isDirectory(), () => false);
    if (!cwdOk) return `cannot run ${program}: the working directory ${cmd.cwd} does not exist`;
  }
  switch (err.code) {
    case 'ENOENT':
      return isAbsolute(program) || program.includes('/') ? `cannot run ${program}: no such file` : `cannot run ${program}: not found in PATH (${cmd.env.PATH ?? ''})`;
    case 'EACCES':
      return `cannot run ${program}: permission denied (not executable?)`;
    case 'ENOEXEC':
      return `cannot run ${program}: not a program the kernel can run (a script without a #! line?)`;
    default:
      return `cannot run ${program}: ${err.code ?? err.message}`;
  }
}

/** The first non-empty line of `text`, trimmed and shortened for a message. */
export function firstLine(text: string): string {
  const line = text.split('\n').map(printable).find((l) => l !== '') ?? '';
  return clip(line, MESSAGE_CHARS);
}

/** A line without control characters (binary output, terminal escapes), trimmed. */
export function printable(line: string): string {
  return line.replace(/\t/g, ' ').replace(/[\x00-\x1f\x7f]/g, '').trim();
}

export function clip(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}
