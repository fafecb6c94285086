// The datadog kind: one event per notification through the Events API v1, on the user's
// Datadog site. alert_type follows severity (success once resolved), tags come from the common
// labels, and the aggregation key from the group, so a group's events roll up together.
import { z } from 'zod';
import type { Notification, NotifiedAlert } from '../notification.js';
import {
  factsOf,
  highestSeverity,
  httpUrl,
  jsonHeaders,
  markdownEscape,
  markdownLink,
  pack,
  safeUrl,
  secretString,
  sendable,
  sha256Hex,
  subjectOf,
  timeoutField,
  truncate,
  urlSecrets,
  DEFAULT_HTTP_TIMEOUT_MS,
  type Severity,
} from './common.js';
import type { HttpDelivery, ReceiverKind } from './types.js';

export const DATADOG_SITES = ['datadoghq.com', 'us3.datadoghq.com', 'us5.datadoghq.com', 'datadoghq.eu', 'ap1.datadoghq.com', 'ap2.datadoghq.com', 'ddog-gov.com'] as const;
export type DatadogSite = (typeof DATADOG_SITES)[number];

export interface DatadogSettings {
  apiKey: string;
  /** Where events go: `https://api.<site>/api/v1/events`, or under api_url. */
  url: string;
  /** Set when api_url was given: its parts may be secret. */
  apiUrl: string | undefined;
  sendResolved: boolean;
  tags: string[];
  priority: 'normal' | 'low';
  timeoutMs: number;
}

const schema = z
  .strictObject({
    api_key: secretString('a Datadog API key', (v) => (/^[A-Za-z0-9]{32}$/.test(v) ? undefined : `expected a Datadog API key of 32 letters and digits, got ${v.length} characters`)),
    site: z.enum(DATADOG_SITES).optional(),
    api_url: httpUrl('an http:// or https:// base URL like https://api.datadoghq.eu').optional(),
    send_resolved: z.boolean().default(true),
    tags: z.array(z.string().min(1)).optional(),
    priority: z.enum(['normal', 'low']).default('normal'),
    timeout: timeoutField(),
  })
  .transform((b, ctx): DatadogSettings => {
    if (b.site !== undefined && b.api_url !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['api_url'], message: 'site and api_url exclude each other; api_url replaces the site\'s API host' });
    }
    // api_url is a base (a proxy, or a recorder in tests); the path is the API's.
    const url = b.api_url !== undefined ? new URL('api/v1/events', b.api_url.endsWith('/') ? b.api_url : `${b.api_url}/`).href : `https://api.${b.site ?? 'datadoghq.com'}/api/v1/events`;
    return {
      apiKey: b.api_key,
      url,
      apiUrl: b.api_url,
      sendResolved: b.send_resolved,
      tags: b.tags ?? [],
      priority: b.priority,
      timeoutMs: b.timeout ?? DEFAULT_HTTP_TIMEOUT_MS,
    };
  });

/** The Events API's limits. */
export const DATADOG_LIMITS = { title: 100, text: 4000, aggregationKey: 100, tag: 200 } as const;

export interface DatadogEvent {
  title: string;
  text: string;
  date_happened: number;
  priority: 'normal' | 'low';
  tags: string[];
  alert_type: 'error' | 'warning' | 'info' | 'success';
  aggregation_key: string;
  source_type_name: 'healthmon';
}

const ALERT_TYPES: Record<Severity, DatadogEvent['alert_type']> = { critical: 'error', error: 'error', warning: 'warning', info: 'info' };

/** Datadog's markdown wrapper; counted in the text limit. */
const OPEN = '%%% \n';
const CLOSE = '\n %%%';

function alertBlock(a: NotifiedAlert, now: number): string {
  const f = factsOf(a, now);
  const head = [`**${markdownEscape(f.name)}**`];
  if (f.severity) head.push(markdownEscape(f.severity));
  if (f.check) head.push(`check: ${markdownEscape(f.check)}`);
  if (f.instance) head.push(`instance: ${markdownEscape(f.instance)}`);
  const lines = [head.join(' · ')];
  if (f.summary) lines.push(markdownEscape(f.summary));
  if (f.description) lines.push(markdownEscape(f.description));
  lines.push(f.value === undefined ? f.when : `Value: ${markdownEscape(f.value)} · ${f.when}`);
  if (f.links.length > 0) lines.push(f.links.map((l) => markdownLink(l.url, l.text)).join(' · '));
  return lines.join('\n');
}

/** The event text: a line of counts, then the firing and resolved alerts, within `max` characters. */
function eventText(firing: readonly NotifiedAlert[], resolved: readonly NotifiedAlert[], n: Notification, max: number): string {
  const home = safeUrl(n.externalURL);
  const counts = [firing.length > 0 ? `${firing.length} firing` : '', resolved.length > 0 ? `${resolved.length} resolved` : ''].filter(Boolean).join(', ');
  const intro = home ? `**${counts}** · ${markdownLink(home, 'Open healthmon')}` : `**${counts}**`;
  const more = (state: string) => (left: number) => `…and ${left} more ${state} alert${left === 1 ? '' : 's'}`;
  const section = (heading: string, alerts: readonly NotifiedAlert[], state: string, budget: number) =>
    `${heading}\n\n${pack(alerts.map((a) => alertBlock(a, n.timestamp)), budget - heading.length - 2, '\n\n', more(state))}`;
  const parts = [intro];
  let room = max - intro.length;
  if (firing.length > 0) {
    // Firing alerts come first; resolved ones keep at most a third of the room when both are there.
    const resolvedWants = resolved.length > 0 ? Math.min(section(`**Resolved (${resolved.length})**`, resolved, 'resolved', Infinity).length + 2, Math.floor(room / 3)) : 0;
    const text = section(`**Firing (${firing.length})**`, firing, 'firing', room - 2 - resolvedWants);
    parts.push(text);
    room -= text.length + 2;
  }
  if (resolved.length > 0) parts.push(section(`**Resolved (${resolved.length})**`, resolved, 'resolved', room - 2));
  return parts.join('\n\n');
}

export function datadogEvent(n: Notification, s: Pick<DatadogSettings, 'sendResolved' | 'tags' | 'priority'>): DatadogEvent | undefined {
  const v = sendable(n, s.sendResolved);
  if (!v) return undefined;
  const tags: string[] = [];
  for (const t of [...s.tags, ...Object.keys(v.commonLabels).sort().map((k) => `${k}:${v.commonLabels[k]}`)]) {
    const tag = truncate(t, DATADOG_LIMITS.tag, '');
    if (!tags.includes(tag)) tags.push(tag);
  }
  return {
    title: truncate(subjectOf(v), DATADOG_LIMITS.title),
    text: OPEN + eventText(v.firing, v.resolved, n, DATADOG_LIMITS.text - OPEN.length - CLOSE.length) + CLOSE,
    date_happened: Math.floor(n.timestamp / 1000),
    priority: s.priority,
    tags,
    alert_type: v.firing.length === 0 ? 'success' : ALERT_TYPES[highestSeverity(v.firing, 'error')],
    aggregation_key: n.groupKey.length <= DATADOG_LIMITS.aggregationKey ? n.groupKey : sha256Hex(n.groupKey),
    source_type_name: 'healthmon',
  };
}

function render(n: Notification, s: DatadogSettings): HttpDelivery[] {
  const event = datadogEvent(n, s);
  if (!event) return [];
  return [{ type: 'http', url: s.url, method: 'POST', headers: jsonHeaders({ 'dd-api-key': s.apiKey }), body: JSON.stringify(event), timeoutMs: s.timeoutMs }];
}

export const datadogKind: ReceiverKind<DatadogSettings, HttpDelivery> = {
  kind: 'datadog',
  schema,
  render,
  secrets: (s) => [s.apiKey, ...(s.apiUrl !== undefined ? urlSecrets(s.apiUrl) : [])],
};
