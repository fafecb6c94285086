// Real peers for probe tests on 127.0.0.1: certificates made by the openssl CLI, servers on
// port 0, a probe context with a short deadline, and a count of open sockets for leak checks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/core/logger.js';
import { createPushLog } from '../../src/probes/push-log.js';
import type { ProbeContext } from '../../src/probes/types.js';

export function probeContext(timeoutMs = 500): ProbeContext {
  return { signal: AbortSignal.timeout(timeoutMs), timeoutMs, now: () => Date.now(), logger: silentLogger(), check: 'test', pushes: createPushLog() };
}

export interface CertFiles {
  dir: string;
  caFile: string;
  ca: Buffer;
  /** Leaf certificates signed by the CA for localhost/127.0.0.1, by remaining validity. */
  leaf: KeyPair;
  expired: KeyPair;
  fiveDays: KeyPair;
  twentyDays: KeyPair;
  /** A self-signed leaf no CA vouches for. */
  selfSigned: KeyPair;
  /** Signed by the CA but for another name only. */
  otherName: KeyPair;
  cleanup(): void;
}

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeCerts(): CertFiles {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-certs-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=healthmon test CA');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  writeFileSync(join(dir, 'other.cnf'), 'subjectAltName=DNS:other.example\n');
  // OpenSSL 3.0 has no -not_after for `x509 -req`; a negative -days gives a certificate that
  // expired yesterday.
  const signed = (name: string, days: string, ext = 'san.cnf', cn = 'localhost'): KeyPair => {
    run('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', days, '-extfile', ext, '-out', `${name}.crt`);
    return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
  };
  run('req', '-x509', ...EC, '-keyout', 'self.key', '-out', 'self.crt', '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    ca: readFileSync(join(dir, 'ca.crt')),
    leaf: signed('leaf', '365'),
    expired: signed('expired', '-1'),
    fiveDays: signed('five', '5'),
    twentyDays: signed('twenty', '20'),
    otherName: signed('other', '365', 'other.cnf', 'other.example'),
    selfSigned: { cert: readFileSync(join(dir, 'self.crt')), key: readFileSync(join(dir, 'self.key')) },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts listening on 127.0.0.1 and returns the port. */
export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Closes a server, ending the connections still open on it. */
export async function close(server: net.Server & { closeAllConnections?: () => void }): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

/** A TCP server whose connections are handled by `onSocket`; it tracks them so close() ends them all. */
export function rawServer(onSocket: (socket: net.Socket) => void): net.Server & { closeAllConnections(): void } {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Reading what the client sends is what lets its close be noticed here.
    socket.resume();
    onSocket(socket);
  });
  return Object.assign(server, { closeAllConnections: () => sockets.forEach((s) => s.destroy()) });
}

/** A server that, once the client speaks, writes `head` and then endless `fill` for as long as the client reads. */
export function floodServer(head: string, fill = 'x'): net.Server & { closeAllConnections(): void } {
  return rawServer((s) =>
    s.once('data', () => {
      s.write(head);
      const chunk = Buffer.alloc(64 * 1024, fill);
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
        if (!s.destroyed) s.once('drain', pump);
      };
      pump();
    }),
  );
}

/** Open file descriptors of this process that are sockets. */
export function openSockets(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}
