// The pagerduty kind: Events API v2. A group triggers one incident and resolves it with the
// same dedup_key, the SHA-256 of the group key, as Alertmanager does, so a restart or a second
// healthmon replica never opens a second incident for the same group.
import { z } from 'zod';
import type { Notification, NotifiedAlert } from '../notification.js';
import {
  factsOf,
  goTime,
  highestSeverity,
  httpUrl,
  jsonHeaders,
  oneLine,
  safeUrl,
  secretString,
  sendable,
  sha256Hex,
  sortedKeys,
  subjectOf,
  timeoutField,
  truncate,
  urlSecrets,
  DEFAULT_HTTP_TIMEOUT_MS,
  type Link,
  type Severity,
} from './common.js';
import type { HttpDelivery, ReceiverKind } from './types.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutySettings {
  routingKey: string;
  url: string;
  sendResolved: boolean;
  /** The severity of an alert whose `severity` label is missing or not one of PagerDuty's. */
  defaultSeverity: Severity;
  source: string | undefined;
  component: string | undefined;
  group: string | undefined;
  class: string | undefined;
  timeoutMs: number;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

const schema = z
  .strictObject({
    routing_key: secretString('a PagerDuty integration (routing) key', (v) =>
      v.length === 32 ? undefined : `expected a PagerDuty integration (routing) key of 32 characters, got ${v.length} characters`,
    ),
    url: httpUrl().optional(),
    send_resolved: z.boolean().default(true),
    default_severity: z.enum(SEVERITIES).default('error'),
    source: z.string().min(1).optional(),
    component: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    class: z.string().min(1).optional(),
    timeout: timeoutField(),
  })
  .transform(
    (b): PagerDutySettings => ({
      routingKey: b.routing_key,
      url: b.url ?? PAGERDUTY_EVENTS_URL,
      sendResolved: b.send_resolved,
      defaultSeverity: b.default_severity,
      source: b.source,
      component: b.component,
      group: b.group,
      class: b.class,
      timeoutMs: b.timeout ?? DEFAULT_HTTP_TIMEOUT_MS,
    }),
  );

/** PagerDuty's limits, and ours on the alert lists in custom_details (events are capped at 512 KB). */
export const PAGERDUTY_LIMITS = { summary: 1024, field: 255, alertsPerList: 50, annotation: 1000, links: 5 } as const;

interface AlertDetail {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: Severity;
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: {
      num_firing: number;
      num_resolved: number;
      firing: AlertDetail[];
      resolved: AlertDetail[];
      /** Alerts left out of the lists above, when there were too many. */
      omitted?: number;
    };
  };
  links: { href: string; text: string }[];
  client: 'healthmon';
  client_url?: string;
}

function detail(a: NotifiedAlert): AlertDetail {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(sortedKeys(a.annotations))) annotations[k] = truncate(v, PAGERDUTY_LIMITS.annotation);
  return {
    labels: sortedKeys(a.labels),
    annotations,
    startsAt: goTime(a.startsAt),
    ...(a.endsAt !== undefined ? { endsAt: goTime(a.endsAt) } : {}),
    generatorURL: a.generatorURL,
  };
}

function linksOf(alerts: readonly NotifiedAlert[], now: number): { href: string; text: string }[] {
  const out: { href: string; text: string }[] = [];
  for (const a of alerts) {
    const f = factsOf(a, now);
    for (const l of f.links.filter((x: Link) => x.text !== 'Source')) {
      if (out.length < PAGERDUTY_LIMITS.links && !out.some((o) => o.href === l.url)) out.push({ href: l.url, text: `${l.text}: ${f.name}` });
    }
  }
  return out;
}

const field = (text: string | undefined) => (text === undefined ? undefined : truncate(oneLine(text), PAGERDUTY_LIMITS.field));

export function pagerDutyEvent(n: Notification, s: Omit<PagerDutySettings, 'url' | 'timeoutMs'>): PagerDutyEvent | undefined {
  const v = sendable(n, s.sendResolved);
  if (!v) return undefined;
  const firing = v.firing.slice(0, PAGERDUTY_LIMITS.alertsPerList);
  const resolved = v.resolved.slice(0, PAGERDUTY_LIMITS.alertsPerList);
  const omitted = v.alerts.length - firing.length - resolved.length;
  const summary = v.commonAnnotations.summary ? `${subjectOf(v)}: ${oneLine(v.commonAnnotations.summary)}` : subjectOf(v);
  const component = field(s.component ?? v.commonLabels.check);
  const group = field(s.group ?? v.commonLabels.job);
  const cls = field(s.class ?? v.commonLabels.alertname);
  const home = safeUrl(n.externalURL);
  // Detection time: when the earliest firing alert started.
  const detectedAt = v.firing.length > 0 ? Math.min(...v.firing.map((a) => a.startsAt)) : n.timestamp;
  return {
    routing_key: s.routingKey,
    event_action: v.status === 'firing' ? 'trigger' : 'resolve',
    dedup_key: sha256Hex(n.groupKey),
    payload: {
      summary: truncate(summary, PAGERDUTY_LIMITS.summary),
      source: field(s.source ?? v.commonLabels.instance ?? v.commonLabels.check ?? 'healthmon')!,
      severity: highestSeverity(v.firing.length > 0 ? v.firing : v.resolved, s.defaultSeverity),
      timestamp: new Date(detectedAt).toISOString(),
      ...(component !== undefined ? { component } : {}),
      ...(group !== undefined ? { group } : {}),
      ...(cls !== undefined ? { class: cls } : {}),
      custom_details: {
        num_firing: v.firing.length,
        num_resolved: v.resolved.length,
        firing: firing.map(detail),
        resolved: resolved.map(detail),
        ...(omitted > 0 ? { omitted } : {}),
      },
    },
    links: linksOf(v.firing.length > 0 ? v.firing : v.resolved, n.timestamp),
    client: 'healthmon',
    ...(home ? { client_url: home } : {}),
  };
}

function render(n: Notification, s: PagerDutySettings): HttpDelivery[] {
  const event = pagerDutyEvent(n, s);
  if (!event) return [];
  return [{ type: 'http', url: s.url, method: 'POST', headers: jsonHeaders(), body: JSON.stringify(event), timeoutMs: s.timeoutMs }];
}

export const pagerDutyKind: ReceiverKind<PagerDutySettings, HttpDelivery> = {
  kind: 'pagerduty',
  schema,
  render,
  secrets: (s) => [s.routingKey, ...(s.url !== PAGERDUTY_EVENTS_URL ? urlSecrets(s.url) : [])],
};
