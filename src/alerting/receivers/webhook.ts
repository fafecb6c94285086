// The webhook kind: Alertmanager's webhook payload, version 4, field for field and key for key,
// so any tool that takes Alertmanager's webhooks takes ours.
import { z } from 'zod';
import type { Notification } from '../notification.js';
import { goJson, goTime, httpClientFields, httpClientSettings, httpUrl, jsonHeaders, sendable, sortedKeys, urlSecrets, viewOf } from './common.js';
import type { HttpDelivery, ReceiverKind } from './types.js';

export interface WebhookSettings {
  url: string;
  sendResolved: boolean;
  /** 0 sends every alert; otherwise the first n, the rest counted in truncatedAlerts. */
  maxAlerts: number;
  timeoutMs: number;
  /** Custom headers, with `authorization` from bearer_token or basic_auth. */
  headers: Record<string, string>;
  /** Secret header values and passwords, for `secrets()`. */
  headerSecrets: string[];
}

const schema = z
  .strictObject({
    url: httpUrl(),
    send_resolved: z.boolean().default(true),
    max_alerts: z.int().min(0).default(0),
    ...httpClientFields,
  })
  .transform((b, ctx): WebhookSettings => {
    const http = httpClientSettings(b, ctx);
    return { url: b.url, sendResolved: b.send_resolved, maxAlerts: b.max_alerts, timeoutMs: http.timeoutMs, headers: http.headers, headerSecrets: http.secrets };
  });

/** Go's regexp.QuoteMeta: Alertmanager quotes the receiver name in the payload (`team.x` → `team\.x`). */
export function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The payload, keys in the order Alertmanager's encoder writes them. */
export interface WebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** The message for a notification, or undefined when nothing is to be sent. */
export function webhookMessage(n: Notification, s: Pick<WebhookSettings, 'sendResolved' | 'maxAlerts'>): WebhookMessage | undefined {
  const sent = sendable(n, s.sendResolved);
  if (!sent) return undefined;
  // As Alertmanager: truncate first, then compute status and common labels over what is sent.
  const kept = s.maxAlerts > 0 ? sent.alerts.slice(0, s.maxAlerts) : sent.alerts;
  const v = kept.length === sent.alerts.length ? sent : viewOf(n, kept);
  return {
    receiver: quoteMeta(n.receiver),
    status: v.status,
    alerts: v.alerts.map((a) => ({
      status: a.status,
      labels: sortedKeys(a.labels),
      annotations: sortedKeys(a.annotations),
      startsAt: goTime(a.startsAt),
      endsAt: goTime(a.endsAt),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
    groupLabels: sortedKeys(v.groupLabels),
    commonLabels: sortedKeys(v.commonLabels),
    commonAnnotations: sortedKeys(v.commonAnnotations),
    externalURL: n.externalURL,
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: sent.alerts.length - kept.length,
  };
}

function render(n: Notification, s: WebhookSettings): HttpDelivery[] {
  const message = webhookMessage(n, s);
  if (!message) return [];
  return [{ type: 'http', url: s.url, method: 'POST', headers: jsonHeaders(s.headers), body: goJson(message), timeoutMs: s.timeoutMs }];
}

export const webhookKind: ReceiverKind<WebhookSettings, HttpDelivery> = {
  kind: 'webhook',
  schema,
  render,
  secrets: (s) => [...urlSecrets(s.url), ...s.headerSecrets],
};
