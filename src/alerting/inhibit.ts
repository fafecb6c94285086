// Inhibition as Alertmanager's: a target alert is muted while a firing source alert exists
// whose `equal` labels have the same values (a missing label counts as empty). An alert that
// matches both sides never inhibits itself.
import type { InhibitRule } from './alerting-config.js';
import { matchesLabels } from './matchers.js';
import type { NotifiedAlert } from './notification.js';

/** The name (or number) of the rule that mutes `alert`, given every firing alert. */
export function inhibitedBy(alert: NotifiedAlert, firing: readonly NotifiedAlert[], rules: readonly InhibitRule[]): string | undefined {
  for (const [i, rule] of rules.entries()) {
    if (!matchesLabels(rule.target, alert.labels)) continue;
    for (const source of firing) {
      if (source.fingerprint === alert.fingerprint || source.status !== 'firing') continue;
      if (!matchesLabels(rule.source, source.labels)) continue;
      if (rule.equal.every((l) => (source.labels[l] ?? '') === (alert.labels[l] ?? ''))) return rule.name ?? `inhibit_rules[${i}]`;
    }
  }
  return undefined;
}
