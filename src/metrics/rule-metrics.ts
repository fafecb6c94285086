// The rule evaluator's own health, under Prometheus's prometheus_rule_* names with our prefix and
// its `rule_group` label (`file;group`), so dashboards and alerts carry over.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RuleGroup } from '../rules/rule-group.js';
import type { RuleMetricsHooks } from '../rules/rule-manager.js';

export function registerRuleMetrics(registry: Registry): RuleMetricsHooks {
  const registers = [registry];
  const duration = new Histogram({
    name: 'healthmon_rule_evaluation_duration_seconds',
    help: 'How long one rule took to evaluate, in seconds.',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers,
  });
  const evaluations = new Counter({ name: 'healthmon_rule_evaluations_total', help: 'Rule evaluations.', labelNames: ['rule_group'], registers });
  const failures = new Counter({ name: 'healthmon_rule_evaluation_failures_total', help: 'Rule evaluations that failed.', labelNames: ['rule_group'], registers });
  const missed = new Counter({
    name: 'healthmon_rule_group_iterations_missed_total',
    help: 'Group evaluations skipped because the previous one ran late.',
    labelNames: ['rule_group'],
    registers,
  });
  const lastDuration = new Gauge({ name: 'healthmon_rule_group_last_duration_seconds', help: 'How long the last evaluation of the group took, in seconds.', labelNames: ['rule_group'], registers });
  const lastAt = new Gauge({ name: 'healthmon_rule_group_last_evaluation_timestamp_seconds', help: 'When the group was last evaluated, in unix seconds.', labelNames: ['rule_group'], registers });
  const interval = new Gauge({ name: 'healthmon_rule_group_interval_seconds', help: 'The evaluation interval of the group, in seconds.', labelNames: ['rule_group'], registers });
  const rules = new Gauge({ name: 'healthmon_rule_group_rules', help: 'Rules in the group.', labelNames: ['rule_group'], registers });
  const window = new Gauge({ name: 'healthmon_rule_window_series', help: 'Series held in the rule evaluator\'s in-memory window.', registers });
  const perGroup = [evaluations, failures, missed, lastDuration, lastAt, interval, rules];
  let known = new Set<string>();

  return {
    groupEvaluated(group: RuleGroup, outcome, missedIterations) {
      const labels = { rule_group: group.id };
      for (const r of group.rules) duration.observe(r.lastDurationMs / 1000);
      evaluations.inc(labels, group.rules.length);
      if (outcome.failed > 0) failures.inc(labels, outcome.failed);
      if (missedIterations > 0) missed.inc(labels, missedIterations);
      lastDuration.set(labels, outcome.durationMs / 1000);
      lastAt.set(labels, (group.lastEvaluationAt ?? 0) / 1000);
    },
    groupsChanged(groups) {
      const now = new Set(groups.map((g) => g.id));
      for (const id of known) if (!now.has(id)) for (const m of perGroup) m.remove({ rule_group: id });
      for (const g of groups) {
        const labels = { rule_group: g.id };
        interval.set(labels, g.intervalMs / 1000);
        rules.set(labels, g.rules.length);
        // Counters exist from the start at 0, so increase() sees the first failure.
        evaluations.inc(labels, 0);
        failures.inc(labels, 0);
        missed.inc(labels, 0);
      }
      known = now;
    },
    windowSize: (series) => window.set(series),
  };
}
