// The connection set-up shared by the tcp, tls and http kinds: resolve, connect, optional TLS
// handshake, each timed as a phase and bound to the attempt's deadline.
import dns from 'node:dns';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { FailureReason } from '../core/failure-reason.js';
import { reasonFromError } from '../core/failure-reason.js';
import { readTlsPeer, type TlsClient, type TlsPeer } from './tls-settings.js';
import type { ProbeContext } from './types.js';

export interface DialTarget {
  host: string;
  port: number;
  /** Restricts name resolution to IPv4 or IPv6. */
  family?: 4 | 6;
  /** Set to speak TLS over the connection. */
  tls?: TlsClient;
  /** Protocols offered in the TLS handshake (ALPN), e.g. ['h2'] for gRPC. */
  alpn?: string[];
}

export interface Failure {
  reason: FailureReason;
  message: string;
}

export type DialOutcome =
  | { ok: true; socket: net.Socket; tls?: TlsPeer }
  /** `tls` is set when the handshake completed but the certificate was not accepted. */
  | { ok: false; failure: Failure; tls?: TlsPeer };

/** Where a probe was when something went wrong; named in timeout messages. */
export type Stage = 'resolve' | 'connect' | 'tls' | 'processing' | 'transfer' | 'read' | 'write';

const DOING: Record<Stage, string> = {
  resolve: 'resolving the host',
  connect: 'connecting',
  tls: 'in the TLS handshake',
  processing: 'waiting for the response headers',
  transfer: 'reading the body',
  read: 'reading',
  write: 'writing',
};

/** Turns an error (or an abort reason) met at `stage` into a failure value. */
export function failureFrom(err: unknown, stage: Stage, ctx: Pick<ProbeContext, 'timeoutMs'>): Failure {
  const reason = reasonFromError(err);
  if (reason === 'timeout') return { reason, message: `no answer within ${ctx.timeoutMs}ms (${DOING[stage]})` };
  const e = err as { code?: unknown; message?: unknown };
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' && !text.includes(e.code) ? ` (${e.code})` : '';
  return { reason, message: `${DOING[stage]}: ${text}${code}` };
}

/** Adds the time since `since` to a phase and returns the current time. */
export function lap(phases: Record<string, number>, phase: string, since: number): number {
  const now = performance.now();
  phases[phase] = (phases[phase] ?? 0) + (now - since);
  return now;
}

/**
 * Opens a connection, adding to `phases.resolve`, `.connect` and `.tls`. On success the caller
 * owns the socket and must destroy it; on failure nothing is left open.
 */
export async function dial(target: DialTarget, ctx: ProbeContext, phases: Record<string, number>): Promise<DialOutcome> {
  const { signal } = ctx;
  let stage: Stage = 'resolve';
  let t = performance.now();
  try {
    let address = target.host;
    if (net.isIP(address) === 0) {
      address = await lookup(address, target.family, signal);
      t = lap(phases, 'resolve', t);
    }
    const refused = ctx.refuseAddress?.(address);
    if (refused !== undefined) return { ok: false, failure: { reason: 'connection_refused', message: `not connecting to ${address}: the API network policy refuses it (${refused})` } };
    stage = 'connect';
    const socket = await connect(address, target.port, signal);
    t = lap(phases, 'connect', t);
    if (!target.tls) return { ok: true, socket };
    stage = 'tls';
    const secure = await handshake(socket, target, target.tls, signal);
    t = lap(phases, 'tls', t);
    const peer = readTlsPeer(secure);
    if (!peer.authorized && !target.tls.insecureSkipVerify) {
      secure.destroy();
      return { ok: false, failure: verifyFailure(peer, ctx.now()), tls: peer };
    }
    return { ok: true, socket: secure, tls: peer };
  } catch (err) {
    lap(phases, stage, t);
    const failure = failureFrom(err, stage, ctx);
    if (failure.reason === 'dns_error') failure.message = `cannot resolve ${JSON.stringify(target.host)} (${(err as NodeJS.ErrnoException).code})`;
    return { ok: false, failure };
  }
}

/** Why a chain that was not accepted fails: cert_expired when a certificate has expired, else tls_error. */
export function verifyFailure(peer: TlsPeer, nowMs: number): Failure {
  const code = peer.authorizationError ?? 'unknown';
  const leaf = peer.chain[0];
  if (code === 'CERT_HAS_EXPIRED') {
    const expired = peer.chain.find((c) => c.notAfterMs < nowMs) ?? leaf;
    const when = expired ? ` on ${isoSeconds(expired.notAfterMs)}` : '';
    return { reason: 'cert_expired', message: `certificate for ${expired?.commonName || 'the peer'} expired${when}` };
  }
  return { reason: 'tls_error', message: `certificate for ${leaf?.commonName || 'the peer'} not accepted: ${code}` };
}

/** 2026-01-02T03:04:05Z: precise enough for certificate dates. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function lookup(host: string, family: 4 | 6 | undefined, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // dns.lookup cannot be cancelled; the answer, if it comes, is dropped.
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    dns.lookup(host, { family: family ?? 0 }, (err, address) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(address);
    });
  });
}

async function connect(host: string, port: number, signal: AbortSignal): Promise<net.Socket> {
  signal.throwIfAborted();
  const socket = net.connect({ host, port, noDelay: true });
  try {
    await once(socket, 'connect', { signal });
    return socket;
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

async function handshake(socket: net.Socket, target: DialTarget, client: TlsClient, signal: AbortSignal): Promise<tls.TLSSocket> {
  if (signal.aborted) {
    socket.destroy();
    throw signal.reason;
  }
  // SNI must not carry an IP address; the identity check then falls back to `host`.
  const servername = client.serverName ?? (net.isIP(target.host) === 0 ? target.host : undefined);
  // Verification is judged after the handshake, so that an expired or untrusted chain can
  // still be read and reported.
  const secure = tls.connect({
    socket, host: target.host, servername, secureContext: client.context, rejectUnauthorized: false,
    ...(target.alpn ? { ALPNProtocols: target.alpn } : {}),
  });
  try {
    await once(secure, 'secureConnect', { signal });
    return secure;
  } catch (err) {
    secure.destroy();
    socket.destroy();
    throw err;
  }
}

/** How a host and port are written as a target: `[::1]:53` for IPv6, `host:port` otherwise. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The name-resolution gauge every kind that dials a host name reports (blackbox's name). */
export const DNS_LOOKUP_METRIC = {
  name: 'probe_dns_lookup_time_seconds',
  help: 'Seconds spent resolving the host name (summed over redirects for http).',
} as const;
