// What the receiver kinds share: settings fields (URLs, secrets, HTTP auth, headers, timeouts),
// which alerts a receiver sends and the facts a message shows about each, Go's time format,
// escaping per markup, and truncation that never splits a character. All pure.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { duration } from '../../config/fields.js';
import { formatDuration } from '../../core/duration.js';
import type { Notification, NotifiedAlert } from '../notification.js';

/* ------------------------------------------------------------------ settings fields */

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
export const USER_AGENT = 'healthmon';

/** Describes a value without showing it: for fields whose values are secrets. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/**
 * A secret string (key, token, password). Error messages never show the value: a config
 * error is printed and logged, and a half-right key is still a key.
 */
export const secretString = (what: string, check?: (value: string) => string | undefined, options: { allowEmpty?: boolean } = {}) =>
  z.unknown().transform((value, ctx): string => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `required: expected ${what}` });
      return z.NEVER;
    }
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected ${what} as a string, got ${kindOf(value)}` });
      return z.NEVER;
    }
    if (value === '' && !options.allowEmpty) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got an empty string` });
      return z.NEVER;
    }
    const problem = check?.(value);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return value;
  });

/** Ports fetch refuses to connect to (Fetch standard, "port blocking"): a webhook there could never be reached. */
const FETCH_BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135,
  137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720,
  1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/**
 * An http:// or https:// URL, normalised. The value is not shown in errors: webhook URLs are
 * secrets (the path is the token).
 */
export const httpUrl = (what = 'an http:// or https:// URL') =>
  z.unknown().transform((value, ctx): string => {
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: value === undefined ? `required: expected ${what}` : `expected ${what}, got ${kindOf(value)}` });
      return z.NEVER;
    }
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(value)?.[1];
      const found = scheme && url ? `a URL with scheme ${scheme}:` : 'a string that is not one';
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${found} (the value is not shown: it may hold a secret)` });
      return z.NEVER;
    }
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (FETCH_BAD_PORTS.has(port)) {
      ctx.addIssue({ code: 'custom', message: `port ${port} is one HTTP clients refuse to use (the Fetch standard's "bad ports"); serve the endpoint on another port` });
      return z.NEVER;
    }
    if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'credentials in the URL (user:password@) are not sent; use basic_auth' });
      return z.NEVER;
    }
    return url.href;
  });

/**
 * The parts of a URL that may be secret: the whole, its path and its query (Slack's token is
 * the path). A URL with neither holds no secret: its host is no secret.
 */
export function urlSecrets(href: string): string[] {
  const url = new URL(href);
  const rest = url.pathname + url.search;
  if (rest === '/' || rest === '') return [];
  const out = [href, rest];
  if (url.search.length > 1) out.push(url.search.slice(1));
  return out;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Set by the sender or the transport; a user value would only break the request. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'transfer-encoding', 'connection']);
/** Header names whose values are treated as secrets. */
export const SECRET_HEADER = /authorization|api[-_]?key|token|secret|password|passwd|cookie|signature|session/i;

export const timeoutField = () =>
  duration()
    .refine((ms) => ms > 0, { message: 'expected a duration above zero' })
    .optional();

/** The HTTP client block of the webhook kind: custom headers and bearer or basic auth. */
export const httpClientFields = {
  timeout: timeoutField(),
  // Names are checked here rather than by a key schema, whose issue would reach users as "Invalid key in record".
  headers: z
    .record(z.string(), z.string())
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers)) {
        if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'expected an HTTP header name' });
        else if (RESERVED_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'this header is set by healthmon' });
        if (/[\r\n\0]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'a header value cannot hold a line break' });
      }
    })
    .optional(),
  bearer_token: secretString('a bearer token', (v) => (/[\r\n\0]/.test(v) ? 'a bearer token cannot hold a line break' : undefined)).optional(),
  basic_auth: z
    .strictObject({
      username: z.string().refine((v) => !v.includes(':'), { message: 'a basic auth user name cannot hold ":"' }),
      password: secretString('a password', undefined, { allowEmpty: true }).optional(),
    })
    .optional(),
};

export interface HttpClientSettings {
  timeoutMs: number;
  /** Lower-case names; `authorization` from bearer_token or basic_auth included. */
  headers: Record<string, string>;
  /** Header values and passwords that are secrets. */
  secrets: string[];
}

type HttpClientBlock = {
  timeout?: number | undefined;
  headers?: Record<string, string> | undefined;
  bearer_token?: string | undefined;
  basic_auth?: { username: string; password?: string | undefined } | undefined;
};

/** Resolves the HTTP client fields; reports conflicts through `ctx`. */
export function httpClientSettings(b: HttpClientBlock, ctx: z.RefinementCtx): HttpClientSettings {
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(b.headers ?? {})) {
    headers[name.toLowerCase()] = value;
    if (SECRET_HEADER.test(name) && value !== '') secrets.push(value);
  }
  if (b.basic_auth && b.bearer_token !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['bearer_token'], message: 'basic_auth and bearer_token exclude each other; set one' });
  }
  if ((b.basic_auth || b.bearer_token !== undefined) && 'authorization' in headers) {
    ctx.addIssue({ code: 'custom', path: ['headers', 'authorization'], message: 'the Authorization header comes from basic_auth or bearer_token here; set it in one place' });
  }
  if (b.basic_auth) {
    const password = b.basic_auth.password ?? '';
    headers.authorization = `Basic ${Buffer.from(`${b.basic_auth.username}:${password}`).toString('base64')}`;
    if (password !== '') secrets.push(password, headers.authorization);
  }
  if (b.bearer_token !== undefined) {
    headers.authorization = `Bearer ${b.bearer_token}`;
    secrets.push(b.bearer_token);
  }
  return { timeoutMs: b.timeout ?? DEFAULT_HTTP_TIMEOUT_MS, headers, secrets };
}

/** The headers every JSON POST carries. */
export function jsonHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...extra };
}

/* ------------------------------------------------------------------ which alerts, and their common facts */

/** The alerts one receiver sends for a notification, with the group facts recomputed over them. */
export interface AlertView {
  status: 'firing' | 'resolved';
  alerts: NotifiedAlert[];
  firing: NotifiedAlert[];
  resolved: NotifiedAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
}

function common(maps: readonly Record<string, string>[]): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

/**
 * The view of `alerts` (a subset of the notification's, in its order). Common labels and
 * annotations are the notification's when nothing was left out, and recomputed otherwise,
 * as Alertmanager computes its template data from the alerts it actually sends.
 */
export function viewOf(n: Notification, alerts: NotifiedAlert[]): AlertView {
  const all = alerts.length === n.alerts.length;
  const firing = alerts.filter((a) => a.status === 'firing');
  return {
    status: firing.length > 0 ? 'firing' : 'resolved',
    alerts,
    firing,
    resolved: alerts.filter((a) => a.status === 'resolved'),
    groupLabels: n.groupLabels,
    commonLabels: all ? n.commonLabels : common(alerts.map((a) => a.labels)),
    commonAnnotations: all ? n.commonAnnotations : common(alerts.map((a) => a.annotations)),
  };
}

/** The alerts to send under `send_resolved`; undefined when nothing is left to send. */
export function sendable(n: Notification, sendResolved: boolean): AlertView | undefined {
  const alerts = sendResolved ? n.alerts : n.alerts.filter((a) => a.status === 'firing');
  return alerts.length === 0 ? undefined : viewOf(n, alerts);
}

/** Replaces line breaks and other control characters with spaces: for subjects and titles. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/** What a group is called: its group labels' values (else its alertname), and the other common labels. */
export function groupNameOf(v: AlertView): { name: string; rest: string } {
  const groupNames = Object.keys(v.groupLabels).sort();
  const named = new Set(groupNames);
  let name = groupNames.map((k) => v.groupLabels[k]).join(' ');
  if (name === '') {
    name = v.commonLabels.alertname ?? 'alerts';
    named.add('alertname');
  }
  const rest = Object.keys(v.commonLabels).filter((k) => !named.has(k)).sort().map((k) => `${k}=${v.commonLabels[k]}`);
  return { name: oneLine(name), rest: oneLine(rest.join(' ')) };
}

/**
 * Alertmanager's subject: `[FIRING:2] ServiceDown (team=core)`: the status with the firing
 * count, the group labels' values, and the other common labels.
 */
export function subjectOf(v: AlertView): string {
  const status = v.firing.length > 0 ? `FIRING:${v.firing.length}` : 'RESOLVED';
  const { name, rest } = groupNameOf(v);
  return rest === '' ? `[${status}] ${name}` : `[${status}] ${name} (${rest})`;
}

export type Severity = 'critical' | 'error' | 'warning' | 'info';
const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3, critical: 4 };

/** The alert's `severity` label when it is one we know, case aside. */
export function severityOf(labels: Readonly<Record<string, string>>): Severity | undefined {
  const s = labels.severity?.toLowerCase();
  return s !== undefined && s in SEVERITY_RANK ? (s as Severity) : undefined;
}

/** The highest known severity among the alerts; an alert without one counts as `unknown`. */
export function highestSeverity(alerts: readonly NotifiedAlert[], unknown: Severity): Severity {
  let best: Severity | undefined;
  for (const a of alerts) {
    const s = severityOf(a.labels) ?? unknown;
    if (best === undefined || SEVERITY_RANK[s] > SEVERITY_RANK[best]) best = s;
  }
  return best ?? unknown;
}

/** A link shown with an alert. */
export interface Link {
  text: string;
  url: string;
}

/** What a person needs to act on one alert, taken from its labels and annotations. */
export interface AlertFacts {
  name: string;
  severity: string | undefined;
  check: string | undefined;
  instance: string | undefined;
  summary: string | undefined;
  description: string | undefined;
  value: string | undefined;
  /** "Since 2026-01-01 11:50:00 UTC (10m)" or "Resolved 2026-01-01 11:59:00 UTC after 59m". */
  when: string;
  links: Link[];
}

const MAX_LINK = 400;

/** The URL normalised if it is an http(s) URL of sensible length; anything else is not linked. */
export function safeUrl(text: string | undefined): string | undefined {
  if (text === undefined || text.length > MAX_LINK || !URL.canParse(text)) return undefined;
  const url = new URL(text);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
}

/** "2026-01-01 11:50:00 UTC". */
export function humanTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "10m", "1h2m3s": to the second. */
export function humanDuration(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 1000)) * 1000);
}

function whenOf(a: NotifiedAlert, now: number): string {
  if (a.status === 'resolved') {
    return a.endsAt === undefined ? `Resolved (started ${humanTime(a.startsAt)})` : `Resolved ${humanTime(a.endsAt)} after ${humanDuration(a.endsAt - a.startsAt)}`;
  }
  return now >= a.startsAt ? `Since ${humanTime(a.startsAt)} (${humanDuration(now - a.startsAt)})` : `Since ${humanTime(a.startsAt)}`;
}

export const FIELD_LIMITS = { label: 200, summary: 300, description: 800, value: 100 } as const;

/** The facts of one alert, every field bounded; `now` is the notification's time. */
export function factsOf(a: NotifiedAlert, now: number): AlertFacts {
  const cut = (text: string | undefined, max: number) => (text === undefined || text.trim() === '' ? undefined : truncate(text.trim(), max));
  const links: Link[] = [];
  const runbook = safeUrl(a.annotations.runbook_url ?? a.annotations.runbook);
  const dashboard = safeUrl(a.annotations.dashboard_url ?? a.annotations.dashboard);
  const source = safeUrl(a.generatorURL);
  if (runbook) links.push({ text: 'Runbook', url: runbook });
  if (dashboard) links.push({ text: 'Dashboard', url: dashboard });
  if (source) links.push({ text: 'Source', url: source });
  const summary = cut(oneLine(a.annotations.summary ?? ''), FIELD_LIMITS.summary);
  const description = cut(a.annotations.description ?? a.annotations.message, FIELD_LIMITS.description);
  return {
    name: truncate(oneLine(a.labels.alertname ?? 'alert'), FIELD_LIMITS.label),
    severity: cut(oneLine(a.labels.severity ?? ''), FIELD_LIMITS.label),
    check: cut(oneLine(a.labels.check ?? ''), FIELD_LIMITS.label),
    instance: cut(oneLine(a.labels.instance ?? ''), FIELD_LIMITS.label),
    summary,
    description: description === summary ? undefined : description,
    value: cut(oneLine(a.annotations.value ?? ''), FIELD_LIMITS.value),
    when: whenOf(a, now),
    links,
  };
}

/** `alertname=ServiceDown check=api`: sorted by name. */
export function labelPairs(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(' ');
}

/* ------------------------------------------------------------------ text */

/**
 * Cuts `text` to at most `max` UTF-16 units (so within any API limit counted in characters or
 * code points), ending with "…" when cut; never splits a surrogate pair.
 */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text;
  if (max <= ellipsis.length) return ellipsis.slice(0, Math.max(0, max));
  let cut = max - ellipsis.length;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return text.slice(0, cut) + ellipsis;
}

/**
 * Joins as many whole blocks as fit in `max` characters, then a line saying how many were
 * left out. Blocks are never cut in the middle (that could break a link's markup), except a
 * first block that alone is too long.
 */
export function pack(blocks: readonly string[], max: number, separator: string, more: (left: number) => string): string {
  let out = '';
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    const left = blocks.length - i - 1;
    const reserve = left > 0 ? separator.length + more(left).length : 0;
    const next = out === '' ? block : out + separator + block;
    if (next.length + reserve <= max) {
      out = next;
      continue;
    }
    if (out === '') {
      const tail = separator + more(blocks.length - i - 1);
      out = left > 0 ? truncate(block, max - tail.length) : truncate(block, max);
      if (left > 0) out += tail;
      return out;
    }
    return out + separator + more(blocks.length - i);
  }
  return out;
}

/** Slack's mrkdwn: only &, < and > are control characters. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackLink(url: string, text: string): string {
  return `<${slackEscape(url).replace(/\|/g, '%7C')}|${slackEscape(text)}>`;
}

/** Markdown (Datadog): backslash-escapes the characters that would start markup. */
export function markdownEscape(text: string): string {
  return text.replace(/[\\`*_[\]<>~|#]/g, '\\$&');
}

export function markdownLink(url: string, text: string): string {
  return `[${markdownEscape(text)}](${url.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20')})`;
}

export function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Replaces every occurrence of every secret with `<secret>`, longest first (a URL before its path). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s !== '') out = out.split(s).join('<secret>');
  return out;
}

/* ------------------------------------------------------------------ formats */

/**
 * A time as Go's encoding/json writes a time.Time (RFC 3339 with nanoseconds, trailing zeros
 * trimmed, UTC here): `2026-01-01T00:00:10.5Z`; the zero time when unset.
 */
export function goTime(ms: number | undefined): string {
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_m, frac: string) => {
    const f = frac.replace(/0+$/, '');
    return f === '' ? 'Z' : `.${f}Z`;
  });
}

/**
 * JSON as Go's encoder writes it by default: <, >, &, U+2028 and U+2029 escaped, so a payload
 * compares byte for byte with Alertmanager's. Only strings can hold these characters.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A copy with keys in sorted order, as Go writes a map. */
export function sortedKeys(map: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(map).sort()) out[k] = map[k]!;
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
