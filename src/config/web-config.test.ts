import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type CertFiles } from '../../test/helpers/probe-peers.js';
import { loadConfig } from './load.js';
import { loadWebConfig } from './web-config.js';

let certs: CertFiles;
let dir: string;
beforeAll(() => {
  certs = makeCerts();
  dir = mkdtempSync(join(tmpdir(), 'healthmon-web-'));
  writeFileSync(join(dir, 'leaf.crt'), certs.leaf.cert);
  writeFileSync(join(dir, 'leaf.key'), certs.leaf.key);
  writeFileSync(join(dir, 'other.key'), certs.otherName.key);
});
afterAll(() => certs.cleanup());

const deps = { env: {}, readFile: (p: string) => readFileSync(p, 'utf8') };
function web(text: string) {
  const file = join(dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  const out = loadWebConfig(file, deps);
  return out.ok ? out : { ok: false as const, problems: out.problems.map((p) => p.replaceAll(file, 'web.yml').replaceAll(`${dir}/`, '')) };
}

describe('web config', () => {
  it('reads TLS (files relative to it) and basic auth users, with exporter-toolkit defaults', () => {
    const hash = bcrypt.hashSync('pw', 4);
    const out = web(`tls_server_config:\n  cert_file: leaf.crt\n  key_file: leaf.key\nbasic_auth_users:\n  alice: "${hash}"\nhttp_server_config:\n  headers: {x-frame-options: deny}\n`);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.config.tls).toMatchObject({ certFile: join(dir, 'leaf.crt'), clientAuthType: 'NoClientCert', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(out.config.tls?.cert).toContain('BEGIN CERTIFICATE');
    expect(out.config.basicAuthUsers).toEqual({ alice: hash });
    expect(out.config.headers).toEqual({ 'X-Frame-Options': 'deny' });
  });

  it('requires verified client certificates when only a client CA is given', () => {
    const out = web(`tls_server_config: {cert_file: leaf.crt, key_file: leaf.key, client_ca_file: ${certs.caFile}, min_version: TLS13}\n`);
    expect(out.ok && out.config.tls).toMatchObject({ clientAuthType: 'RequireAndVerifyClientCert', clientCaFile: certs.caFile, minVersion: 'TLSv1.3' });
  });

  it('an empty file turns nothing on', () => {
    const out = web('');
    expect(out).toMatchObject({ ok: true, config: { basicAuthUsers: {}, headers: {} } });
    expect(out.ok && out.config.tls).toBeUndefined();
  });

  it.each([
    ['tls_server_config: {cert_file: leaf.crt, key_file: other.key}\n', /^tls_server_config\.cert_file \(web\.yml:1\): the certificate, key do not load together: .*key values mismatch/],
    ['tls_server_config: {cert_file: leaf.crt, key_file: leaf.key, min_version: TLS13, max_version: TLS12}\n', /^tls_server_config\.max_version \(web\.yml:1\): max_version TLS12 is below min_version TLS13$/],
    ['tls_server_config: {cert_file: leaf.crt, key_file: leaf.key, client_auth_type: Sometimes}\n', /^tls_server_config\.client_auth_type \(web\.yml:1\): expected one of "NoClientCert", /],
    ['tls_server_config:\n  cert_file: leaf.crt\n  key_file: leaf.key\n  http2: true\n', /^tls_server_config\.http2 \(web\.yml:4\): "http2" is an exporter-toolkit setting that healthmon does not support$/],
    ['http_server_config: {headers: {Server: x}}\n', /^http_server_config\.headers\.Server \(web\.yml:1\): only these headers can be set: Content-Security-Policy, /],
    ['basic_auth_user: {alice: x}\n', /^basic_auth_user \(web\.yml:1\): unknown key "basic_auth_user"$/],
  ])('%j', (text, message) => {
    const out = web(text);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.problems).toHaveLength(1);
    expect(out.problems[0]).toMatch(message);
  });

  it('is read with the config file, and a reload reads it again', () => {
    writeFileSync(join(dir, 'web.yml'), 'tls_server_config: {cert_file: leaf.crt, key_file: leaf.key}\n');
    writeFileSync(join(dir, 'healthmon.yaml'), 'host: {enabled: false}\nserver:\n  web_config_file: web.yml\n  api: {token_file: ./token}\n');
    const config = loadConfig(join(dir, 'healthmon.yaml'), { kinds: {}, env: {} });
    expect(config.server.webConfigFile).toBe(join(dir, 'web.yml'));
    expect(config.server.web?.tls?.keyFile).toBe(join(dir, 'leaf.key'));
    // token_file stays a path (read when needed, so it can be rotated), unlike other *_file keys.
    expect(config.server.api).toEqual({ tokenFile: join(dir, 'token'), allowNetworks: [], denyNetworks: [] });
  });
});
