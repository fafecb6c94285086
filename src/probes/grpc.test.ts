// The grpc kind against a real gRPC server (@grpc/grpc-js) serving grpc.health.v1, plain and
// over TLS, and against peers that are not gRPC servers at all.
import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, closedPort, listen, makeCerts, probeContext, rawServer, type CertFiles } from '../../test/helpers/probe-peers.js';
import { grpcKind, parseResponseFrame, requestFrame } from './grpc.js';

/** The health service, defined by hand with the same one-field messages the probe speaks. */
const HEALTH = {
  check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: { service: string }) => requestFrame(v.service).subarray(5),
    requestDeserialize: (b: Buffer) => ({ service: b.length > 2 ? b.subarray(2).toString('utf8') : '' }),
    responseSerialize: (v: { status: number }) => (v.status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, v.status])),
    responseDeserialize: (b: Buffer) => ({ status: b.length === 0 ? 0 : b[1]! }),
  },
};

const statuses = new Map<string, number>([['', 1], ['payments', 1], ['search', 2]]);

async function startServer(credentials: grpc.ServerCredentials): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(HEALTH, {
    check: (call: grpc.ServerUnaryCall<{ service: string }, { status: number }>, cb: grpc.sendUnaryData<{ status: number }>) => {
      const status = statuses.get(call.request.service);
      if (status === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      else cb(null, { status });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return { server, port };
}

const settings = (block: Record<string, unknown>) => grpcKind.schema.parse(block);

describe('grpc probe', () => {
  let plain: { server: grpc.Server; port: number };
  let secure: { server: grpc.Server; port: number };
  let certs: CertFiles;
  beforeAll(async () => {
    certs = makeCerts();
    plain = await startServer(grpc.ServerCredentials.createInsecure());
    secure = await startServer(grpc.ServerCredentials.createSsl(null, [{ cert_chain: certs.leaf.cert, private_key: certs.leaf.key }]));
  });
  afterAll(() => {
    plain.server.forceShutdown();
    secure.server.forceShutdown();
    certs.cleanup();
  });

  const observed = (out: Awaited<ReturnType<typeof grpcKind.probe>>, metric: string) =>
    Object.fromEntries(out.observations.filter((o) => o.metric === metric).map((o) => [o.labels?.serving_status ?? o.labels?.phase ?? '', o.value]));

  it('is healthy when the server and a named service are SERVING', async () => {
    const out = await grpcKind.probe(settings({ host: '127.0.0.1', port: plain.port }), probeContext(2000));
    expect(out).toMatchObject({ ok: true });
    expect(observed(out, 'probe_grpc_healthcheck_response')).toEqual({ UNKNOWN: 0, SERVING: 1, NOT_SERVING: 0, SERVICE_UNKNOWN: 0 });
    expect(observed(out, 'probe_grpc_status_code')).toEqual({ '': 0 });
    expect(observed(out, 'probe_grpc_ssl')).toEqual({ '': 0 });
    expect((await grpcKind.probe(settings({ host: '127.0.0.1', port: plain.port, service: 'payments' }), probeContext(2000))).ok).toBe(true);
  });

  it('fails a NOT_SERVING service and an unknown one, naming the status', async () => {
    const down = await grpcKind.probe(settings({ host: '127.0.0.1', port: plain.port, service: 'search' }), probeContext(2000));
    expect(down).toMatchObject({ ok: false, reason: 'condition_failed', message: 'service "search" is NOT_SERVING' });
    expect(observed(down, 'probe_grpc_healthcheck_response').NOT_SERVING).toBe(1);
    const unknown = await grpcKind.probe(settings({ host: '127.0.0.1', port: plain.port, service: 'ghost' }), probeContext(2000));
    expect(unknown).toMatchObject({ ok: false, reason: 'condition_failed', message: 'service "ghost" is unknown to the health service (SERVICE_UNKNOWN)' });
    expect(observed(unknown, 'probe_grpc_status_code')).toEqual({ '': 5 });
    expect(observed(unknown, 'probe_grpc_healthcheck_response').SERVICE_UNKNOWN).toBe(1);
  });

  it('speaks TLS with ALPN h2, verifying the certificate', async () => {
    const ok = await grpcKind.probe(settings({ host: 'localhost', port: secure.port, tls: { ca_file: certs.caFile } }), probeContext(2000));
    expect(ok).toMatchObject({ ok: true });
    expect(observed(ok, 'probe_grpc_ssl')).toEqual({ '': 1 });
    expect(ok.observations.some((o) => o.metric === 'probe_ssl_earliest_cert_expiry')).toBe(true);
    const untrusted = await grpcKind.probe(settings({ host: 'localhost', port: secure.port, tls: true }), probeContext(2000));
    expect(untrusted).toMatchObject({ ok: false, reason: 'tls_error' });
  });

  it('fails with a reason against peers that are not gRPC servers, and never hangs', async () => {
    const garbage = rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
    const silent = rawServer(() => {});
    const http1 = http.createServer((_req, res) => res.end('hello'));
    const [gPort, sPort, hPort, closed] = [await listen(garbage), await listen(silent), await listen(http1), await closedPort()];
    try {
      const probe = (port: number, ms = 1000) => grpcKind.probe(settings({ host: '127.0.0.1', port }), probeContext(ms));
      expect(await probe(gPort)).toMatchObject({ ok: false, reason: 'protocol_error' });
      expect(await probe(hPort)).toMatchObject({ ok: false, reason: 'protocol_error' });
      expect(await probe(sPort, 300)).toMatchObject({ ok: false, reason: 'timeout' });
      expect(await probe(closed)).toMatchObject({ ok: false, reason: 'connection_refused' });
    } finally {
      await Promise.all([close(garbage), close(silent), close(http1)]);
    }
  });

  it('reads health responses and refuses what is not one', () => {
    expect(parseResponseFrame(Buffer.from([0, 0, 0, 0, 2, 0x08, 2]))).toBe(2);
    expect(parseResponseFrame(Buffer.from([0, 0, 0, 0, 0]))).toBe(0);
    expect(parseResponseFrame(Buffer.from([0, 0, 0, 0, 4, 0x12, 1, 0x41, 0x08]))).toBeUndefined();
    expect(parseResponseFrame(Buffer.from([1, 0, 0, 0, 2, 0x08, 1]))).toBeUndefined();
    expect(requestFrame('a')).toEqual(Buffer.from([0, 0, 0, 0, 3, 0x0a, 1, 0x61]));
  });
});
