// What the rule evaluator hands to alert delivery: one alert that started firing or resolved,
// shaped like an alert in Alertmanager's API (times in epoch ms here).

export interface AlertEvent {
  status: 'firing' | 'resolved';
  /** alertname, the rule's and the series' labels, then the external labels. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  /** Set once resolved. */
  endsAt?: number;
  generatorURL: string;
  /** Alertmanager's fingerprint of the labels (FNV-1a 64, 16 hex digits): the alert's identity. */
  fingerprint: string;
  /** The expression's value when the event happened. */
  value: number;
  /** The rule group, `file;group`, as in Prometheus's rule_group label. */
  group: string;
}

/** Receives every firing and resolved transition, in evaluation order. */
export interface AlertSink {
  send(events: readonly AlertEvent[]): void;
}
