// The conformance suite every HTTP receiver passes against a local recorder: 2xx ok, 5xx and
// timeouts retried, 429 retried after Retry-After, other 4xx failed with the body, and no
// secret of the receiver's settings in any error text, even when the server echoes the request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendHttp, type SendOutcome } from '../http-send.js';
import { RECEIVER_KINDS } from './index.js';
import { fixture, startRecorder, type Recorder } from '../../../test/helpers/receivers.js';
import type { HttpDelivery, ReceiverKind } from './types.js';

interface Case {
  name: string;
  kind: ReceiverKind<any, HttpDelivery>;
  block: (base: string) => Record<string, unknown>;
  path: string;
  /** Headers the receiver must send, besides content-type. */
  headers: Record<string, string>;
}

const CASES: Case[] = [
  {
    name: 'webhook (bearer)',
    kind: RECEIVER_KINDS.webhook,
    block: (base) => ({ url: `${base}/hooks/wh-path-secret?token=wh-query-secret`, bearer_token: 'wh-bearer-secret', timeout: '300ms' }),
    path: '/hooks/wh-path-secret?token=wh-query-secret',
    headers: { authorization: 'Bearer wh-bearer-secret' },
  },
  {
    name: 'webhook (basic auth, custom header)',
    kind: RECEIVER_KINDS.webhook,
    block: (base) => ({
      url: `${base}/alertmanager-in`,
      basic_auth: { username: 'healthmon', password: 'wh-basic-secret' },
      headers: { 'X-Api-Key': 'wh-header-secret', 'X-Team': 'core' },
      timeout: '300ms',
    }),
    path: '/alertmanager-in',
    headers: { authorization: `Basic ${Buffer.from('healthmon:wh-basic-secret').toString('base64')}`, 'x-api-key': 'wh-header-secret', 'x-team': 'core' },
  },
  {
    name: 'slack',
    kind: RECEIVER_KINDS.slack,
    block: (base) => ({ url: `${base}/services/T0SECRET1/B0SECRET2/slackSecretToken123`, timeout: '300ms' }),
    path: '/services/T0SECRET1/B0SECRET2/slackSecretToken123',
    headers: {},
  },
  {
    name: 'datadog',
    kind: RECEIVER_KINDS.datadog,
    block: (base) => ({ api_key: 'ddsecretapikey000000000000000001', api_url: `${base}/dd-proxy`, timeout: '300ms' }),
    path: '/dd-proxy/api/v1/events',
    headers: { 'dd-api-key': 'ddsecretapikey000000000000000001' },
  },
  {
    name: 'pagerduty',
    kind: RECEIVER_KINDS.pagerduty,
    block: (base) => ({ routing_key: 'pdsecretroutingkey00000000000001', url: `${base}/v2/enqueue`, timeout: '300ms' }),
    path: '/v2/enqueue',
    headers: {},
  },
];

const NOW = Date.parse('Thu, 01 Jan 2026 12:00:00 GMT');

describe.each(CASES)('receiver suite: $name', (c) => {
  let rec: Recorder;
  let settings: unknown;
  let delivery: HttpDelivery;
  const errors: string[] = [];

  const send = async (d = delivery): Promise<SendOutcome> => {
    const out = await sendHttp(d, { now: () => NOW, secrets: c.kind.secrets(settings) });
    if (out.outcome !== 'ok') errors.push(out.error);
    return out;
  };

  beforeAll(async () => {
    rec = await startRecorder();
    settings = c.kind.schema.parse(c.block(rec.base));
    const deliveries = c.kind.render(fixture(), settings);
    expect(deliveries).toHaveLength(1);
    delivery = deliveries[0]!;
  });
  afterAll(async () => {
    await rec.close();
  });

  it('posts JSON to the configured URL with its headers; 2xx is ok', async () => {
    rec.reply({ status: 202, body: '{"status":"ok"}' });
    const before = rec.requests.length;
    expect(await send()).toEqual({ outcome: 'ok', status: 202 });
    const got = rec.requests[before]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe(c.path);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe('healthmon');
    for (const [name, value] of Object.entries(c.headers)) expect(got.headers[name]).toBe(value);
    expect(got.body).toBe(delivery.body);
    expect(() => JSON.parse(got.body)).not.toThrow();
  });

  it('retries on 5xx', async () => {
    rec.reply({ status: 503, body: 'rollup_error' });
    const out = await send();
    expect(out).toMatchObject({ outcome: 'retry', reason: 'server_error', status: 503 });
    expect(out.outcome !== 'ok' && out.error).toContain('503 Service Unavailable: rollup_error');
  });

  it.each([
    ['seconds', '7', 7000],
    ['an HTTP date', 'Thu, 01 Jan 2026 12:00:30 GMT', 30_000],
  ])('retries on 429 after Retry-After given in %s', async (_what, header, delay) => {
    rec.reply({ status: 429, headers: { 'retry-after': header }, body: 'rate_limited' });
    expect(await send()).toMatchObject({ outcome: 'retry', reason: 'rate_limited', retryAfterMs: delay, status: 429 });
  });

  it('gives up on other 4xx and keeps the response body in the error', async () => {
    rec.reply({ status: 400, body: 'invalid_payload' });
    const out = await send();
    expect(out).toMatchObject({ outcome: 'failed', reason: 'client_error', status: 400 });
    expect(out.outcome !== 'ok' && out.error).toBe(`POST ${rec.base}/…: 400 Bad Request: invalid_payload`);
  });

  it('keeps secrets out of the error when the server echoes the whole request', async () => {
    rec.reply((req) => ({ status: 403, body: JSON.stringify({ error: 'action_prohibited', url: req.url, headers: req.headers, body: req.body }) }));
    const out = await send();
    expect(out).toMatchObject({ outcome: 'failed', reason: 'client_error', status: 403 });
    expect(out.outcome !== 'ok' && out.error).toContain('action_prohibited');
    expect(out.outcome !== 'ok' && out.error).toContain('<secret>');
  });

  it('retries when the server does not answer in time', async () => {
    rec.reply('hang');
    const started = performance.now();
    const out = await send();
    expect(out).toEqual({ outcome: 'retry', reason: 'timeout', error: `POST ${rec.base}/…: no answer within 300ms` });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('retries when nothing listens', async () => {
    const closed = await startRecorder();
    await closed.close();
    const elsewhere = { ...delivery, url: delivery.url.replace(rec.base, closed.base) };
    const out = await sendHttp(elsewhere, { now: () => NOW, secrets: c.kind.secrets(settings) });
    expect(out).toMatchObject({ outcome: 'retry', reason: 'connection_refused' });
    if (out.outcome !== 'ok') errors.push(out.error);
  });

  it('shows no secret in any error text', () => {
    const secrets = c.kind.secrets(settings);
    expect(secrets.length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThanOrEqual(6);
    for (const error of errors) for (const secret of secrets) expect(error).not.toContain(secret);
  });
});
