// A real PostgreSQL (Debian's postgresql package) started for one test file: initdb into a temp
// dir, postgres on 127.0.0.1 with a free port and its unix socket in that dir, roles with SCRAM
// passwords and databases made over the socket; ended by its PID.
//
// PostgreSQL refuses to run as root. When the tests run as root, initdb and postgres run as the
// `postgres` account the package creates (or `nobody` without it) through spawn's uid/gid, so the
// PID we hold is postgres itself; the temp dir is chowned to that account first.
import { spawn, type SpawnOptions } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from './alertmanager.js';
import { findPeer } from './peers.js';

/** The directory holding initdb and postgres, newest version first; skips loudly (or fails) when absent. */
export function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not installed
  }
  const initdb = findPeer('initdb', versions.map((v) => join(base, v, 'bin')));
  // A link on PATH (/usr/local/bin/initdb) stands for the directory it points into, where postgres is too.
  return initdb === undefined ? undefined : dirname(realpathSync(initdb));
}

export interface PostgresOptions {
  /** Login roles, each with a SCRAM-SHA-256 password. */
  users: Array<{ name: string; password: string }>;
  databases: Array<{ name: string; owner: string }>;
  /** pg_hba.conf lines placed before the catch-all `host all all … scram-sha-256`. */
  hba?: string[];
  /** A server certificate and key: ssl=on. */
  tls?: { cert: Buffer; key: Buffer };
}

export interface RunningPostgres {
  port: number;
  /** The account postgres runs as. */
  runAs: string;
  /** The command lines used, for reports. */
  commands: string[][];
  /** The end of the server's log (stderr). */
  log(): string;
  /** Runs SQL as the superuser over the unix socket. */
  sql(text: string, database?: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** Who runs the server: ourselves, or when we are root an unprivileged account. */
function account(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  for (const name of ['postgres', 'nobody']) {
    const entry = passwd.find((f) => f[0] === name);
    if (entry) return { name, uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new Error('running as root, and there is neither a postgres nor a nobody account to run PostgreSQL as');
}

function run(binary: string, args: string[], options: SpawnOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${binary} exited with ${code}: ${output}`))));
  });
}

export async function startPostgres(bin: string, options: PostgresOptions): Promise<RunningPostgres> {
  const who = account();
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-pg-'));
  if (who) chownSync(dir, who.uid, who.gid);
  const data = join(dir, 'data');
  const ids = who ? { uid: who.uid, gid: who.gid } : {};
  // No PG* variables of the test's environment reach the server.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', HOME: dir };
  const commands: string[][] = [];
  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  const initdbArgs = ['-D', data, '--username=postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'];
  commands.push([join(bin, 'initdb'), ...initdbArgs]);
  try {
    await run(join(bin, 'initdb'), initdbArgs, { cwd: dir, env, ...ids });
  } catch (err) {
    cleanup();
    throw err;
  }
  // Writing over files initdb made keeps their owner.
  writeFileSync(
    join(data, 'pg_hba.conf'),
    ['local all all trust', ...(options.hba ?? []), 'host all all 127.0.0.1/32 scram-sha-256', 'host all all ::1/128 scram-sha-256', ''].join('\n'),
  );
  const sslArgs: string[] = [];
  if (options.tls) {
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    writeFileSync(cert, options.tls.cert);
    writeFileSync(key, options.tls.key, { mode: 0o600 });
    chmodSync(key, 0o600);
    if (who) {
      chownSync(cert, who.uid, who.gid);
      chownSync(key, who.uid, who.gid);
    }
    sslArgs.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`);
  }

  const port = await freePort();
  const serverArgs = [
    '-D', data,
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off',
    '-c', 'full_page_writes=off',
    '-c', 'shared_buffers=16MB',
    '-c', 'max_connections=30',
    ...sslArgs,
  ];
  commands.push([join(bin, 'postgres'), ...serverArgs]);
  const child = spawn(join(bin, 'postgres'), serverArgs, { cwd: dir, env, ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-8000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once('exit', r));
      // SIGINT is PostgreSQL's fast shutdown: it ends sessions instead of waiting for them.
      process.kill(child.pid, 'SIGINT');
      const timer = setTimeout(() => child.exitCode === null && child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };

  const admin = (database = 'postgres') => new pg.Client({ host: dir, port, user: 'postgres', database, ssl: false, sslnegotiation: 'postgres' });
  const sql = async (text: string, database?: string) => {
    const client = admin(database);
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };

  const deadline = Date.now() + 25_000;
  let lastError: unknown;
  for (;;) {
    try {
      await sql('SELECT 1');
      break;
    } catch (err) {
      lastError = err; // not accepting connections yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`postgres did not start (${(lastError as Error)?.message}): ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    for (const u of options.users) await sql(`CREATE ROLE ${pg.escapeIdentifier(u.name)} LOGIN PASSWORD ${pg.escapeLiteral(u.password)}`);
    for (const d of options.databases) await sql(`CREATE DATABASE ${pg.escapeIdentifier(d.name)} OWNER ${pg.escapeIdentifier(d.owner)}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, runAs: who?.name ?? 'the current user', commands, log: () => log, sql, stop };
}
