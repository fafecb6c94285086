import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter, redactUrl, scrub, sendHttp } from './http-send.js';
import { startRecorder, type Recorder } from '../../test/helpers/receivers.js';
import type { HttpDelivery } from './receivers/types.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 12:01:00 GMT', 60_000],
    ['Thursday, 01-Jan-26 12:00:05 GMT', 5_000],
    ['Thu Jan  1 12:00:02 2026', 2_000],
    // A date in the past means now.
    ['Thu, 01 Jan 2026 11:00:00 GMT', 0],
  ])('%j → %d ms', (header, ms) => {
    expect(parseRetryAfter(header, NOW)).toBe(ms);
  });

  it.each([null, undefined, '', '1.5', '-3', 'soon', 'Thu, 99 Foo 2026'])('%j → undefined', (header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });
});

describe('redactUrl and scrub', () => {
  it('keeps scheme and host only', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/secret?x=1')).toBe('https://hooks.slack.com/…');
    expect(redactUrl('http://[::1]:8080/a')).toBe('http://[::1]:8080/…');
    expect(redactUrl('not a url')).toBe('<invalid URL>');
  });

  it('cuts every secret out, longest first', () => {
    expect(scrub('url=https://x/abc/def path=/abc/def key=k123', ['/abc/def', 'https://x/abc/def', 'k123'])).toBe('url=<secret> path=<secret> key=<secret>');
  });
});

describe('sendHttp', () => {
  let rec: Recorder;
  const delivery = (over: Partial<HttpDelivery> = {}): HttpDelivery => ({
    type: 'http',
    url: `${rec.base}/in/path-secret`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bearer-secret' },
    body: '{}',
    timeoutMs: 2000,
    ...over,
  });
  const opts = { now: () => NOW, secrets: [] };

  beforeAll(async () => {
    rec = await startRecorder();
  });
  afterAll(async () => {
    await rec.close();
  });

  it('reads only the first part of a large error body and quotes less of it', async () => {
    rec.reply({ status: 422, body: `${'x'.repeat(600)}${'y'.repeat(4 * 1024 * 1024)}` });
    const out = await sendHttp(delivery(), opts);
    expect(out.outcome).toBe('failed');
    if (out.outcome === 'ok') return;
    expect(out.error).toBe(`POST ${rec.base}/…: 422 Unprocessable Entity: ${'x'.repeat(512)}…`);
  });

  it('puts an error body on one line', async () => {
    rec.reply({ status: 400, body: 'line one\r\nline\ttwo\n' });
    const out = await sendHttp(delivery(), opts);
    expect(out).toMatchObject({ outcome: 'failed', error: `POST ${rec.base}/…: 400 Bad Request: line one line two` });
  });

  it('does not follow redirects, which would carry keys elsewhere', async () => {
    rec.reply({ status: 302, headers: { location: 'https://elsewhere.example.com/next?key=1' } });
    const before = rec.requests.length;
    const out = await sendHttp(delivery(), opts);
    expect(out).toEqual({
      outcome: 'failed',
      reason: 'unexpected_status',
      status: 302,
      error: `POST ${rec.base}/…: 302 Found: redirected to https://elsewhere.example.com/…; configure the final URL`,
    });
    expect(rec.requests.length).toBe(before + 1);
  });

  it('retries a 5xx after its Retry-After too', async () => {
    rec.reply({ status: 503, headers: { 'retry-after': '3' } });
    expect(await sendHttp(delivery(), opts)).toEqual({ outcome: 'retry', reason: 'server_error', status: 503, retryAfterMs: 3000, error: `POST ${rec.base}/…: 503 Service Unavailable` });
  });

  it('retries a 429 without Retry-After with no delay of its own', async () => {
    rec.reply({ status: 429 });
    const out = await sendHttp(delivery(), opts);
    expect(out).toEqual({ outcome: 'retry', reason: 'rate_limited', status: 429, error: `POST ${rec.base}/…: 429 Too Many Requests` });
  });

  it('fails for good on a request fetch refuses to make, without showing the header value', async () => {
    const out = await sendHttp(delivery({ headers: { authorization: 'Bearer a\nb-secret' } }), { ...opts, secrets: ['a\nb-secret'] });
    expect(out).toMatchObject({ outcome: 'failed', reason: 'invalid_request' });
    if (out.outcome !== 'ok') expect(out.error).not.toContain('b-secret');
  });

  it('fails for good on a port fetch refuses to use', async () => {
    expect(await sendHttp(delivery({ url: 'http://127.0.0.1:6000/x' }), opts)).toEqual({
      outcome: 'failed',
      reason: 'invalid_request',
      error: 'POST http://127.0.0.1:6000/…: request refused before sending: bad port',
    });
  });

  it('reports an abort (shutdown) as aborted, to be retried', async () => {
    rec.reply('hang');
    const ac = new AbortController();
    const pending = sendHttp(delivery(), { ...opts, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect(await pending).toEqual({ outcome: 'retry', reason: 'aborted', error: `POST ${rec.base}/…: aborted` });
  });

  it('cuts secrets the delivery shows (path, bearer token, basic password) out of echoed bodies', async () => {
    rec.reply((req) => ({ status: 401, body: `${req.url} ${req.headers.authorization} ${Buffer.from(String(req.headers['x-basic'] ?? ''), 'base64').toString()}` }));
    const out = await sendHttp(delivery({ headers: { authorization: 'Bearer bearer-secret' } }), opts);
    expect(out).toMatchObject({ outcome: 'failed', error: `POST ${rec.base}/…: 401 Unauthorized: <secret> <secret>` });
    const basic = `Basic ${Buffer.from('user:basic-secret').toString('base64')}`;
    rec.reply((req) => ({ status: 401, body: `${req.headers.authorization} basic-secret` }));
    const out2 = await sendHttp(delivery({ headers: { authorization: basic } }), opts);
    expect(out2).toMatchObject({ outcome: 'failed', error: `POST ${rec.base}/…: 401 Unauthorized: <secret> <secret>` });
  });

  it('uses the fetch it is given', async () => {
    const calls: string[] = [];
    const fake: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response('ok', { status: 200 });
    };
    expect(await sendHttp(delivery({ url: 'https://hooks.example.com/x' }), { ...opts, fetch: fake })).toEqual({ outcome: 'ok', status: 200 });
    expect(calls).toEqual(['https://hooks.example.com/x']);
  });

  it('classifies a DNS failure from the fetch error cause without the URL', async () => {
    const fake: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.com'), { code: 'ENOTFOUND' }) });
    };
    expect(await sendHttp(delivery({ url: 'https://hooks.example.com/secret-path' }), { ...opts, fetch: fake })).toEqual({
      outcome: 'retry',
      reason: 'dns_error',
      error: 'POST https://hooks.example.com/…: getaddrinfo ENOTFOUND hooks.example.com',
    });
  });
});
