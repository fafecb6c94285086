// The TLS client settings shared by the tcp, tls and http kinds, and the certificate facts a
// peer presented during the handshake (blackbox_exporter's probe_ssl_* / probe_tls_* gauges).
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { z } from 'zod';
import type { Observation } from '../core/check-result.js';
import type { MetricSpec } from './types.js';

const MIN_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;

/** The fields of a `tls:` block; the tls kind spreads them into its own block. */
export const tlsFields = {
  ca_file: z.string().min(1).optional(),
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  server_name: z.string().min(1).optional(),
  insecure_skip_verify: z.boolean().default(false),
  min_version: z.enum(['TLS10', 'TLS11', 'TLS12', 'TLS13']).optional(),
};

const tlsFieldsObject = z.strictObject(tlsFields);
type TlsFields = z.output<typeof tlsFieldsObject>;

/** Ready-to-use client settings: the secure context is built once at load, not per probe. */
export interface TlsClient {
  context: tls.SecureContext;
  /** SNI and the name the certificate must carry; defaults to the host when it is a name. */
  serverName?: string;
  insecureSkipVerify: boolean;
}

/** Builds a TlsClient from parsed fields, reporting unreadable or unusable files as issues. */
export function buildTlsClient(fields: TlsFields, ctx: z.RefinementCtx<unknown>): TlsClient {
  const read = (key: 'ca_file' | 'cert_file' | 'key_file'): Buffer | undefined => {
    const path = fields[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      ctx.addIssue({ code: 'custom', path: [key], input: path, message: `cannot read ${JSON.stringify(path)}: ${e.code ?? e.message}` });
      return undefined;
    }
  };
  const ca = read('ca_file');
  // OpenSSL silently skips what is not a certificate, which would leave nothing trusted.
  if (ca && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    ctx.addIssue({ code: 'custom', path: ['ca_file'], input: fields.ca_file, message: `expected PEM certificates in ${JSON.stringify(fields.ca_file)}, found none` });
  }
  const cert = read('cert_file');
  const key = read('key_file');
  if ((fields.cert_file === undefined) !== (fields.key_file === undefined)) {
    const missing = fields.cert_file === undefined ? 'cert_file' : 'key_file';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'cert_file and key_file go together; only one of them is set' });
  }
  const minVersion = fields.min_version ? MIN_VERSIONS[fields.min_version] : undefined;
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({ ca, cert, key, minVersion });
  } catch (err) {
    // A bad PEM file fails here, at load, rather than on every probe during an incident.
    ctx.addIssue({ code: 'custom', message: `cannot use the given ca_file/cert_file/key_file: ${(err as Error).message}` });
    return z.NEVER;
  }
  return { context, serverName: fields.server_name, insecureSkipVerify: fields.insecure_skip_verify };
}

/** The `tls:` block: `{ca_file, cert_file, key_file, server_name, insecure_skip_verify, min_version}`. */
export const tlsBlock = () => tlsFieldsObject.transform((fields, ctx) => buildTlsClient(fields, ctx));

/** `tls: true`, `tls: false` or a `tls:` block; false and absent mean plain TCP. */
export const tlsSwitchOrBlock = () =>
  z.unknown().transform((value, ctx): TlsClient | undefined => {
    if (typeof value === 'boolean') return value ? defaultTlsClient() : undefined;
    // Parsed here rather than by a union so that issues keep their paths and texts.
    const parsed = tlsBlock().safeParse(value, { reportInput: true });
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue(issue as z.core.$ZodRawIssue);
    return z.NEVER;
  });

let sharedDefault: TlsClient | undefined;

/** Client settings with system roots and verification on, for `tls: true` and plain https URLs. */
export function defaultTlsClient(): TlsClient {
  // One context for every check that sets nothing: building one reads the whole root store.
  sharedDefault ??= tlsBlock().parse({});
  return sharedDefault;
}

/** One certificate of the chain the peer presented. */
export interface PeerCert {
  /** In Go's pkix.Name order ("CN=…,O=…"), as blackbox_exporter labels it. */
  subject: string;
  issuer: string;
  commonName: string;
  notAfterMs: number;
  fingerprintSha256: string;
  serialNumber: string;
  dnsNames: string;
}

export interface TlsPeer {
  /** "TLS 1.3", blackbox_exporter's spelling. */
  version: string;
  cipher: string;
  /** Leaf first. */
  chain: PeerCert[];
  authorized: boolean;
  /** The OpenSSL or Node code explaining why verification failed (CERT_HAS_EXPIRED, …). */
  authorizationError?: string;
}

export function readTlsPeer(socket: tls.TLSSocket): TlsPeer {
  const chain: PeerCert[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  // A self-signed root is its own issuer, so the walk stops at the first repeat.
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(peerCert(cert));
    cert = cert.issuerCertificate;
  }
  const protocol = socket.getProtocol() ?? '';
  return {
    version: protocol.replace(/^TLSv(\d)$/, 'TLSv$1.0').replace('TLSv', 'TLS '),
    cipher: socket.getCipher()?.name ?? '',
    chain,
    authorized: socket.authorized,
    // Node sets the code string here, although its typings say Error.
    authorizationError: socket.authorized ? undefined : String(socket.authorizationError),
  };
}

function peerCert(cert: tls.DetailedPeerCertificate): PeerCert {
  const dnsNames = (cert.subjectaltname ?? '')
    .split(', ')
    .filter((san) => san.startsWith('DNS:'))
    .map((san) => san.slice(4));
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    commonName: [cert.subject?.CN ?? ''].flat()[0] ?? '',
    notAfterMs: Date.parse(cert.valid_to),
    fingerprintSha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
    serialNumber: cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
    dnsNames: dnsNames.join(','),
  };
}

function distinguishedName(name: tls.Certificate | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .reverse()
    .flatMap(([k, v]) => [v as string | string[]].flat().map((value) => `${k}=${value}`))
    .join(',');
}

/** The certificate in the chain that expires first. */
export function earliestExpiring(peer: TlsPeer): PeerCert | undefined {
  let earliest: PeerCert | undefined;
  for (const c of peer.chain) if (!earliest || c.notAfterMs < earliest.notAfterMs) earliest = c;
  return earliest;
}

export const TLS_METRICS: readonly MetricSpec[] = [
  { name: 'probe_ssl_earliest_cert_expiry', help: 'Earliest notAfter of the certificates the peer presented, in unix seconds.' },
  { name: 'probe_ssl_last_chain_expiry_timestamp_seconds', help: 'Earliest notAfter in the verified chain, in unix seconds.' },
  { name: 'probe_tls_version_info', help: 'The negotiated TLS version; always 1.', labels: ['version'] },
];

/** The gauges every TLS-speaking kind reports about its peer. */
export function tlsObservations(peer: TlsPeer, out: Observation[]): void {
  const earliest = earliestExpiring(peer);
  if (earliest) {
    out.push({ metric: 'probe_ssl_earliest_cert_expiry', value: earliest.notAfterMs / 1000 });
    // Without verification there is no verified chain, as in blackbox_exporter.
    if (peer.authorized) out.push({ metric: 'probe_ssl_last_chain_expiry_timestamp_seconds', value: earliest.notAfterMs / 1000 });
  }
  if (peer.version) out.push({ metric: 'probe_tls_version_info', value: 1, labels: { version: peer.version } });
}
