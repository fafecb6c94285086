// The assessment as series: uptime per window, health scores, latency percentiles, SLOs and the
// latency anomaly flag, computed from the assessor when scraped (and when the rule evaluator
// snapshots the registry). One assessment serves every family of one scrape.
//
// The two families labelled `quantile` are typed summary: promtool rejects that label on any
// other type. They carry quantiles only, no _sum/_count, since they describe a window, not a
// running count.
import type { Registry } from 'prom-client';
import type { Assessment, Assessor, CheckAssessment } from '../state/assessment.js';
import { UPTIME_WINDOWS, type UptimeWindow } from '../state/assessment.js';
import { BURN_RATE_WINDOWS, type BurnRateWindow } from '../state/slo.js';
import { registerFamily, type FamilyType, type Sample } from './family.js';

export const ASSESSMENT_METRIC_NAMES = [
  'healthmon_check_uptime_ratio',
  'healthmon_check_health_score',
  'healthmon_health_score',
  'healthmon_check_latency_seconds',
  'healthmon_slo_objective_ratio',
  'healthmon_slo_availability_ratio',
  'healthmon_slo_error_budget_remaining_ratio',
  'healthmon_slo_burn_rate',
  'healthmon_slo_compliant',
  'healthmon_slo_latency_objective_seconds',
  'healthmon_check_latency_anomaly',
  'healthmon_check_latency_baseline_seconds',
] as const;
type AssessmentMetricName = (typeof ASSESSMENT_METRIC_NAMES)[number];

export interface AssessmentMetricsDeps {
  assessor: Assessor;
  /** Epoch ms: the time assessed. */
  now: () => number;
}

const sample = (check: string, value: number, labels: Record<string, string> = {}): Sample => ({ labels: { check, ...labels }, value });
const seconds = (ms: number) => ms / 1000;
/** 'p99.9' → 0.999 (twelve significant digits hide 99.9 / 100's rounding). */
const quantileFromName = (name: string) => Number((Number(name.slice(1)) / 100).toPrecision(12));

type Family = { help: string; type: FamilyType; samples(a: Assessment): Sample[] };
const perCheck = (fn: (c: CheckAssessment) => Sample[]) => (a: Assessment) => a.checks.flatMap(fn);

const FAMILIES: Record<AssessmentMetricName, Family> = {
  healthmon_check_uptime_ratio: {
    help: 'Share of successful runs of the check over the window (1h, 24h, 7d, 30d); absent with no runs in it.',
    type: 'gauge',
    samples: perCheck((c) =>
      (Object.keys(UPTIME_WINDOWS) as UptimeWindow[]).flatMap((w) => {
        const v = c.uptime[w];
        return v === undefined ? [] : [sample(c.check, v, { window: w })];
      })),
  },
  healthmon_check_health_score: {
    help: 'Health score of the check, 0 to 100: availability 50, latency against expected 25, recent failures 25.',
    type: 'gauge',
    samples: perCheck((c) => [sample(c.check, c.healthScore)]),
  },
  healthmon_health_score: {
    help: 'Overall health score, 0 to 100: the checks\' scores, critical checks weighing three times.',
    type: 'gauge',
    samples: (a) => [{ labels: {}, value: a.overall.score }],
  },
  healthmon_check_latency_seconds: {
    help: 'Latency percentiles of the check over the last 24 hours, in seconds.',
    type: 'summary',
    samples: perCheck((c) =>
      c.latency
        ? [sample(c.check, seconds(c.latency.p50Ms), { quantile: '0.5' }), sample(c.check, seconds(c.latency.p95Ms), { quantile: '0.95' }), sample(c.check, seconds(c.latency.p99Ms), { quantile: '0.99' })]
        : []),
  },
  healthmon_slo_objective_ratio: {
    help: 'The availability objective of the check\'s SLO, as a ratio.',
    type: 'gauge',
    samples: perCheck((c) => (c.slo ? [sample(c.check, c.slo.objective)] : [])),
  },
  healthmon_slo_availability_ratio: {
    help: 'Availability of the check over its SLO window; absent with no runs in it.',
    type: 'gauge',
    samples: perCheck((c) => (c.slo?.availability === undefined ? [] : [sample(c.check, c.slo.availability)])),
  },
  healthmon_slo_error_budget_remaining_ratio: {
    help: 'Share of the SLO window\'s error budget left: 1 untouched, 0 spent, below 0 overspent.',
    type: 'gauge',
    samples: perCheck((c) => (c.slo ? [sample(c.check, c.slo.errorBudgetRemaining)] : [])),
  },
  healthmon_slo_burn_rate: {
    help: 'Error rate over the window (1h, 6h) divided by the rate the SLO allows; 1 spends the budget exactly over the SLO window.',
    type: 'gauge',
    samples: perCheck((c) =>
      (Object.keys(BURN_RATE_WINDOWS) as BurnRateWindow[]).flatMap((w) => {
        const v = c.slo?.burnRate[w];
        return v === undefined ? [] : [sample(c.check, v, { window: w })];
      })),
  },
  healthmon_slo_compliant: {
    help: 'Whether the check meets its SLO (availability and every latency objective) over the SLO window; absent with no runs in it.',
    type: 'gauge',
    samples: perCheck((c) => (c.slo?.availability === undefined ? [] : [sample(c.check, c.slo.compliant ? 1 : 0)])),
  },
  healthmon_slo_latency_objective_seconds: {
    help: 'Latency targets of the check\'s SLO per percentile, in seconds.',
    type: 'summary',
    samples: perCheck((c) =>
      (c.slo?.latency ?? [])
        .map((l) => ({ q: quantileFromName(l.quantile), targetMs: l.targetMs }))
        .sort((a, b) => a.q - b.q)
        .map((l) => sample(c.check, seconds(l.targetMs), { quantile: String(l.q) }))),
  },
  healthmon_check_latency_anomaly: {
    help: 'Whether the check\'s latest successful run was far slower than its baseline (1) or not (0).',
    type: 'gauge',
    samples: perCheck((c) => [sample(c.check, c.anomaly.anomalous ? 1 : 0)]),
  },
  healthmon_check_latency_baseline_seconds: {
    help: 'The check\'s expected latency: an exponentially weighted mean over the trailing day of successful runs, in seconds.',
    type: 'gauge',
    samples: perCheck((c) => (c.anomaly.baselineMs === undefined ? [] : [sample(c.check, seconds(c.anomaly.baselineMs))])),
  },
};

export function registerAssessmentMetrics(registry: Registry, deps: AssessmentMetricsDeps): void {
  // Every family of one scrape is collected in one synchronous pass: assess once for all of them.
  let current: Assessment | undefined;
  const assessment = () => {
    if (!current) {
      current = deps.assessor.assess(deps.now());
      queueMicrotask(() => (current = undefined));
    }
    return current;
  };
  for (const name of ASSESSMENT_METRIC_NAMES) {
    const family = FAMILIES[name];
    registerFamily(registry, {
      name,
      help: family.help,
      type: family.type,
      collect: () => family.samples(assessment()),
    });
  }
}
