// The tls kind: a TLS handshake whose certificate chain is verified and checked for how soon
// it expires: fewer than warn_days left degrades the check, fewer than fail_days fails it.
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { DNS_LOOKUP_METRIC, dial, hostPort, isoSeconds, type Failure } from './dial.js';
import { hostField, portField } from './tcp.js';
import { buildTlsClient, earliestExpiring, TLS_METRICS, tlsFields, tlsObservations, type PeerCert, type TlsClient, type TlsPeer } from './tls-settings.js';
import type { ProbeContext, ProbeKind } from './types.js';
import { hostPortFields } from './target.js';

export interface TlsSettings {
  host: string;
  port: number;
  tls: TlsClient;
  warnDays: number;
  failDays: number;
}

const DAY_MS = 86_400_000;

const schema = z
  .strictObject({
    host: hostField(),
    port: portField().default(443),
    ...tlsFields,
    /** Fewer days left than this: the probe succeeds with a warning (the check is degraded). */
    warn_days: z.number().min(0).default(30),
    /** Fewer days left than this: the probe fails with cert_expired. 0 fails only once expired. */
    fail_days: z.number().min(0).default(7),
  })
  .transform(({ host, port, warn_days, fail_days, ...fields }, ctx): TlsSettings => ({
    host,
    port,
    tls: buildTlsClient(fields, ctx),
    warnDays: warn_days,
    failDays: fail_days,
  }));

async function probeTls(s: TlsSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const phases: Record<string, number> = { resolve: 0, connect: 0, tls: 0 };
  const dialed = await dial({ host: s.host, port: s.port, tls: s.tls }, ctx, phases);
  const observations: Observation[] = [{ metric: 'probe_dns_lookup_time_seconds', value: phases.resolve! / 1000 }];
  if (dialed.tls) peerObservations(dialed.tls, observations);
  if (!dialed.ok) return { ok: false, reason: dialed.failure.reason, message: dialed.failure.message, phases, observations };
  dialed.socket.destroy();

  const earliest = dialed.tls && earliestExpiring(dialed.tls);
  if (!earliest) return { ok: true, phases, observations };
  const leftMs = earliest.notAfterMs - ctx.now();
  const failure = expiryFailure(earliest, leftMs, s);
  if (failure) return { ok: false, reason: failure.reason, message: failure.message, phases, observations };
  if (leftMs < s.warnDays * DAY_MS) {
    return { ok: true, warning: `${expiresIn(earliest, leftMs)}, fewer than ${s.warnDays}d`, phases, observations };
  }
  return { ok: true, phases, observations };
}

// Reached when verification is skipped or passed but the dates are still near.
function expiryFailure(cert: PeerCert, leftMs: number, s: TlsSettings): Failure | undefined {
  if (leftMs <= 0) return { reason: 'cert_expired', message: `certificate for ${name(cert)} expired on ${isoSeconds(cert.notAfterMs)}` };
  if (leftMs < s.failDays * DAY_MS) return { reason: 'cert_expired', message: `${expiresIn(cert, leftMs)}, fewer than ${s.failDays}d` };
  return undefined;
}

function expiresIn(cert: PeerCert, leftMs: number): string {
  const left = leftMs >= DAY_MS ? `${Math.floor(leftMs / DAY_MS)}d` : `${Math.floor(leftMs / 3_600_000)}h`;
  return `certificate for ${name(cert)} expires in ${left} (${isoSeconds(cert.notAfterMs)})`;
}

const name = (cert: PeerCert) => cert.commonName || cert.subject || 'the peer';

function peerObservations(peer: TlsPeer, out: Observation[]): void {
  tlsObservations(peer, out);
  const leaf = peer.chain[0];
  if (leaf) {
    out.push({
      metric: 'probe_ssl_last_chain_info',
      value: 1,
      labels: {
        fingerprint_sha256: leaf.fingerprintSha256,
        subject: leaf.subject,
        issuer: leaf.issuer,
        subjectalternative: leaf.dnsNames,
        serialnumber: leaf.serialNumber,
      },
    });
  }
  if (peer.cipher) out.push({ metric: 'probe_tls_cipher_info', value: 1, labels: { cipher: peer.cipher } });
}

export const tlsKind: ProbeKind<TlsSettings> = {
  kind: 'tls',
  schema,
  probe: probeTls,
  target: (s) => hostPort(s.host, s.port),
  fromTarget: hostPortFields,
  metrics: [
    DNS_LOOKUP_METRIC,
    ...TLS_METRICS,
    {
      name: 'probe_ssl_last_chain_info',
      help: 'The leaf certificate the peer presented; always 1.',
      labels: ['fingerprint_sha256', 'subject', 'issuer', 'subjectalternative', 'serialnumber'],
    },
    { name: 'probe_tls_cipher_info', help: 'The negotiated cipher; always 1.', labels: ['cipher'] },
  ],
};
