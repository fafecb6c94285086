// Targets that misbehave on purpose: each must end as a failed check with the right reason,
// promptly after the deadline at the latest, and leave no socket or listener behind.
import { getEventListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../src/core/check-result.js';
import { reasonFromError } from '../src/core/failure-reason.js';
import { silentLogger } from '../src/core/logger.js';
import { httpKind } from '../src/probes/http.js';
import { tcpKind } from '../src/probes/tcp.js';
import type { ProbeContext } from '../src/probes/types.js';
import { close, closedPort, listen, makeCerts, openSockets, probeContext, rawServer, type CertFiles } from './helpers/probe-peers.js';

const TIMEOUT_MS = 300;
const servers: net.Server[] = [];
const port: Record<string, number> = {};
let certs: CertFiles;

/** Writes `text` one byte at a time, slower than any deadline here allows. */
function dribble(socket: net.Socket, text: string): void {
  let i = 0;
  const timer = setInterval(() => {
    if (i < text.length && !socket.destroyed) socket.write(text[i++]!);
  }, 50);
  socket.on('close', () => clearInterval(timer));
}

/** Streams body chunks for as long as the client reads them. */
function endless(res: http.ServerResponse): void {
  const chunk = Buffer.alloc(16 * 1024, 'x');
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

beforeAll(async () => {
  certs = makeCerts();
  const start = async (name: string, server: net.Server) => {
    server.on('tlsClientError', () => {});
    servers.push(server);
    port[name] = await listen(server);
  };
  port.closed = await closedPort();
  await start('silent', rawServer(() => {}));
  await start('hangup', rawServer((s) => s.destroy()));
  await start('reset', rawServer((s) => s.resetAndDestroy()));
  await start('garbage', rawServer((s) => s.end('SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n')));
  await start('slowHeaders', rawServer((s) => dribble(s, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')));
  await start('shortBody', rawServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort')));
  await start('hugeHeader', rawServer((s) => s.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`)));
  await start('endless', http.createServer((_req, res) => endless(res)));
  await start('loop', http.createServer((_req, res) => res.writeHead(302, { location: '/again' }).end()));
  await start('expired', https.createServer({ ...certs.expired }, (_req, res) => res.end('ok')));
  await start('selfSigned', https.createServer({ ...certs.selfSigned }, (_req, res) => res.end('ok')));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => close(s)));
  certs.cleanup();
});

interface Case {
  name: string;
  kind: 'http' | 'tcp';
  block: () => Record<string, unknown>;
  reason: string;
  message?: RegExp;
}

const url = (server: string, scheme = 'http') => `${scheme}://127.0.0.1:${port[server]}/`;
const tcp = (server: string, extra: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: port[server], ...extra });

const CASES: Case[] = [
  { name: 'connection refused (http)', kind: 'http', block: () => ({ url: url('closed') }), reason: 'connection_refused', message: /^connecting: connect ECONNREFUSED/ },
  { name: 'connection refused (tcp)', kind: 'tcp', block: () => tcp('closed'), reason: 'connection_refused' },
  { name: 'closed without a response', kind: 'http', block: () => ({ url: url('hangup') }), reason: 'connection_reset', message: /^waiting for the response headers: socket hang up/ },
  { name: 'reset (http)', kind: 'http', block: () => ({ url: url('reset') }), reason: 'connection_reset' },
  { name: 'reset (tcp, while reading)', kind: 'tcp', block: () => tcp('reset', { expect: 'x' }), reason: 'connection_reset' },
  { name: 'garbage instead of HTTP', kind: 'http', block: () => ({ url: url('garbage') }), reason: 'protocol_error', message: /HPE_INVALID_CONSTANT|Parse Error/ },
  { name: 'a body cut short', kind: 'http', block: () => ({ url: url('shortBody') }), reason: 'connection_reset', message: /^reading the body: aborted/ },
  { name: 'a header that never ends', kind: 'http', block: () => ({ url: url('hugeHeader') }), reason: 'protocol_error', message: /HPE_HEADER_OVERFLOW/ },
  { name: 'accept and never answer (http)', kind: 'http', block: () => ({ url: url('silent') }), reason: 'timeout', message: /^no answer within 300ms \(waiting for the response headers\)$/ },
  { name: 'accept and never answer (https)', kind: 'http', block: () => ({ url: url('silent', 'https') }), reason: 'timeout', message: /^no answer within 300ms \(in the TLS handshake\)$/ },
  { name: 'accept and never answer (tcp send)', kind: 'tcp', block: () => tcp('silent', { send: 'HELLO\n', expect: 'OK' }), reason: 'body_mismatch', message: /^expected \/OK\/, got ""$/ },
  { name: 'headers byte by byte', kind: 'http', block: () => ({ url: url('slowHeaders') }), reason: 'timeout', message: /\(waiting for the response headers\)$/ },
  { name: 'an endless body', kind: 'http', block: () => ({ url: url('endless'), max_body_bytes: '256KiB' }), reason: 'too_large', message: /^body larger than max_body_bytes 262144$/ },
  { name: 'a redirect loop', kind: 'http', block: () => ({ url: url('loop') }), reason: 'redirect_limit', message: /^more than 10 redirects/ },
  { name: 'an expired certificate', kind: 'http', block: () => ({ url: url('expired', 'https'), tls: { ca_file: certs.caFile } }), reason: 'cert_expired', message: /^certificate for localhost expired on / },
  { name: 'a self-signed certificate', kind: 'http', block: () => ({ url: url('selfSigned', 'https') }), reason: 'tls_error', message: /DEPTH_ZERO_SELF_SIGNED_CERT$/ },
  { name: 'TLS to a peer that does not speak it', kind: 'tcp', block: () => tcp('garbage', { tls: true }), reason: 'tls_error' },
];

function run(c: Case, ctx: ProbeContext): Promise<ProbeOutcome> {
  if (c.kind === 'http') return httpKind.probe(httpKind.schema.parse(c.block()), ctx);
  return tcpKind.probe(tcpKind.schema.parse(c.block()), ctx);
}

describe('hostile targets', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const started = performance.now();
    const o = await run(c, probeContext(TIMEOUT_MS));
    const elapsed = performance.now() - started;
    expect(o).toMatchObject({ ok: false, reason: c.reason });
    if (c.message) expect(o.message).toMatch(c.message);
    // The probe ends on its own soon after the deadline, not at the runner's safety net.
    // A generous bound: it catches a probe that hangs, not one that is slow on a busy machine.
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2000);
  });

  // A real unresolvable name would ask the system resolver, off loopback; the DNS kind's tests
  // cover NXDOMAIN against a local server, and here the mapping of resolver errors is checked.
  it.each(['ENOTFOUND', 'EAI_AGAIN', 'ESERVFAIL'])('a resolver error %s is a dns_error', (code) => {
    expect(reasonFromError(Object.assign(new Error('getaddrinfo failed'), { code }))).toBe('dns_error');
  });

  it('leaves no socket or abort listener behind after many hostile probes', async () => {
    const baseline = openSockets();
    const shared = new AbortController();
    const sharedCtx: ProbeContext = { ...probeContext(), signal: shared.signal, timeoutMs: 5000 };
    const quick = CASES.filter((c) => c.reason !== 'timeout' && c.reason !== 'body_mismatch');
    const slow = CASES.filter((c) => !quick.includes(c));
    for (let round = 0; round < 10; round++) {
      const outcomes = await Promise.all([
        ...quick.map((c) => run(c, sharedCtx)),
        ...slow.map((c) => run(c, probeContext(50))),
      ]);
      expect(outcomes.every((o) => !o.ok)).toBe(true);
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    // Server ends of the connections live in this process too and close a moment later.
    const deadline = performance.now() + 2000;
    while (openSockets() > baseline && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(openSockets()).toBeLessThanOrEqual(baseline);
  });
});
