// A real redis-server (Debian's redis-server) started for one test file on 127.0.0.1: a free
// port, a password, no persistence, a temp dir; ended by its PID.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './alertmanager.js';

export interface RedisOptions {
  /** The default user's password (--requirepass). */
  password: string;
  /** ACL users, each as the words of a `user` directive: ['probe', 'on', '>secret', '+ping']. */
  users?: string[][];
  /** Also listen with TLS on a second port. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

export interface RunningRedis {
  port: number;
  tlsPort?: number;
  /** The command line used, for reports. */
  argv: string[];
  stop(): Promise<void>;
}

export async function startRedis(binary: string, options: RedisOptions): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-redis-'));
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  const argv = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--requirepass', options.password,
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--daemonize', 'no',
    ...(options.users ?? []).flatMap((words) => ['--user', ...words]),
    ...(options.tls && tlsPort
      ? ['--tls-port', String(tlsPort), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile, '--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no']
      : []),
  ];
  const child = spawn(binary, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => (output = (output + b.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (await answers(port)) return { port, tlsPort, argv: [binary, ...argv], stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether something on the port answers PING (NOAUTH counts: the server is up). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(/^[+-]/.test(d.toString()) && !d.toString().startsWith('-LOADING')));
  });
}
