// Prometheus's alert state machine as a pure step: given the previous alerts of a rule, the
// samples its expression returned and the evaluation time, the next alerts and the transitions
// to notify. Time is a parameter, never read here.
import { expandTemplate, type QueryFn } from './template/index.js';

/** How long an alert that resolved is kept, so resends carry the resolution (Prometheus: 15m). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

export type AlertState = 'pending' | 'firing' | 'inactive';

export interface Alert {
  /** The identity: the sample's labels without __name__, plus templated rule labels and alertname. */
  labels: Record<string, string>;
  fingerprint: string;
  annotations: Record<string, string>;
  state: AlertState;
  value: number;
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  /** Set while a firing alert's expression is false but keep_firing_for holds it. */
  keepFiringSince?: number;
}

export interface AlertingRuleSpec {
  name: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface AlertTransition {
  to: 'firing' | 'resolved';
  alert: Alert;
}

export interface TemplateContext {
  externalLabels: Record<string, string>;
  externalURL: string;
  /** For {{ query "…" }}: an instant query at the evaluation time. */
  query?: QueryFn;
}

export interface StepResult {
  alerts: Map<string, Alert>;
  transitions: AlertTransition[];
  /** Set when the evaluation is an error; the previous alerts are then kept unchanged. */
  error?: string;
}

/** A stable key of a label set: sorted names and values, with separators no label can contain. */
export function fingerprint(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}

export function stepAlerts(
  rule: AlertingRuleSpec,
  previous: ReadonlyMap<string, Alert>,
  samples: ReadonlyArray<{ labels: Record<string, string>; value: number }>,
  now: number,
  ctx: TemplateContext = { externalLabels: {}, externalURL: '' },
): StepResult {
  const seen = new Map<string, { labels: Record<string, string>; annotations: Record<string, string>; value: number }>();
  for (const sample of samples) {
    const { __name__: _name, ...base } = sample.labels;
    const data = { labels: base, externalLabels: ctx.externalLabels, externalURL: ctx.externalURL, value: sample.value };
    const expand = (text: string) => expandTemplate(text, data, { name: rule.name, now: () => now, query: ctx.query });
    const labels: Record<string, string> = { ...base };
    for (const [k, v] of Object.entries(rule.labels)) labels[k] = expand(v);
    labels.alertname = rule.name;
    // Empty label values mean "no label", as everywhere in Prometheus.
    for (const k of Object.keys(labels)) if (labels[k] === '') delete labels[k];
    const fp = fingerprint(labels);
    if (seen.has(fp)) {
      return { alerts: new Map(previous), transitions: [], error: 'vector contains metrics with the same labelset after applying alert labels' };
    }
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = expand(v);
    seen.set(fp, { labels, annotations, value: sample.value });
  }

  const alerts = new Map<string, Alert>();
  const transitions: AlertTransition[] = [];
  for (const [fp, s] of seen) {
    const old = previous.get(fp);
    if (old && old.state !== 'inactive') {
      const { keepFiringSince: _k, ...rest } = old;
      alerts.set(fp, { ...rest, value: s.value, annotations: s.annotations });
    } else {
      alerts.set(fp, { labels: s.labels, fingerprint: fp, annotations: s.annotations, state: 'pending', value: s.value, activeAt: now });
    }
  }

  for (const [fp, old] of previous) {
    if (seen.has(fp)) continue;
    if (old.state === 'pending') continue; // a pending alert that went away is forgotten, unsent
    if (old.state === 'inactive') {
      if (now - (old.resolvedAt ?? now) < RESOLVED_RETENTION_MS) alerts.set(fp, old);
      continue;
    }
    const since = old.keepFiringSince ?? now;
    if (rule.keepFiringForMs > 0 && now - since < rule.keepFiringForMs) {
      alerts.set(fp, { ...old, keepFiringSince: since });
      continue;
    }
    const { keepFiringSince: _k, ...rest } = old;
    const resolved: Alert = { ...rest, state: 'inactive', resolvedAt: now };
    alerts.set(fp, resolved);
    transitions.push({ to: 'resolved', alert: resolved });
  }

  for (const [fp, a] of alerts) {
    if (a.state === 'pending' && now - a.activeAt >= rule.forMs) {
      const fired: Alert = { ...a, state: 'firing', firedAt: now };
      alerts.set(fp, fired);
      transitions.push({ to: 'firing', alert: fired });
    }
  }
  return { alerts, transitions };
}
