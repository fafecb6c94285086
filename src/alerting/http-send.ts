// Sends one rendered HTTP delivery and says what came of it: 2xx ok; 429 retry after the
// receiver's Retry-After; 5xx, network errors and timeouts retry; other 4xx fail for good with
// the start of the response body. Error texts never hold a secret: the URL shows as
// scheme://host/…, request headers are never echoed, and known secrets are cut out of
// anything the receiver sends back.
import { STATUS_CODES } from 'node:http';
import { reasonFromError } from '../core/failure-reason.js';
import type { HttpDelivery, SendFailureReason, SendOutcome } from './receivers/types.js';
import { scrub, SECRET_HEADER } from './receivers/common.js';

export type { SendFailureReason, SendOutcome } from './receivers/types.js';
export { scrub } from './receivers/common.js';

export interface HttpSendOptions {
  /** Epoch ms: the clock Retry-After dates are measured against. */
  now(): number;
  /** The fetch to use (an undici dispatcher can be bound into it); the global one by default. */
  fetch?: typeof fetch;
  /** Aborts the send, e.g. on shutdown; the outcome is then `retry` with reason `aborted`. */
  signal?: AbortSignal;
  /**
   * The integration's secrets (`kind.secrets(settings)`), cut out of anything the receiver sends
   * back; the URL's path and query and secret-looking headers are cut out besides. Required:
   * a PagerDuty routing key travels in the body, where only this list can name it.
   */
  secrets: readonly string[];
  /** How much of the response body is read at most; 16 KiB by default. */
  maxResponseBytes?: number;
}

/** How much of a response body an error text quotes. */
export const MAX_ERROR_BODY_CHARS = 512;
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024;

/** `https://hooks.slack.com/…`: enough to tell receivers apart, nothing of the path or query. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '<invalid URL>';
  }
}

/**
 * Retry-After as a delay in ms: delay-seconds or an HTTP date (measured from `now`, never
 * negative); undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date names its weekday or month; Date.parse alone would read "1.5" as a date.
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Every string an error text must not show. */
function secretsOf(d: HttpDelivery, extra: readonly string[]): string[] {
  const found = new Set<string>(extra.filter((s) => s !== ''));
  found.add(d.url);
  try {
    const u = new URL(d.url);
    const rest = u.pathname + u.search;
    if (rest.length > 1) found.add(rest);
    if (u.search.length > 1) found.add(u.search.slice(1));
    if (u.password !== '') found.add(u.password);
  } catch {
    // An unparsable URL is redacted whole.
  }
  for (const [name, value] of Object.entries(d.headers)) {
    if (!SECRET_HEADER.test(name) || value === '') continue;
    found.add(value);
    const m = /^(\w+)\s+(.+)$/.exec(value);
    if (m) {
      found.add(m[2]!);
      if (m[1]!.toLowerCase() === 'basic') {
        const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon >= 0 && colon < decoded.length - 1) found.add(decoded.slice(colon + 1));
      }
    }
  }
  return [...found];
}

/** Reads at most `max` bytes of a body, then lets the rest go. */
async function readLimited(body: ReadableStream<Uint8Array> | null, max: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = max - size;
      chunks.push(value.length > room ? value.subarray(0, room) : value);
      size += Math.min(value.length, room);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

/** A response body made fit for an error text: secrets cut out, on one line, short. */
function quoteBody(body: string, secrets: readonly string[]): string {
  // eslint-disable-next-line no-control-regex
  const flat = scrub(body, secrets).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (flat.length <= MAX_ERROR_BODY_CHARS) return flat;
  let cut = MAX_ERROR_BODY_CHARS;
  const last = flat.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${flat.slice(0, cut)}…`;
}

function networkReason(err: unknown): SendFailureReason {
  const cause = (err as { cause?: unknown })?.cause ?? err;
  const r = reasonFromError(cause);
  switch (r) {
    case 'timeout':
    case 'connection_refused':
    case 'connection_reset':
    case 'dns_error':
    case 'tls_error':
      return r;
    case 'cert_expired':
      return 'tls_error';
    default:
      return 'network_error';
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  const e = (cause ?? err) as { message?: unknown; code?: unknown };
  const text = typeof e?.message === 'string' && e.message !== '' ? e.message : String(cause ?? err);
  return typeof e?.code === 'string' && !text.includes(e.code) ? `${text} (${e.code})` : text;
}

/** Sends one delivery; never throws. */
export async function sendHttp(d: HttpDelivery, options: HttpSendOptions): Promise<SendOutcome> {
  const doFetch = options.fetch ?? fetch;
  const secrets = secretsOf(d, options.secrets);
  const where = `${d.method} ${redactUrl(d.url)}`;
  const timeout = AbortSignal.timeout(d.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const interrupted = (): SendOutcome | undefined => {
    if (options.signal?.aborted) return { outcome: 'retry', reason: 'aborted', error: `${where}: aborted` };
    if (timeout.aborted) return { outcome: 'retry', reason: 'timeout', error: `${where}: no answer within ${d.timeoutMs}ms` };
    return undefined;
  };
  let response: Response;
  try {
    // Redirects are not followed: a redirect would carry API keys to wherever it points.
    response = await doFetch(d.url, { method: d.method, headers: d.headers, body: d.body, signal, redirect: 'manual' });
  } catch (err) {
    const stopped = interrupted();
    if (stopped) return stopped;
    // A TypeError without a cause is fetch refusing the request itself (a bad header value), and a
    // "bad port" one it will never connect to: sending again cannot help.
    const cause = (err as { cause?: { message?: unknown } }).cause;
    if (err instanceof TypeError && (cause === undefined || cause.message === 'bad port')) {
      return { outcome: 'failed', reason: 'invalid_request', error: scrub(`${where}: request refused before sending: ${cause === undefined ? err.message : 'bad port'}`, secrets) };
    }
    return { outcome: 'retry', reason: networkReason(err), error: scrub(`${where}: ${describe(err)}`, secrets) };
  }
  const status = response.status;
  const statusText = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  if (status >= 200 && status < 300) {
    // The body is not needed; cancelling frees the connection.
    response.body?.cancel().catch(() => {});
    return { outcome: 'ok', status };
  }
  let body = '';
  try {
    body = await readLimited(response.body, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  } catch {
    // A body cut short (timeout, reset) still leaves the status to judge by.
  }
  const quoted = quoteBody(body, secrets);
  const error = scrub(quoted === '' ? `${where}: ${statusText}` : `${where}: ${statusText}: ${quoted}`, secrets);
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.now());
    return { outcome: 'retry', reason: 'rate_limited', error, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.now());
    return { outcome: 'retry', reason: 'server_error', error, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status >= 400) return { outcome: 'failed', reason: 'client_error', error, status };
  // 1xx cannot reach here; 3xx means the configured URL is not the endpoint.
  const location = response.headers.get('location');
  const to = location && URL.canParse(location, d.url) ? ` to ${redactUrl(new URL(location, d.url).href)}` : '';
  return { outcome: 'failed', reason: 'unexpected_status', error: scrub(`${where}: ${statusText}: redirected${to}; configure the final URL`, secrets), status };
}
