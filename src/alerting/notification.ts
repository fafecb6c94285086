// What the router hands a receiver: one aggregation group's alerts at one moment, shaped like
// Alertmanager's template data, so every receiver renders from the same facts.
import type { AlertEvent } from '../core/alert-event.js';

/** An alert as receivers see it: the event without the evaluator's facts, maybe muted. */
export interface NotifiedAlert extends Omit<AlertEvent, 'value' | 'group'> {
  /** Set when the alert is muted (silence, inhibition, dependency, maintenance): why. */
  mutedBy?: string;
}

export type NotificationReason =
  | 'first notification'
  | 'new alerts added'
  | 'some alerts resolved'
  | 'all alerts resolved'
  | 'repeat interval elapsed'
  | 'escalation'
  | 'unknown';

export interface Notification {
  receiver: string;
  /** `<route key>:<group labels>`, as Alertmanager writes it, e.g. `{}/{team="x"}:{alertname="A"}`. */
  groupKey: string;
  /** `firing` if any alert fires, else `resolved`. */
  status: 'firing' | 'resolved';
  alerts: NotifiedAlert[];
  groupLabels: Record<string, string>;
  /** Labels and annotations identical in every alert of the notification. */
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  /** Where people reach healthmon (links in messages). */
  externalURL: string;
  reason: NotificationReason;
  /** Epoch ms of the notification, for timestamps in payloads. */
  timestamp: number;
}
