// What kinds that hold a conversation after dialing share (postgres, redis): failures named by
// the step the probe was at, and switching an open connection to TLS in-band, as PostgreSQL's
// SSLRequest does, with the same verification and reporting as dial.
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { reasonFromError } from '../core/failure-reason.js';
import { lap, verifyFailure, type DialOutcome, type Failure } from './dial.js';
import { readTlsPeer, type TlsClient } from './tls-settings.js';
import type { ProbeContext } from './types.js';

/** An error met while `doing` something, as a failure: "no answer within 300ms (authenticating)". */
export function failureWhile(err: unknown, doing: string, ctx: Pick<ProbeContext, 'timeoutMs'>): Failure {
  const reason = reasonFromError(err);
  if (reason === 'timeout') return { reason, message: `no answer within ${ctx.timeoutMs}ms (${doing})` };
  const e = err as { code?: unknown; message?: unknown };
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' && !text.includes(e.code) ? ` (${e.code})` : '';
  return { reason, message: `${doing}: ${text}${code}` };
}

/** A message with a secret cut out, should a peer have echoed it; too short a secret is left alone. */
export function withoutSecret(message: string, secret: string | undefined): string {
  return secret !== undefined && secret.length >= 4 ? message.replaceAll(secret, '<secret>') : message;
}

/** Settles with the promise, or rejects with the signal's reason once it aborts. */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export interface StartTlsTarget {
  /** The name dialed: SNI, and the name the certificate must carry unless tls.serverName is set. */
  host: string;
  tls: TlsClient;
  /** false checks the chain but not the name on the certificate (libpq's sslmode=verify-ca). */
  verifyName: boolean;
}

/**
 * Speaks TLS over an open connection, adding to `phases.tls`. On success the caller owns the
 * TLS socket; on failure `socket` is destroyed.
 */
export async function startTls(socket: net.Socket, target: StartTlsTarget, ctx: ProbeContext, phases: Record<string, number>): Promise<DialOutcome> {
  const t = performance.now();
  const client = target.tls;
  // SNI must not carry an IP address; the identity check then falls back to `host`.
  const servername = client.serverName ?? (net.isIP(target.host) === 0 ? target.host : undefined);
  // Verification is judged after the handshake, so that an expired or untrusted chain can still
  // be read and reported.
  const secure = tls.connect({
    socket,
    host: target.host,
    servername,
    secureContext: client.context,
    rejectUnauthorized: false,
    ...(target.verifyName ? {} : { checkServerIdentity: () => undefined }),
  });
  try {
    await once(secure, 'secureConnect', { signal: ctx.signal });
  } catch (err) {
    secure.destroy();
    socket.destroy();
    lap(phases, 'tls', t);
    return { ok: false, failure: failureWhile(err, 'in the TLS handshake', ctx) };
  }
  lap(phases, 'tls', t);
  const peer = readTlsPeer(secure);
  if (!peer.authorized && !client.insecureSkipVerify) {
    secure.destroy();
    return { ok: false, failure: verifyFailure(peer, ctx.now()), tls: peer };
  }
  return { ok: true, socket: secure, tls: peer };
}
