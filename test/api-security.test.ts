// The API's guards, end to end: the bearer token (config, environment, rotated file), the network
// policy for registered targets, the audit log, secrets kept out of every answer, and the web
// config's TLS and basic auth on a real server.
import { createServer } from 'node:http';
import { request } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiApp, type ApiApp } from './helpers/api-app.js';
import { close, listen, makeCerts, type CertFiles } from './helpers/probe-peers.js';

const base = (server: string) => `
host:
  enabled: false
server:
  listen: "127.0.0.1:0"
${server}
checks:
  - name: alpha
    kind: test
    test: {id: a}
`;

let running: ApiApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(server: string, options: Parameters<typeof startApiApp>[1] = {}) {
  running = await startApiApp(base(server), options);
  return running;
}

const check = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: 'test', test: { id: name }, ...extra });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('API token', () => {
  it('without a token, answers changes from loopback clients', async () => {
    const h = await start('');
    expect((await h.call('POST', '/health/services', { body: check('one') })).status).toBe(201);
    expect((await h.call('GET', '/audit')).body.entries[0]).toMatchObject({ actor: 'loopback', remote: '127.0.0.1', method: 'POST', path: '/health/services', check: 'one', outcome: 'ok', status: 201 });
  });

  it('with a token in the config, wants it for every change (loopback too) and for the audit log, not for reading', async () => {
    const h = await start('  api: {token: "t0ken-from-config"}');
    const missing = await h.call('POST', '/health/services', { body: check('one') });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="healthmon"');
    expect(missing.body).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'this needs the API token: send it as "Authorization: Bearer <token>"' });
    const wrong = await h.call('DELETE', '/health/services/one', { headers: bearer('nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="healthmon", error="invalid_token"');
    expect(wrong.body.detail).toBe('the bearer token is not the API token');
    expect((await h.call('GET', '/audit')).status).toBe(401);

    expect((await h.call('POST', '/health/services', { body: check('one'), headers: bearer('t0ken-from-config') })).status).toBe(201);
    expect((await h.call('PUT', '/health/services/one', { body: { kind: 'test', test: { id: 'x' } }, headers: bearer('t0ken-from-config') })).status).toBe(200);
    expect((await h.call('GET', '/health/services/one')).status).toBe(200);
    expect((await h.call('GET', '/status')).status).toBe(200);

    const audit = await h.call('GET', '/audit', { headers: bearer('t0ken-from-config') });
    expect(audit.status).toBe(200);
    expect(audit.body.entries.map((e: { actor: string; method: string; outcome: string; status: number }) => [e.actor, e.method, e.outcome, e.status])).toEqual([
      ['token:config', 'PUT', 'ok', 200],
      ['token:config', 'POST', 'ok', 201],
      ['anonymous', 'DELETE', 'denied', 401],
      ['anonymous', 'POST', 'denied', 401],
    ]);
    expect(audit.body.entries[0]).toMatchObject({ check: 'one', change: { before: check('one'), after: { name: 'one', kind: 'test', test: { id: 'x' } } } });
    expect(audit.body.entries[0].at).toMatch(/^2026-01-01T00:00:00\.000Z$/);
    expect(JSON.stringify((await h.call('GET', '/config')).body)).not.toContain('t0ken-from-config');
  });

  it('takes the token from HEALTHMON_API_TOKEN when the config has none', async () => {
    const h = await start('', { deps: { apiToken: 'env-t0ken' } });
    expect((await h.call('POST', '/health/services', { body: check('one') })).status).toBe(401);
    expect((await h.call('POST', '/health/services', { body: check('one'), headers: bearer('env-t0ken') })).status).toBe(201);
    expect((await h.call('GET', '/audit', { headers: bearer('env-t0ken') })).body.entries[0].actor).toBe('token:env');
  });

  it('reads the token file when it changes, and refuses changes while it is missing', async () => {
    const h = await start('  api: {token_file: ./api-token}');
    const file = join(h.dir, 'api-token');
    expect(await h.call('POST', '/health/services', { body: check('one') })).toMatchObject({
      status: 503, body: { detail: `changes are refused: the API token file ${file} cannot be read (ENOENT)` },
    });
    writeFileSync(file, 'first-t0ken\n');
    expect((await h.call('POST', '/health/services', { body: check('one'), headers: bearer('first-t0ken') })).status).toBe(201);
    writeFileSync(file, 'second-t0ken-rotated\n');
    expect((await h.call('DELETE', '/health/services/one', { headers: bearer('first-t0ken') })).status).toBe(401);
    expect((await h.call('DELETE', '/health/services/one', { headers: bearer('second-t0ken-rotated') })).status).toBe(204);
    expect((await h.call('GET', '/audit', { headers: bearer('second-t0ken-rotated') })).body.entries[0]).toMatchObject({ actor: 'token:file', method: 'DELETE', check: 'one' });
  });
});

describe('network policy for registered targets', () => {
  const http = (name: string, url: string) => ({ name, kind: 'http', http: { url } });
  const tcp = (name: string, host: string) => ({ name, kind: 'tcp', tcp: { host, port: 80 } });

  it('refuses link-local and cloud metadata addresses by default, and allows loopback', async () => {
    const h = await start('');
    const refused = async (body: unknown) => {
      const res = await h.call('POST', '/health/services', { body });
      expect(res.status).toBe(403);
      return res.body.detail as string;
    };
    expect(await refused(http('imds', 'http://169.254.169.254/latest/meta-data/'))).toBe(
      'target host "169.254.169.254" is refused: 169.254.169.254 is a cloud metadata address (AWS, GCP, Azure, OpenStack, Oracle)',
    );
    expect(await refused(tcp('ll6', 'fe80::1'))).toBe('target host "fe80::1" is refused: fe80::1 is link-local (fe80::/10)');
    expect(await refused(http('ll6-url', 'http://[fe80::1]:8080/'))).toBe('target host "fe80::1" is refused: fe80::1 is link-local (fe80::/10)');
    expect(await refused(http('gcp', 'http://metadata.google.internal/computeMetadata/v1/'))).toBe('target host "metadata.google.internal" is refused: it names a cloud metadata service');
    expect(await refused(http('mapped', 'http://[::ffff:169.254.169.254]/'))).toMatch(/cloud metadata address/);
    expect((await h.call('POST', '/health/services', { body: http('local', 'http://127.0.0.1:1/') })).status).toBe(201);
    // Changing a registered check to a refused target is refused too.
    expect((await h.call('PUT', '/health/services/local', { body: { kind: 'http', http: { url: 'http://169.254.169.254/' } } })).status).toBe(403);
    const audit = (await h.call('GET', '/audit?check=imds')).body.entries;
    expect(audit[0]).toMatchObject({ outcome: 'rejected', status: 403, detail: expect.stringContaining('169.254.169.254 is a cloud metadata address') });
  });

  it('refuses a name that resolves into deny_networks', async () => {
    const h = await start('  api: {deny_networks: ["127.0.0.0/8"]}');
    expect(await h.call('POST', '/health/services', { body: tcp('local', 'localhost') })).toMatchObject({
      status: 403, body: { detail: 'target host "localhost" is refused: it resolves to 127.0.0.1, which is in deny_networks 127.0.0.0/8' },
    });
    expect((await h.call('POST', '/health/services', { body: tcp('v4', '127.0.0.2') })).body.detail).toBe('target host "127.0.0.2" is refused: 127.0.0.2 is in deny_networks 127.0.0.0/8');
  });

  it('with allow_networks, accepts only targets inside them', async () => {
    const names: Record<string, string[]> = { 'svc.internal.test': ['10.20.30.40'], 'outside.test': ['192.0.2.1'] };
    const lookup = async (host: string) => names[host] ?? Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    const h = await start('  api: {allow_networks: ["10.0.0.0/8"]}', { deps: { lookup } });
    expect((await h.call('POST', '/health/services', { body: tcp('in', 'svc.internal.test') })).status).toBe(201);
    expect((await h.call('POST', '/health/services', { body: tcp('in-ip', '10.1.2.3') })).status).toBe(201);
    expect((await h.call('POST', '/health/services', { body: tcp('out', 'outside.test') })).body.detail).toBe(
      'target host "outside.test" is refused: it resolves to 192.0.2.1, which is not in allow_networks (10.0.0.0/8)',
    );
    expect((await h.call('POST', '/health/services', { body: tcp('local', '127.0.0.1') })).body.detail).toBe('target host "127.0.0.1" is refused: 127.0.0.1 is not in allow_networks (10.0.0.0/8)');
    expect((await h.call('POST', '/health/services', { body: tcp('ghost', 'ghost.test') })).body.detail).toBe(
      'target host "ghost.test" is refused: it does not resolve (ENOTFOUND), so it cannot be checked against the network policy',
    );
  });
});

describe('network policy at connect time', () => {
  it('refuses a redirect into a denied network', async () => {
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.2:9/latest/meta-data/' }).end();
    });
    const port = await listen(redirector);
    try {
      const h = await start('  api: {deny_networks: ["127.0.0.2/32"]}');
      expect((await h.call('POST', '/health/services', { body: { name: 'hop', kind: 'http', http: { url: `http://127.0.0.1:${port}/` } } })).status).toBe(201);
      const hop = (await h.app.runOnce()).find((r) => r.check === 'hop');
      expect(hop).toMatchObject({ ok: false, reason: 'connection_refused', message: expect.stringContaining('not connecting to 127.0.0.2: the API network policy refuses it (127.0.0.2 is in deny_networks 127.0.0.2/32)') });
    } finally {
      await close(redirector);
    }
  });

  it('refuses a name that resolves into a denied network after it was registered', async () => {
    // At registration "localhost" is said to be 192.0.2.7; at run time the system resolver says 127.0.0.1.
    const lookup = async (host: string) => (host === 'localhost' ? ['192.0.2.7'] : Promise.reject(new Error('unexpected')));
    const h = await start('  api: {deny_networks: ["127.0.0.0/8"]}', { deps: { lookup } });
    expect((await h.call('POST', '/health/services', { body: { name: 'rebound', kind: 'tcp', tcp: { host: 'localhost', port: 22 } } })).status).toBe(201);
    const rebound = (await h.app.runOnce()).find((r) => r.check === 'rebound');
    expect(rebound).toMatchObject({ ok: false, reason: 'connection_refused', message: 'not connecting to 127.0.0.1: the API network policy refuses it (127.0.0.1 is in deny_networks 127.0.0.0/8)' });
  });

  it('follows a redirect the policy allows', async () => {
    const target = createServer((_req, res) => res.end('ok'));
    const targetPort = await listen(target);
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${targetPort}/` }).end();
    });
    const port = await listen(redirector);
    try {
      const h = await start(`  api: {deny_networks: ["127.0.0.2/32"]}`);
      expect((await h.call('POST', '/health/services', { body: { name: 'hop', kind: 'http', http: { url: `http://127.0.0.1:${port}/` } } })).status).toBe(201);
      const results = await h.app.runOnce();
      expect(results.find((r) => r.check === 'hop')).toMatchObject({ ok: true });
    } finally {
      await close(redirector);
      await close(target);
    }
  });
});

describe('secrets', () => {
  it('never shows a secret in /config, the audit log or a check', async () => {
    const h = await start('  api: {token: "api-t0ken-secret"}\nalerting:\n  receivers:\n    - name: hook\n      webhook_configs: [{url: "http://127.0.0.1:18080/hook?key=receiver-url-secret"}]\n  route: {receiver: hook}');
    const body = {
      name: 'private', kind: 'http',
      http: { url: 'http://user:url-password-secret@127.0.0.1:1/health', bearer_token: 'bearer-secret-value', headers: { 'X-Api-Key': 'header-secret-value', Accept: 'application/json' } },
    };
    expect((await h.call('POST', '/health/services', { body, headers: bearer('api-t0ken-secret') })).status).toBe(201);
    expect((await h.call('POST', '/health/services', { body: { ...body, name: 'bad', http: { ...body.http, valid_status_codes: ['nope'] } }, headers: bearer('api-t0ken-secret') })).status).toBe(422);
    const answers = [
      await h.call('GET', '/config'),
      await h.call('GET', '/audit', { headers: bearer('api-t0ken-secret') }),
      await h.call('GET', '/health/services/private'),
      await h.call('GET', '/health/services'),
    ];
    for (const a of answers) {
      expect(a.status).toBe(200);
      for (const secret of ['api-t0ken-secret', 'receiver-url-secret', 'url-password-secret', 'bearer-secret-value', 'header-secret-value']) expect(a.text).not.toContain(secret);
    }
    const config = answers[0]!.body;
    expect(config.server.api.token).toBe('<secret>');
    expect(config.checks.map((c: { name: string; source: string }) => [c.name, c.source])).toEqual([['alpha', 'file'], ['private', 'api']]);
    expect(config.checks[0].fingerprint).toBeUndefined();
    expect(answers[1]!.body.entries[1].change.after.http).toEqual({ url: '<secret>', bearer_token: '<secret>', headers: { 'X-Api-Key': '<secret>', Accept: 'application/json' } });
  });
});

describe('web config', () => {
  let certs: CertFiles;
  beforeAll(() => {
    certs = makeCerts();
    writeFileSync(join(certs.dir, 'server.crt'), certs.leaf.cert);
    writeFileSync(join(certs.dir, 'server.key'), certs.leaf.key);
  });
  afterAll(() => certs.cleanup());

  const get = (url: string, options: { ca?: Buffer; cert?: Buffer; key?: Buffer; headers?: Record<string, string> } = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { ca: options.ca, cert: options.cert, key: options.key, headers: options.headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves HTTPS with the certificate from tls_server_config', async () => {
    const h = await startApiApp(base('  web_config_file: web.yml'), { scheme: 'https' }, undefined).catch(() => undefined);
    expect(h).toBeUndefined(); // web.yml does not exist yet: the config does not load
    const dir = certs.dir;
    writeFileSync(join(dir, 'web.yml'), `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS12\nhttp_server_config:\n  headers: {Strict-Transport-Security: max-age=31536000}\n`);
    running = await startApiApp(base(`  web_config_file: ${join(dir, 'web.yml')}`), { scheme: 'https' });
    const res = await get(`${running.base}/status`, { ca: certs.ca });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ version: '1.2.3-test' });
    await expect(get(`${running.base}/status`)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    await expect(fetch(`${running.base.replace('https:', 'http:')}/status`)).rejects.toThrow();
  });

  it('wants a client certificate the CA signed when client_auth_type says so', async () => {
    const dir = certs.dir;
    writeFileSync(join(dir, 'web-mtls.yml'), `tls_server_config: {cert_file: server.crt, key_file: server.key, client_ca_file: ca.crt}\n`);
    running = await startApiApp(base(`  web_config_file: ${join(dir, 'web-mtls.yml')}`), { scheme: 'https' });
    await expect(get(`${running.base}/status`, { ca: certs.ca })).rejects.toThrow();
    await expect(get(`${running.base}/status`, { ca: certs.ca, cert: certs.selfSigned.cert, key: certs.selfSigned.key })).rejects.toThrow();
    expect((await get(`${running.base}/status`, { ca: certs.ca, cert: certs.leaf.cert, key: certs.leaf.key })).status).toBe(200);
  });

  it('asks every request for basic auth with a bcrypt hash, lets the API token through, and names the user in the audit log', async () => {
    const hash = bcrypt.hashSync('alice-password', 4);
    const b = await start('  web_config_file: web-basic.yml', { files: { 'web-basic.yml': `basic_auth_users:\n  alice: "${hash}"\n` } });
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    const denied = await b.call('GET', '/metrics');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Basic realm="healthmon", charset="UTF-8"');
    expect(denied.body.detail).toBe('this server needs a user name and password (HTTP basic auth)');
    expect((await b.call('GET', '/metrics', { headers: basic('alice', 'wrong') })).status).toBe(401);
    expect((await b.call('GET', '/metrics', { headers: basic('mallory', 'alice-password') })).status).toBe(401);
    expect((await b.call('GET', '/metrics', { headers: basic('alice', 'alice-password') })).status).toBe(200);
    // Verified once, remembered: the second answer does not pay for bcrypt again.
    expect((await b.call('GET', '/-/healthy', { headers: basic('alice', 'alice-password') })).status).toBe(200);
    expect((await b.call('POST', '/health/services', { body: check('by-alice'), headers: basic('alice', 'alice-password') })).status).toBe(201);
    const audit = await b.call('GET', '/audit', { headers: basic('alice', 'alice-password') });
    expect(audit.body.entries[0]).toMatchObject({ actor: 'basic:alice', check: 'by-alice', outcome: 'ok' });
  });
});

describe('basic auth and the API token together', () => {
  it('lets a request with the API token past basic auth, and still wants the token for changes', async () => {
    const hash = bcrypt.hashSync('pw', 4);
    const h = await start('  web_config_file: web.yml\n  api: {token: "both-t0ken"}', { files: { 'web.yml': `basic_auth_users: {bob: "${hash}"}\n` } });
    const basic = { authorization: `Basic ${Buffer.from('bob:pw').toString('base64')}` };
    expect((await h.call('GET', '/metrics', { headers: bearer('both-t0ken') })).status).toBe(200);
    expect((await h.call('GET', '/metrics', { headers: bearer('not-it') })).status).toBe(401);
    expect((await h.call('GET', '/status', { headers: basic })).status).toBe(200);
    expect((await h.call('POST', '/health/services', { body: check('x'), headers: basic })).status).toBe(401);
    expect((await h.call('POST', '/health/services', { body: check('x'), headers: bearer('both-t0ken') })).status).toBe(201);
  });
});

describe('reload', () => {
  it('stays open as in Prometheus, and is written to the audit log', async () => {
    const h = await start('  api: {token: "t"}');
    expect((await h.call('POST', '/-/reload')).status).toBe(200);
    expect((await h.call('GET', '/audit', { headers: bearer('t') })).body.entries[0]).toMatchObject({ actor: 'anonymous', method: 'POST', path: '/-/reload', outcome: 'ok', status: 200 });
  });
});
