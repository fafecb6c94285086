// Inhibition as Alertmanager's: a target alert is muted while a firing source alert exists
// whose `equal` labels have the same values (a missing label counts as empty). An alert that
// matches both sides never inhibits itself. The sources are indexed once per set of alerts, so
// checking thousands of targets does not scan thousands of sources each.
import type { InhibitRule } from './alerting-config.js';
import { matchesLabels } from './matchers.js';
import type { NotifiedAlert } from './notification.js';

/** Given every firing alert, a function naming the rule that mutes an alert, if any. */
export function inhibitionIndex(rules: readonly InhibitRule[], firing: readonly NotifiedAlert[]): (alert: NotifiedAlert) => string | undefined {
  const keyOf = (rule: InhibitRule, labels: Readonly<Record<string, string>>) => JSON.stringify(rule.equal.map((l) => labels[l] ?? ''));
  const sources = rules.map((rule) => {
    const byKey = new Map<string, Set<string>>();
    for (const a of firing) {
      if (a.status !== 'firing' || !matchesLabels(rule.source, a.labels)) continue;
      const key = keyOf(rule, a.labels);
      let set = byKey.get(key);
      if (!set) byKey.set(key, (set = new Set()));
      set.add(a.fingerprint);
    }
    return byKey;
  });
  return (alert) => {
    for (const [i, rule] of rules.entries()) {
      if (!matchesLabels(rule.target, alert.labels)) continue;
      const set = sources[i]!.get(keyOf(rule, alert.labels));
      if (set && (set.size > 1 || !set.has(alert.fingerprint))) return rule.name ?? `inhibit_rules[${i}]`;
    }
    return undefined;
  };
}
