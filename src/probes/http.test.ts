import http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { close, listen, makeCerts, probeContext, type CertFiles } from '../../test/helpers/probe-peers.js';
import { httpKind } from './http.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const routes: Record<string, Handler> = {
  '/ok': (_q, res) => res.end('all ok'),
  '/status/500': (_q, res) => res.writeHead(500).end('boom'),
  '/status/404': (_q, res) => res.writeHead(404).end(),
  '/json/down': (_q, res) => res.setHeader('content-type', 'application/json').end('{"status":"DOWN","queue":{"depth":150}}'),
  '/json/up': (_q, res) => res.end('{"status":"UP","queue":{"depth":3},"tags":["a","b"],"version":"2.1"}'),
  '/not-json': (_q, res) => res.end('<html>'),
  '/error-page': (_q, res) => res.end('internal error happened'),
  '/redirect': (_q, res) => res.writeHead(302, { location: '/ok' }).end(),
  '/loop': (_q, res) => res.writeHead(302, { location: '/loop' }).end(),
  '/see-other': (_q, res) => res.writeHead(303, { location: '/echo' }).end(),
  '/bad-location': (_q, res) => res.writeHead(301, { location: 'ftp://example.invalid/' }).end(),
  '/hundred': (_q, res) => res.end('x'.repeat(100)),
  '/chunked': (_q, res) => {
    res.write('x'.repeat(50));
    res.end('y'.repeat(50));
  },
  '/modified': (_q, res) => res.writeHead(200, { 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT' }).end('ok'),
  '/echo': (req, res, body) => res.end(JSON.stringify({ method: req.method, body, authorization: req.headers.authorization ?? null, host: req.headers.host, x: req.headers['x-test'] ?? null })),
};

const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (route) route(req, res, body);
    else res.writeHead(404).end();
  });
};

let base = '';
let httpsBase = '';
let certs: CertFiles;
const servers: http.Server[] = [];

beforeAll(async () => {
  certs = makeCerts();
  const plain = http.createServer(handle);
  const secure = https.createServer({ cert: certs.leaf.cert, key: certs.leaf.key }, handle);
  servers.push(plain, secure);
  base = `http://127.0.0.1:${await listen(plain)}`;
  httpsBase = `https://127.0.0.1:${await listen(secure)}`;
});

afterAll(async () => {
  await Promise.all(servers.map(close));
  certs.cleanup();
});

async function probe(block: Record<string, unknown>, timeoutMs = 500): Promise<ProbeOutcome> {
  return httpKind.probe(httpKind.schema.parse(block), probeContext(timeoutMs));
}

function observed(o: ProbeOutcome, metric: string, labels?: Record<string, string>): number | undefined {
  return o.observations.find((x) => x.metric === metric && (!labels || JSON.stringify(x.labels) === JSON.stringify(labels)))?.value;
}

describe('http schema', () => {
  it('fills defaults', () => {
    const s = httpKind.schema.parse({ url: 'http://example.test/health?token=1' });
    expect(s.method).toBe('GET');
    expect(s.maxRedirects).toBe(10);
    expect(s.maxBodyBytes).toBe(1024 * 1024);
    expect(s.validStatusCodes.text).toBe('2xx');
    expect(httpKind.target(s)).toBe('http://example.test/health');
  });

  it('turns basic_auth and bearer_token into an authorization header', () => {
    expect(httpKind.schema.parse({ url: 'http://x.test/', basic_auth: { username: 'u', password: 'p' } }).headers.authorization).toBe('Basic dTpw');
    expect(httpKind.schema.parse({ url: 'http://x.test/', bearer_token: 't' }).headers.authorization).toBe('Bearer t');
  });

  it.each([
    [{ url: 'ftp://x.test/' }, 'url', 'expected an http:// or https:// URL, got "ftp://x.test/"'],
    [{ url: 'http://x.test/', valid_status_codes: [200, '6xx'] }, 'valid_status_codes.1', 'expected a status code like 200 or a class like "2xx", got "6xx"'],
    [{ url: 'http://x.test/', json: ['$.status = "UP"'] }, 'json.0', 'invalid condition "$.status = \\"UP\\"": expected one of == != <= >= < > contains matches after $.status'],
    [{ url: 'http://x.test/', json: ['$.status == UP'] }, 'json.0', 'invalid condition "$.status == UP": expected a JSON value after == (a string needs double quotes), got "UP"'],
    [{ url: 'http://x.test/', json: ['status == 1'] }, 'json.0', 'invalid condition "status == 1": a path must start with "$"'],
    [{ url: 'http://x.test/', body_must_match: ['('] }, 'body_must_match.0', /invalid regular expression "\("/],
    [{ url: 'http://x.test/', basic_auth: { username: 'u' }, bearer_token: 't' }, 'bearer_token', 'basic_auth and bearer_token exclude each other; set one'],
    [{ url: 'http://x.test/', tls: { ca_file: '/nonexistent/ca.pem' } }, 'tls.ca_file', 'cannot read "/nonexistent/ca.pem": ENOENT'],
    [{ url: 'http://x.test/', max_body_bytes: 'lots' }, 'max_body_bytes', 'expected a size like "10MiB" or a number of bytes, got "lots"'],
  ])('rejects %j', (block, path, message) => {
    const result = httpKind.schema.safeParse(block);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toMatch(message instanceof RegExp ? message : new RegExp(`^${escape(message)}$`));
  });

  it('rejects unknown keys', () => {
    const result = httpKind.schema.safeParse({ url: 'http://x.test/', methd: 'GET' });
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys');
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('http probe', () => {
  it('succeeds with phases and blackbox observations', async () => {
    const o = await probe({ url: `${base}/ok` });
    expect(o).toMatchObject({ ok: true });
    expect(Object.keys(o.phases).sort()).toEqual(['connect', 'processing', 'resolve', 'tls', 'transfer']);
    expect(o.phases.connect).toBeGreaterThan(0);
    expect(observed(o, 'probe_http_status_code')).toBe(200);
    expect(observed(o, 'probe_http_version')).toBe(1.1);
    expect(observed(o, 'probe_http_content_length')).toBe(6);
    expect(observed(o, 'probe_http_uncompressed_body_length')).toBe(6);
    expect(observed(o, 'probe_http_redirects')).toBe(0);
    expect(observed(o, 'probe_http_ssl')).toBe(0);
    expect(observed(o, 'probe_failed_due_to_regex')).toBe(0);
    expect(observed(o, 'probe_dns_lookup_time_seconds')).toBe(0);
    for (const phase of ['resolve', 'connect', 'tls', 'processing', 'transfer']) {
      expect(observed(o, 'probe_http_duration_seconds', { phase })).toBeGreaterThanOrEqual(0);
    }
    expect(observed(o, 'probe_ssl_earliest_cert_expiry')).toBeUndefined();
  });

  it('resolves host names and times the lookup', async () => {
    const o = await probe({ url: `${base.replace('127.0.0.1', 'localhost')}/ok`, ip_protocol: 'ip4' });
    expect(o.ok).toBe(true);
    expect(o.phases.resolve).toBeGreaterThan(0);
  });

  it.each([
    [{ path: '/status/500' }, 'status_mismatch', 'status 500, expected 2xx'],
    [{ path: '/status/404', valid_status_codes: [200, '3xx'] }, 'status_mismatch', 'status 404, expected 200, 3xx'],
    [{ path: '/redirect', follow_redirects: 0 }, 'status_mismatch', 'status 302, expected 2xx'],
    [{ path: '/ok', body_must_match: ['^ok$'] }, 'body_mismatch', 'body does not match /^ok$/'],
    [{ path: '/error-page', body_must_not_match: ['error'] }, 'body_mismatch', 'body matches /error/'],
    [{ path: '/json/down', json: ['$.status == "UP"'] }, 'condition_failed', '$.status was "DOWN", expected "UP"'],
    [{ path: '/json/down', json: ['$.queue.depth < 100'] }, 'condition_failed', '$.queue.depth was 150, expected < 100'],
    [{ path: '/json/down', json: ['$.missing == 1', '$.status != "DOWN"'] }, 'condition_failed', '$.missing was missing, expected 1; $.status was "DOWN", expected != "DOWN"'],
    [{ path: '/not-json', json: ['$.status == "UP"'] }, 'condition_failed', /^body is not JSON \(.*\), needed for \$\.status == "UP"$/],
    [{ path: '/loop', follow_redirects: 3 }, 'redirect_limit', /^more than 3 redirects \(follow_redirects\), next was http:\/\/127\.0\.0\.1:\d+\/loop$/],
    [{ path: '/bad-location' }, 'protocol_error', 'status 301 with an unusable Location "ftp://example.invalid/"'],
    [{ path: '/hundred', max_body_bytes: 10 }, 'too_large', 'content-length 100 exceeds max_body_bytes 10'],
    [{ path: '/chunked', max_body_bytes: 60 }, 'too_large', 'body larger than max_body_bytes 60'],
  ])('fails %j', async ({ path, ...rest }, reason, message) => {
    const o = await probe({ url: `${base}${path}`, ...rest });
    expect(o.ok).toBe(false);
    expect(o.reason).toBe(reason);
    if (message instanceof RegExp) expect(o.message).toMatch(message);
    else expect(o.message).toBe(message);
    expect(observed(o, 'probe_failed_due_to_regex')).toBe(reason === 'body_mismatch' ? 1 : 0);
  });

  it('passes json conditions with every operator', async () => {
    const json = ['$.status == "UP"', '$.status != "DOWN"', '$.queue.depth < 100', '$.queue.depth <= 3', '$.queue.depth > 2', '$.queue.depth >= 3', '$.tags contains "b"', '$.version matches "^2\\\\."', '$["tags"][-1] == "b"', '$.tags == ["a","b"]'];
    const o = await probe({ url: `${base}/json/up`, json, body_must_match: ['UP'] });
    expect(o).toMatchObject({ ok: true });
  });

  it('follows redirects and counts them', async () => {
    const o = await probe({ url: `${base}/redirect` });
    expect(o.ok).toBe(true);
    expect(observed(o, 'probe_http_redirects')).toBe(1);
    expect(observed(o, 'probe_http_status_code')).toBe(200);
  });

  it('turns a POST into a GET on 303 and sends method, body and headers', async () => {
    const post = await probe({ url: `${base}/echo`, method: 'post', body: 'hello', headers: { 'X-Test': 'yes' }, bearer_token: 'secret', json: ['$.method == "POST"', '$.body == "hello"', '$.x == "yes"', '$.authorization == "Bearer secret"'] });
    expect(post).toMatchObject({ ok: true });
    const redirected = await probe({ url: `${base}/see-other`, method: 'POST', body: 'hello', json: ['$.method == "GET"', '$.body == ""'] });
    expect(redirected).toMatchObject({ ok: true });
  });

  it('reports Last-Modified', async () => {
    const o = await probe({ url: `${base}/modified` });
    expect(observed(o, 'probe_http_last_modified_timestamp_seconds')).toBe(Date.parse('2015-10-21T07:28:00Z') / 1000);
  });

  it('speaks https with a configured CA and reports the certificate', async () => {
    const o = await probe({ url: `${httpsBase}/ok`, tls: { ca_file: certs.caFile } });
    expect(o).toMatchObject({ ok: true });
    expect(o.phases.tls).toBeGreaterThan(0);
    expect(observed(o, 'probe_http_ssl')).toBe(1);
    const expiry = observed(o, 'probe_ssl_earliest_cert_expiry')!;
    expect(Math.abs(expiry - (Date.now() / 1000 + 365 * 86400))).toBeLessThan(86400);
    expect(o.observations.find((x) => x.metric === 'probe_tls_version_info')?.labels).toEqual({ version: 'TLS 1.3' });
  });

  it.each([
    [{}, 'tls_error', 'certificate for localhost not accepted: UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    [{ tls: { ca_file: 'CA', server_name: 'other.example' } }, 'tls_error', 'certificate for localhost not accepted: ERR_TLS_CERT_ALTNAME_INVALID'],
  ])('fails https on an untrusted certificate %j', async (extra, reason, message) => {
    const block = JSON.parse(JSON.stringify(extra).replace('"CA"', JSON.stringify(certs.caFile))) as Record<string, unknown>;
    const o = await probe({ url: `${httpsBase}/ok`, ...block });
    expect(o).toMatchObject({ ok: false, reason, message });
    expect(observed(o, 'probe_http_ssl')).toBe(0);
  });

  it('accepts any certificate with insecure_skip_verify', async () => {
    const o = await probe({ url: `${httpsBase}/ok`, tls: { insecure_skip_verify: true } });
    expect(o).toMatchObject({ ok: true });
    expect(observed(o, 'probe_ssl_last_chain_expiry_timestamp_seconds')).toBeUndefined();
  });
});
