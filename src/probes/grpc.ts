// The grpc kind: the standard gRPC health-checking protocol (grpc.health.v1.Health/Check) over
// HTTP/2, plain or TLS, spoken directly with node:http2 over our timed dial. blackbox_exporter's
// probe_grpc_* names. The two protobuf messages are a single field each, encoded by hand.
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { DNS_LOOKUP_METRIC, dial, failureFrom, hostPort, lap, type Failure, type Stage } from './dial.js';
import { hostField, portField } from './tcp.js';
import { TLS_METRICS, tlsObservations, tlsSwitchOrBlock, type TlsClient } from './tls-settings.js';
import type { ProbeContext, ProbeKind } from './types.js';
import { hostPortFields } from './target.js';

export interface GrpcSettings {
  host: string;
  port: number;
  /** The service to ask about; empty asks about the server as a whole. */
  service: string;
  tls?: TlsClient;
}

const schema = z
  .strictObject({
    host: hostField(),
    port: portField(),
    service: z.string().optional(),
    tls: tlsSwitchOrBlock().optional(),
  })
  .transform((b): GrpcSettings => ({ host: b.host, port: b.port, service: b.service ?? '', tls: b.tls }));

/** HealthCheckResponse.ServingStatus, by number. */
export const SERVING_STATUSES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const PHASES = ['resolve', 'connect', 'tls', 'check'] as const;
/** A health answer is a few bytes; anything much larger is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const GRPC_NOT_FOUND = 5;

/** A length-prefixed gRPC message frame holding HealthCheckRequest{service}. */
export function requestFrame(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const body = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

/** The serving status in a response frame; undefined when the bytes are not a health response. */
export function parseResponseFrame(data: Buffer): number | undefined {
  if (data.length < 5 || data[0] !== 0) return undefined; // compressed frames are never asked for
  const length = data.readUInt32BE(1);
  if (data.length !== 5 + length) return undefined;
  let status = 0; // proto3: an absent field is its zero value
  let i = 5;
  while (i < data.length) {
    const tag = data[i++]!;
    if (tag === 0x08) {
      const v = readVarint(data, i);
      if (!v) return undefined;
      status = v.value;
      i = v.next;
    } else if ((tag & 7) === 0) {
      const v = readVarint(data, i); // an unknown varint field: skipped, as protobuf does
      if (!v) return undefined;
      i = v.next;
    } else if ((tag & 7) === 2) {
      const len = readVarint(data, i);
      if (!len || len.next + len.value > data.length) return undefined;
      i = len.next + len.value;
    } else return undefined;
  }
  return status;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function readVarint(data: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < data.length && shift < 35; shift += 7, i++) {
    const b = data[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

interface CheckAnswer {
  grpcStatus: number | undefined;
  grpcMessage: string;
  servingStatus: number | undefined;
}

async function probeGrpc(s: GrpcSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const phases: Record<string, number> = { resolve: 0, connect: 0, tls: 0, check: 0 };
  const observations: Observation[] = [];
  const dialed = await dial({ host: s.host, port: s.port, tls: s.tls, alpn: ['h2'] }, ctx, phases);
  let failure: Failure | undefined;
  let answer: CheckAnswer | undefined;
  if (!dialed.ok) failure = dialed.failure;
  else {
    const result = await check(dialed.socket, s, ctx, phases);
    if ('reason' in result) failure = result;
    else answer = result;
  }
  if (dialed.tls) tlsObservations(dialed.tls, observations);
  observations.push({ metric: 'probe_dns_lookup_time_seconds', value: phases.resolve! / 1000 });
  for (const phase of PHASES) observations.push({ metric: 'probe_grpc_duration_seconds', value: phases[phase]! / 1000, labels: { phase } });
  observations.push({ metric: 'probe_grpc_ssl', value: s.tls && dialed.ok ? 1 : 0 });
  const serving = answer?.grpcStatus === GRPC_NOT_FOUND ? 3 : answer?.servingStatus;
  if (answer) {
    observations.push({ metric: 'probe_grpc_status_code', value: answer.grpcStatus ?? 2 });
    SERVING_STATUSES.forEach((name, i) => observations.push({ metric: 'probe_grpc_healthcheck_response', value: serving === i ? 1 : 0, labels: { serving_status: name } }));
    failure ??= judge(answer, serving, s);
  }
  if (failure) return { ok: false, reason: failure.reason, message: failure.message, phases, observations };
  return { ok: true, phases, observations };
}

function judge(answer: CheckAnswer, serving: number | undefined, s: GrpcSettings): Failure | undefined {
  const what = s.service === '' ? 'the server' : `service ${JSON.stringify(s.service)}`;
  if (answer.grpcStatus === GRPC_NOT_FOUND) return { reason: 'condition_failed', message: `${what} is unknown to the health service (SERVICE_UNKNOWN)` };
  if (answer.grpcStatus !== 0) {
    const detail = answer.grpcMessage === '' ? '' : `: ${answer.grpcMessage}`;
    return { reason: 'protocol_error', message: `health check answered with gRPC status ${answer.grpcStatus ?? 'missing'}${detail}` };
  }
  if (serving === undefined) return { reason: 'protocol_error', message: 'the health check answer is not a HealthCheckResponse' };
  if (serving !== 1) return { reason: 'condition_failed', message: `${what} is ${SERVING_STATUSES[serving] ?? `in status ${serving}`}` };
  return undefined;
}

/** One Check call on a fresh HTTP/2 session over the dialed socket; always closes both. */
function check(socket: Socket, s: GrpcSettings, ctx: ProbeContext, phases: Record<string, number>): Promise<CheckAnswer | Failure> {
  return new Promise((resolve) => {
    const t = performance.now();
    let stage: Stage = 'processing';
    let settled = false;
    const scheme = s.tls ? 'https' : 'http';
    const session = http2.connect(`${scheme}://${hostPort(s.host, s.port)}`, { createConnection: () => socket });
    const chunks: Buffer[] = [];
    let size = 0;
    let headers: http2.IncomingHttpHeaders = {};
    const finish = (result: CheckAnswer | Failure) => {
      if (settled) return;
      settled = true;
      lap(phases, 'check', t);
      ctx.signal.removeEventListener('abort', onAbort);
      session.destroy();
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish(failureFrom(ctx.signal.reason, stage, ctx));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    session.on('error', (err) => finish(errorFailure(err, stage, ctx)));
    const req = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${Math.max(1, Math.ceil(ctx.timeoutMs))}m`,
    });
    req.on('error', (err) => finish(errorFailure(err, stage, ctx)));
    req.on('response', (h) => {
      headers = h;
      stage = 'transfer';
      if (h[':status'] !== 200) finish({ reason: 'protocol_error', message: `the server answered HTTP ${h[':status']}, not a gRPC response` });
    });
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) finish({ reason: 'too_large', message: `the health check answer is over ${MAX_RESPONSE_BYTES} bytes` });
      else chunks.push(chunk);
    });
    // gRPC sends its status in trailers, or in the headers of a response without a body.
    const done = (trailers: http2.IncomingHttpHeaders) => {
      const status = trailers['grpc-status'] ?? headers['grpc-status'];
      const message = trailers['grpc-message'] ?? headers['grpc-message'];
      const body = Buffer.concat(chunks);
      finish({
        grpcStatus: status === undefined ? undefined : Number(status),
        grpcMessage: typeof message === 'string' ? decodeURIComponent(message) : '',
        servingStatus: body.length === 0 ? undefined : parseResponseFrame(body),
      });
    };
    let trailers: http2.IncomingHttpHeaders = {};
    req.on('trailers', (t) => (trailers = t));
    req.on('end', () => done(trailers));
    req.end(requestFrame(s.service));
  });
}

function errorFailure(err: unknown, stage: Stage, ctx: ProbeContext): Failure {
  const code = (err as { code?: string }).code ?? '';
  // Not speaking HTTP/2 at all (a plain TCP or HTTP/1 server) shows as a session protocol error.
  if (code.startsWith('ERR_HTTP2') || code === 'ERR_INVALID_HTTP_RESPONSE') {
    return { reason: 'protocol_error', message: `not a gRPC (HTTP/2) server: ${(err as Error).message}` };
  }
  return failureFrom(err, stage, ctx);
}

export const grpcKind: ProbeKind<GrpcSettings> = {
  kind: 'grpc',
  schema,
  probe: probeGrpc,
  target: (s) => `${s.tls ? 'grpcs' : 'grpc'}://${hostPort(s.host, s.port)}${s.service === '' ? '' : `/${s.service}`}`,
  fromTarget: hostPortFields,
  metrics: [
    DNS_LOOKUP_METRIC,
    { name: 'probe_grpc_duration_seconds', help: 'Duration of the gRPC health check by phase.', labels: ['phase'] },
    { name: 'probe_grpc_healthcheck_response', help: 'The health check serving status: exactly one is 1.', labels: ['serving_status'] },
    { name: 'probe_grpc_status_code', help: 'The gRPC status code of the health check response.' },
    { name: 'probe_grpc_ssl', help: 'Whether the check used TLS.' },
    ...TLS_METRICS,
  ],
};
