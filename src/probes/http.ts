// The http kind: one request over a fresh, timed connection per hop, redirects followed by
// hand, then status, body and JSON conditions checked. Raw node:http keeps the hot path lean.
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { byteSize, regex, shown } from '../config/fields.js';
import { DNS_LOOKUP_METRIC, dial, failureFrom, lap, type Failure, type Stage } from './dial.js';
import { checkJsonCondition, checkStatus, DEFAULT_STATUS_CODES, jsonConditions, statusCodes, type JsonCondition, type StatusCodes } from './http-conditions.js';
import { defaultTlsClient, TLS_METRICS, tlsBlock, tlsObservations, type TlsClient, type TlsPeer } from './tls-settings.js';
import type { ProbeContext, ProbeKind } from './types.js';

export interface HttpSettings {
  url: URL;
  method: string;
  /** Lower-case names; authorization from basic_auth/bearer_token already included. */
  headers: Record<string, string>;
  body?: string;
  validStatusCodes: StatusCodes;
  bodyMustMatch: RegExp[];
  bodyMustNotMatch: RegExp[];
  json: JsonCondition[];
  maxRedirects: number;
  tls: TlsClient;
  maxBodyBytes: number;
  family?: 4 | 6;
}

const httpUrl = () =>
  z.unknown().transform((value, ctx): URL => {
    const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got ${shown(value)}` });
      return z.NEVER;
    }
    return url;
  });

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const schema = z
  .strictObject({
    url: httpUrl(),
    method: z.string().regex(/^[A-Za-z]+$/, { message: 'expected an HTTP method like GET' }).default('GET'),
    headers: z.record(z.string().regex(HEADER_NAME, { message: 'expected an HTTP header name' }), z.string()).optional(),
    body: z.string().optional(),
    basic_auth: z.strictObject({ username: z.string(), password: z.string().default('') }).optional(),
    bearer_token: z.string().min(1).optional(),
    valid_status_codes: statusCodes().optional(),
    body_must_match: z.array(regex()).optional(),
    body_must_not_match: z.array(regex()).optional(),
    json: jsonConditions().optional(),
    follow_redirects: z.int().min(0).max(100).default(10),
    tls: tlsBlock().optional(),
    max_body_bytes: byteSize().optional(),
    ip_protocol: z.enum(['ip4', 'ip6']).optional(),
  })
  .transform((b, ctx): HttpSettings => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(b.headers ?? {})) headers[name.toLowerCase()] = value;
    if (b.basic_auth && b.bearer_token !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bearer_token'], message: 'basic_auth and bearer_token exclude each other; set one' });
    }
    if (b.basic_auth) headers.authorization = `Basic ${Buffer.from(`${b.basic_auth.username}:${b.basic_auth.password}`).toString('base64')}`;
    if (b.bearer_token !== undefined) headers.authorization = `Bearer ${b.bearer_token}`;
    return {
      url: b.url,
      method: b.method.toUpperCase(),
      headers,
      body: b.body,
      validStatusCodes: b.valid_status_codes ?? DEFAULT_STATUS_CODES,
      bodyMustMatch: b.body_must_match ?? [],
      bodyMustNotMatch: b.body_must_not_match ?? [],
      json: b.json ?? [],
      maxRedirects: b.follow_redirects,
      tls: b.tls ?? defaultTlsClient(),
      maxBodyBytes: b.max_body_bytes ?? 1024 * 1024,
      family: b.ip_protocol === 'ip4' ? 4 : b.ip_protocol === 'ip6' ? 6 : undefined,
    };
  });

/** What one request/response exchange produced. */
interface Hop {
  failure?: Failure;
  /** Set when the response is a redirect to follow. */
  location?: URL;
  /** Whether the connection of this hop was set up with TLS. */
  ssl: boolean;
  tls?: TlsPeer;
  status?: number;
  version?: number;
  contentLength?: number;
  lastModified?: string;
  /** Set once the whole body was read. */
  bodyBytes?: number;
  body?: Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;

async function probeHttp(s: HttpSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const phases: Record<string, number> = { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 };
  const buffer = s.bodyMustMatch.length > 0 || s.bodyMustNotMatch.length > 0 || s.json.length > 0;
  let url = s.url;
  let method = s.method;
  let body = s.body;
  let redirects = 0;
  let hop = await exchange(url, method, body, s, buffer, ctx, phases);
  while (hop.location) {
    if (redirects >= s.maxRedirects) {
      hop.failure = { reason: 'redirect_limit', message: `more than ${s.maxRedirects} redirects (follow_redirects), next was ${hop.location.href}` };
      break;
    }
    redirects++;
    // Browsers turn these into a GET without a body, and servers expect that.
    if (hop.status === 303 || ((hop.status === 301 || hop.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    url = hop.location;
    hop = await exchange(url, method, body, s, buffer, ctx, phases);
  }

  const observations: Observation[] = [];
  for (const phase of PHASES) observations.push({ metric: 'probe_http_duration_seconds', value: phases[phase]! / 1000, labels: { phase } });
  observations.push(
    { metric: 'probe_dns_lookup_time_seconds', value: phases.resolve! / 1000 },
    { metric: 'probe_http_redirects', value: redirects },
    { metric: 'probe_http_ssl', value: hop.ssl ? 1 : 0 },
    { metric: 'probe_http_status_code', value: hop.status ?? 0 },
  );
  if (hop.version !== undefined) observations.push({ metric: 'probe_http_version', value: hop.version });
  if (hop.contentLength !== undefined) observations.push({ metric: 'probe_http_content_length', value: hop.contentLength });
  if (hop.bodyBytes !== undefined) observations.push({ metric: 'probe_http_uncompressed_body_length', value: hop.bodyBytes });
  const lastModified = hop.lastModified === undefined ? NaN : Date.parse(hop.lastModified);
  if (!Number.isNaN(lastModified)) observations.push({ metric: 'probe_http_last_modified_timestamp_seconds', value: lastModified / 1000 });
  if (hop.tls) tlsObservations(hop.tls, observations);

  const failure = hop.failure ?? (hop.body ? bodyFailure(hop.body, s) : undefined);
  observations.push({ metric: 'probe_failed_due_to_regex', value: failure?.reason === 'body_mismatch' ? 1 : 0 });
  if (failure) return { ok: false, reason: failure.reason, message: failure.message, phases, observations };
  return { ok: true, phases, observations };
}

function bodyFailure(body: Buffer, s: HttpSettings): Failure | undefined {
  const text = body.toString('utf8');
  for (const re of s.bodyMustMatch) if (!re.test(text)) return { reason: 'body_mismatch', message: `body does not match /${re.source}/` };
  for (const re of s.bodyMustNotMatch) if (re.test(text)) return { reason: 'body_mismatch', message: `body matches /${re.source}/` };
  if (s.json.length === 0) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    return { reason: 'condition_failed', message: `body is not JSON (${(err as Error).message}), needed for ${s.json[0]!.text}` };
  }
  const failed: string[] = [];
  for (const c of s.json) {
    const why = checkJsonCondition(document, c);
    if (why) failed.push(why);
  }
  return failed.length > 0 ? { reason: 'condition_failed', message: failed.join('; ') } : undefined;
}

async function exchange(
  url: URL,
  method: string,
  body: string | undefined,
  s: HttpSettings,
  buffer: boolean,
  ctx: ProbeContext,
  phases: Record<string, number>,
): Promise<Hop> {
  const ssl = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : ssl ? 443 : 80;
  const dialed = await dial({ host: hostname, port, family: s.family, tls: ssl ? s.tls : undefined }, ctx, phases);
  if (!dialed.ok) return { failure: dialed.failure, ssl: false, tls: dialed.tls };
  const socket = dialed.socket;
  const hop: Hop = { ssl, tls: dialed.tls };

  const headers: OutgoingHttpHeaders = { host: url.host, 'user-agent': 'healthmon', ...s.headers };
  // Credentials stay with the origin they were configured for.
  if (url.origin !== s.url.origin) delete headers.authorization;

  return new Promise<Hop>((resolve) => {
    let stage: Stage = 'processing';
    let t = performance.now();
    let settled = false;
    const finish = (failure?: Failure) => {
      if (settled) return;
      settled = true;
      lap(phases, stage, t);
      ctx.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (failure) hop.failure = failure;
      resolve(hop);
    };
    const onAbort = () => finish(failureFrom(ctx.signal.reason, stage, ctx));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    // No agent: the request runs on the socket dial made, and it is closed after this hop.
    const req = http.request({ method, path: url.pathname + url.search, headers, setHost: false, createConnection: () => socket });
    req.on('error', (err) => finish(failureFrom(err, stage, ctx)));
    req.on('response', (res: IncomingMessage) => {
      res.on('error', (err) => finish(failureFrom(err, stage, ctx)));
      t = lap(phases, 'processing', t);
      stage = 'transfer';
      const status = res.statusCode ?? 0;
      hop.status = status;
      hop.version = Number(res.httpVersion);
      const declared = res.headers['content-length'];
      hop.contentLength = declared === undefined ? -1 : Number(declared);
      hop.lastModified = res.headers['last-modified'];

      const location = res.headers.location;
      if (REDIRECTS.has(status) && location !== undefined && s.maxRedirects > 0) {
        const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
        if (next && (next.protocol === 'http:' || next.protocol === 'https:')) hop.location = next;
        return finish(hop.location ? undefined : { reason: 'protocol_error', message: `status ${status} with an unusable Location ${JSON.stringify(location)}` });
      }
      const wrongStatus = checkStatus(status, s.validStatusCodes);
      if (wrongStatus) return finish({ reason: 'status_mismatch', message: wrongStatus });
      if (hop.contentLength > s.maxBodyBytes) {
        return finish({ reason: 'too_large', message: `content-length ${hop.contentLength} exceeds max_body_bytes ${s.maxBodyBytes}` });
      }

      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > s.maxBodyBytes) return finish({ reason: 'too_large', message: `body larger than max_body_bytes ${s.maxBodyBytes}` });
        if (buffer) chunks.push(chunk);
      });
      res.on('end', () => {
        hop.bodyBytes = bytes;
        if (buffer) hop.body = Buffer.concat(chunks, bytes);
        finish();
      });
    });
    req.end(body);
  });
}

export const httpKind: ProbeKind<HttpSettings> = {
  kind: 'http',
  schema,
  probe: probeHttp,
  // Query strings often carry tokens, and the target is shown in a label.
  target: (s) => `${s.url.origin}${s.url.pathname}`,
  fromTarget: (target) => ({ url: /^https?:\/\//.test(target) ? target : `http://${target}` }),
  metrics: [
    { name: 'probe_http_duration_seconds', help: 'Duration of the http request by phase, summed over all redirects.', labels: ['phase'] },
    DNS_LOOKUP_METRIC,
    { name: 'probe_http_status_code', help: 'Status code of the final response; 0 when none arrived.' },
    { name: 'probe_http_content_length', help: 'Content-Length of the final response; -1 when not given.' },
    { name: 'probe_http_uncompressed_body_length', help: 'Bytes of the final response body that were read.' },
    { name: 'probe_http_redirects', help: 'Redirects followed.' },
    { name: 'probe_http_ssl', help: 'Whether TLS was used for the final hop.' },
    { name: 'probe_http_version', help: 'HTTP version of the final response.' },
    { name: 'probe_http_last_modified_timestamp_seconds', help: 'Last-Modified of the final response, in unix seconds.' },
    { name: 'probe_failed_due_to_regex', help: 'Whether the probe failed because of a regular expression on the reply.' },
    ...TLS_METRICS,
  ],
};
