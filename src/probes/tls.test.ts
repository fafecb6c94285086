import type net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { close, listen, makeCerts, probeContext, rawServer, type CertFiles, type KeyPair } from '../../test/helpers/probe-peers.js';
import { tcpKind } from './tcp.js';
import { tlsKind } from './tls.js';

let certs: CertFiles;
const servers: net.Server[] = [];
const ports: Record<string, number> = {};

beforeAll(async () => {
  certs = makeCerts();
  const pairs: Record<string, KeyPair> = {
    leaf: certs.leaf,
    expired: certs.expired,
    fiveDays: certs.fiveDays,
    twentyDays: certs.twentyDays,
    selfSigned: certs.selfSigned,
    otherName: certs.otherName,
  };
  for (const [name, pair] of Object.entries(pairs)) {
    const server = tls.createServer({ ...pair, ca: certs.ca });
    server.on('tlsClientError', () => {});
    servers.push(server);
    ports[name] = await listen(server);
  }
  const mutual = tls.createServer({ ...certs.leaf, ca: certs.ca, requestCert: true, rejectUnauthorized: true }, (s) => s.end('welcome\n'));
  mutual.on('tlsClientError', () => {});
  const tls12 = tls.createServer({ ...certs.leaf, maxVersion: 'TLSv1.2' });
  tls12.on('tlsClientError', () => {});
  servers.push(mutual, tls12);
  ports.mutual = await listen(mutual);
  ports.tls12 = await listen(tls12);
  const plain = rawServer((s) => s.end('SSH-2.0-not-tls\r\n'));
  servers.push(plain);
  ports.plain = await listen(plain);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => close(s)));
  certs.cleanup();
});

const probe = (block: Record<string, unknown>, timeoutMs = 500): Promise<ProbeOutcome> =>
  tlsKind.probe(tlsKind.schema.parse(block), probeContext(timeoutMs));

const block = (server: string, extra: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: ports[server], ca_file: certs.caFile, ...extra });

const DATE = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';

describe('tls schema', () => {
  it('fills defaults', () => {
    const s = tlsKind.schema.parse({ host: 'example.test' });
    expect(s).toMatchObject({ host: 'example.test', port: 443, warnDays: 30, failDays: 7 });
    expect(tlsKind.target(s)).toBe('example.test:443');
  });

  it.each([
    [{ host: 'x', ca_file: '/nonexistent/ca.pem' }, 'ca_file', 'cannot read "/nonexistent/ca.pem": ENOENT'],
    [{ host: 'x', min_version: 'TLS14' }, 'min_version', undefined],
    [{ host: 'x', warn_days: -1 }, 'warn_days', undefined],
    [{ host: 'x', insecure: true }, '', undefined],
  ])('rejects %j', (input, path, message) => {
    const result = tlsKind.schema.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue).toBeDefined();
    if (message) expect(issue!.message).toBe(message);
  });

  it('reports a certificate and key that do not belong together', () => {
    const result = tlsKind.schema.safeParse({ host: 'x', cert_file: join(certs.dir, 'leaf.crt'), key_file: join(certs.dir, 'other.key') });
    expect(result.error?.issues[0]?.message).toMatch(/^cannot use the given ca_file\/cert_file\/key_file: .*key values mismatch/);
  });

  it('reports a file that is not PEM', () => {
    const path = new URL(import.meta.url).pathname;
    const result = tlsKind.schema.safeParse({ host: 'x', ca_file: path });
    expect(result.error?.issues[0]).toMatchObject({ path: ['ca_file'], message: `expected PEM certificates in "${path}", found none` });
  });
});

describe('tls probe', () => {
  it('succeeds on a valid chain and reports it', async () => {
    const o = await probe(block('leaf'));
    expect(o).toMatchObject({ ok: true });
    expect(o.warning).toBeUndefined();
    expect(Object.keys(o.phases).sort()).toEqual(['connect', 'resolve', 'tls']);
    const value = (metric: string) => o.observations.find((x) => x.metric === metric);
    const expiry = value('probe_ssl_earliest_cert_expiry')!.value;
    expect(Math.abs(expiry - (Date.now() / 1000 + 365 * 86400))).toBeLessThan(86400);
    expect(value('probe_ssl_last_chain_expiry_timestamp_seconds')?.value).toBe(expiry);
    expect(value('probe_tls_version_info')).toEqual({ metric: 'probe_tls_version_info', value: 1, labels: { version: 'TLS 1.3' } });
    expect(value('probe_ssl_last_chain_info')?.labels).toMatchObject({
      subject: 'CN=localhost',
      issuer: 'CN=healthmon test CA',
      subjectalternative: 'localhost',
      fingerprint_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      serialnumber: expect.stringMatching(/^[0-9a-f]+$/),
    });
    expect(value('probe_tls_cipher_info')?.labels?.cipher).toMatch(/^TLS_/);
  });

  it('warns when fewer than warn_days are left', async () => {
    const o = await probe(block('twentyDays'));
    expect(o.ok).toBe(true);
    expect(o.warning).toMatch(new RegExp(`^certificate for localhost expires in 19d \\(${DATE}\\), fewer than 30d$`));
  });

  it.each([
    ['fewer than fail_days left', 'fiveDays', {}, `^certificate for localhost expires in 4d \\(${DATE}\\), fewer than 7d$`],
    ['expired', 'expired', {}, `^certificate for localhost expired on ${DATE}$`],
    ['expired, verification skipped', 'expired', { insecure_skip_verify: true }, `^certificate for localhost expired on ${DATE}$`],
  ])('fails cert_expired when %s', async (_what, server, extra, message) => {
    const o = await probe(block(server, extra));
    expect(o).toMatchObject({ ok: false, reason: 'cert_expired' });
    expect(o.message).toMatch(new RegExp(message));
    expect(o.observations.some((x) => x.metric === 'probe_ssl_earliest_cert_expiry')).toBe(true);
  });

  it('lets fail_days and warn_days be tuned', async () => {
    const o = await probe(block('fiveDays', { fail_days: 1, warn_days: 3 }));
    expect(o).toMatchObject({ ok: true });
    expect(o.warning).toBeUndefined();
  });

  it.each([
    ['self-signed', 'selfSigned', {}, 'certificate for localhost not accepted: DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['for another name', 'otherName', {}, 'certificate for other.example not accepted: ERR_TLS_CERT_ALTNAME_INVALID'],
    // The server sends its CA along, as servers with a chain file do.
    ['from an unknown CA', 'leaf', { ca_file: undefined }, 'certificate for localhost not accepted: SELF_SIGNED_CERT_IN_CHAIN'],
  ])('fails tls_error on a certificate %s', async (_what, server, extra, message) => {
    const o = await probe(block(server, extra));
    expect(o).toMatchObject({ ok: false, reason: 'tls_error', message });
  });

  it('accepts an untrusted certificate with insecure_skip_verify', async () => {
    const o = await probe(block('selfSigned', { insecure_skip_verify: true }));
    expect(o).toMatchObject({ ok: true });
    expect(o.observations.some((x) => x.metric === 'probe_ssl_last_chain_expiry_timestamp_seconds')).toBe(false);
  });

  it('checks the certificate against server_name', async () => {
    const o = await probe(block('otherName', { server_name: 'other.example' }));
    expect(o).toMatchObject({ ok: true });
  });

  it('fails tls_error when the peer does not speak TLS', async () => {
    const o = await probe(block('plain'));
    expect(o).toMatchObject({ ok: false, reason: 'tls_error' });
    expect(o.message).toMatch(/^in the TLS handshake: .*wrong version number/);
  });

  it('honours min_version', async () => {
    expect(await probe(block('tls12'))).toMatchObject({ ok: true, observations: expect.arrayContaining([{ metric: 'probe_tls_version_info', value: 1, labels: { version: 'TLS 1.2' } }]) });
    const o = await probe(block('tls12', { min_version: 'TLS13' }));
    expect(o).toMatchObject({ ok: false, reason: 'tls_error' });
  });

  it.each([
    ['with a client certificate', { cert_file: 'leaf.crt', key_file: 'leaf.key' }, { ok: true }],
    ['without one', {}, { ok: false, reason: 'tls_error' }],
  ])('speaks mutual TLS %s', async (_what, files, expected) => {
    const paths = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, join(certs.dir, f)]));
    const settings = tcpKind.schema.parse({ host: '127.0.0.1', port: ports.mutual, tls: { ca_file: certs.caFile, ...paths }, expect: 'welcome' });
    expect(await tcpKind.probe(settings, probeContext(500))).toMatchObject(expected);
  });
});
