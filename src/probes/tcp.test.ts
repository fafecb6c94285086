import type net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { close, closedPort, listen, makeCerts, probeContext, rawServer, type CertFiles } from '../../test/helpers/probe-peers.js';
import { tcpKind } from './tcp.js';

const servers: net.Server[] = [];
let certs: CertFiles;
let banner = 0; // sends a greeting, then answers PING with PONG
let silent = 0; // accepts and says nothing
let hangup = 0; // sends a line and closes
let flood = 0; // sends 1000 bytes that never match
let secure = 0; // banner over TLS

function bannerHandler(socket: net.Socket) {
  socket.write('SSH-2.0-test\r\n');
  socket.on('data', (d) => {
    if (d.toString().includes('PING')) socket.write('+PONG\r\n');
  });
}

beforeAll(async () => {
  certs = makeCerts();
  const start = async (server: net.Server) => {
    servers.push(server);
    return listen(server);
  };
  banner = await start(rawServer(bannerHandler));
  silent = await start(rawServer(() => {}));
  hangup = await start(rawServer((s) => s.end('hello there\n')));
  flood = await start(rawServer((s) => s.write('z'.repeat(1000))));
  secure = await start(tls.createServer({ cert: certs.leaf.cert, key: certs.leaf.key }, bannerHandler));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => close(s)));
  certs.cleanup();
});

const probe = (block: Record<string, unknown>, timeoutMs = 300): Promise<ProbeOutcome> =>
  tcpKind.probe(tcpKind.schema.parse(block), probeContext(timeoutMs));

const observed = (o: ProbeOutcome, metric: string) => o.observations.find((x) => x.metric === metric)?.value;

describe('tcp schema', () => {
  it('fills defaults and shows the target', () => {
    const s = tcpKind.schema.parse({ host: '::1', port: 22 });
    expect(s).toMatchObject({ host: '::1', port: 22, maxReadBytes: 65536 });
    expect(s.tls).toBeUndefined();
    expect(tcpKind.target(s)).toBe('[::1]:22');
    expect(tcpKind.schema.parse({ host: 'db', port: 5432, tls: true }).tls?.insecureSkipVerify).toBe(false);
  });

  it.each([
    [{ host: 'x', port: 70000 }, 'port'],
    [{ host: '', port: 1 }, 'host'],
    [{ host: 'x', port: 1, expect: '(' }, 'expect'],
    [{ host: 'x', port: 1, tls: { server_nam: 'x' } }, 'tls'],
    [{ host: 'x', port: 1, tls: { cert_file: new URL(import.meta.url).pathname } }, 'tls.key_file'],
    [{ host: 'x', port: 1, banner: 'x' }, ''],
  ])('rejects %j at %s', (block, path) => {
    const result = tcpKind.schema.safeParse(block);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('tcp probe', () => {
  it('succeeds on connect', async () => {
    const o = await probe({ host: '127.0.0.1', port: banner });
    expect(o).toMatchObject({ ok: true });
    expect(Object.keys(o.phases).sort()).toEqual(['connect', 'resolve']);
    expect(observed(o, 'probe_failed_due_to_regex')).toBe(0);
  });

  it.each([
    [{ expect: '^SSH-2\\.0' }],
    [{ send: 'PING\r\n', expect: '\\+PONG' }],
    [{ send: 'PING\r\n' }],
  ])('talks %j', async (extra) => {
    const o = await probe({ host: 'localhost', port: banner, ...extra });
    expect(o).toMatchObject({ ok: true });
    expect(o.phases.resolve).toBeGreaterThan(0);
  });

  it.each([
    ['the peer closes', () => hangup, {}, 'expected /^SSH-/, got "hello there\\n"'],
    ['the deadline passes', () => silent, {}, 'expected /^SSH-/, got ""'],
    ['max_read_bytes is reached', () => flood, { max_read_bytes: 10 }, `expected /^SSH-/, got "${'z'.repeat(10)}"`],
    ['the reply is long', () => flood, {}, `expected /^SSH-/, got "${'z'.repeat(100)}"`],
  ])('fails body_mismatch when %s without a match', async (_what, port, extra, message) => {
    const o = await probe({ host: '127.0.0.1', port: port(), expect: '^SSH-', ...extra });
    expect(o).toMatchObject({ ok: false, reason: 'body_mismatch', message });
    expect(observed(o, 'probe_failed_due_to_regex')).toBe(1);
  });

  it('fails connection_refused on a closed port', async () => {
    const port = await closedPort();
    const o = await probe({ host: '127.0.0.1', port });
    expect(o).toMatchObject({ ok: false, reason: 'connection_refused' });
    expect(o.message).toMatch(/^connecting: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('speaks TLS and reports the certificate', async () => {
    const o = await probe({ host: '127.0.0.1', port: secure, tls: { ca_file: certs.caFile }, send: 'PING\n', expect: 'PONG' });
    expect(o).toMatchObject({ ok: true });
    expect(o.phases.tls).toBeGreaterThan(0);
    expect(observed(o, 'probe_ssl_earliest_cert_expiry')).toBeGreaterThan(Date.now() / 1000);
  });

  it('fails tls_error when tls: true meets an unknown CA', async () => {
    const o = await probe({ host: '127.0.0.1', port: secure, tls: true });
    expect(o).toMatchObject({ ok: false, reason: 'tls_error', message: 'certificate for localhost not accepted: UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});
