// The assessment as series: uptime per window, health scores, latency percentiles, SLOs and the
// latency anomaly flag, computed from the assessor when scraped (and when the rule evaluator
// snapshots the registry). One assessment serves every family of one scrape.
//
// The two families labelled `quantile` are typed summary: promtool rejects that label on any
// other type. They carry quantiles only, no _sum/_count, since they describe a window, not a
// running count.
import type { Assessment, Assessor, CheckAssessment } from '../state/assessment.js';
import { UPTIME_WINDOWS, type UptimeWindow } from '../state/assessment.js';
import { BURN_RATE_WINDOWS, type BurnRateWindow } from '../state/slo.js';
import type { SampleInput } from '../promql/index.js';
import { escapeHelp, escapeLabelValue, formatValue, type ExpositionFormat } from './exposition.js';
import type { FamilyType, Sample } from './family.js';

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

/** A family has a series per check (`check`) or series of the whole assessment (`overall`). */
type Family = { help: string; type: FamilyType } & ({ check(c: CheckAssessment): Sample[] } | { overall(a: Assessment): Sample[] });

const FAMILIES: Record<AssessmentMetricName, Family> = {
  healthmon_check_uptime_ratio: {
    help: 'Share of successful runs of the check over the window (1h, 24h, 7d, 30d); absent with no runs in it.',
    type: 'gauge',
    check: (c) =>
      (Object.keys(UPTIME_WINDOWS) as UptimeWindow[]).flatMap((w) => {
        const v = c.uptime[w];
        return v === undefined ? [] : [sample(c.check, v, { window: w })];
      }),
  },
  healthmon_check_health_score: {
    help: 'Health score of the check, 0 to 100: availability 50, latency against expected 25, recent failures 25.',
    type: 'gauge',
    check: (c) => [sample(c.check, c.healthScore)],
  },
  healthmon_health_score: {
    help: 'Overall health score, 0 to 100: the checks\' scores, critical checks weighing three times.',
    type: 'gauge',
    overall: (a) => [{ labels: {}, value: a.overall.score }],
  },
  healthmon_check_latency_seconds: {
    help: 'Latency percentiles of the check over the last 24 hours, in seconds.',
    type: 'summary',
    check: (c) =>
      c.latency
        ? [sample(c.check, seconds(c.latency.p50Ms), { quantile: '0.5' }), sample(c.check, seconds(c.latency.p95Ms), { quantile: '0.95' }), sample(c.check, seconds(c.latency.p99Ms), { quantile: '0.99' })]
        : [],
  },
  healthmon_slo_objective_ratio: {
    help: 'The availability objective of the check\'s SLO, as a ratio.',
    type: 'gauge',
    check: (c) => (c.slo ? [sample(c.check, c.slo.objective)] : []),
  },
  healthmon_slo_availability_ratio: {
    help: 'Availability of the check over its SLO window; absent with no runs in it.',
    type: 'gauge',
    check: (c) => (c.slo?.availability === undefined ? [] : [sample(c.check, c.slo.availability)]),
  },
  healthmon_slo_error_budget_remaining_ratio: {
    help: 'Share of the SLO window\'s error budget left: 1 untouched, 0 spent, below 0 overspent.',
    type: 'gauge',
    check: (c) => (c.slo ? [sample(c.check, c.slo.errorBudgetRemaining)] : []),
  },
  healthmon_slo_burn_rate: {
    help: 'Error rate over the window (1h, 6h) divided by the rate the SLO allows; 1 spends the budget exactly over the SLO window.',
    type: 'gauge',
    check: (c) =>
      (Object.keys(BURN_RATE_WINDOWS) as BurnRateWindow[]).flatMap((w) => {
        const v = c.slo?.burnRate[w];
        return v === undefined ? [] : [sample(c.check, v, { window: w })];
      }),
  },
  healthmon_slo_compliant: {
    help: 'Whether the check meets its SLO (availability and every latency objective) over the SLO window; absent with no runs in it.',
    type: 'gauge',
    check: (c) => (c.slo?.availability === undefined ? [] : [sample(c.check, c.slo.compliant ? 1 : 0)]),
  },
  healthmon_slo_latency_objective_seconds: {
    help: 'Latency targets of the check\'s SLO per percentile, in seconds.',
    type: 'summary',
    check: (c) =>
      (c.slo?.latency ?? [])
        .map((l) => ({ q: quantileFromName(l.quantile), targetMs: l.targetMs }))
        .sort((a, b) => a.q - b.q)
        .map((l) => sample(c.check, seconds(l.targetMs), { quantile: String(l.q) })),
  },
  healthmon_check_latency_anomaly: {
    help: 'Whether the check\'s latest successful run was far slower than its baseline (1) or not (0).',
    type: 'gauge',
    check: (c) => [sample(c.check, c.anomaly.anomalous ? 1 : 0)],
  },
  healthmon_check_latency_baseline_seconds: {
    help: 'The check\'s expected latency: an exponentially weighted mean over the trailing day of successful runs, in seconds.',
    type: 'gauge',
    check: (c) => (c.anomaly.baselineMs === undefined ? [] : [sample(c.check, seconds(c.anomaly.baselineMs))]),
  },
};

export interface AssessmentMetrics {
  /** Every assessment family in the exposition format, after the registry's own. */
  render(format: ExpositionFormat): Buffer;
  /** The same series for the rule evaluator's window; unchanged checks keep their sample objects. */
  samples(): SampleInput[];
}

/**
 * Rendered straight from the assessment rather than through the prom-client registry: at
 * 10,000 checks that is 100,000 series a scrape, and the assessor hands back the same object for
 * a check that has not changed, so its lines (and, when rules read them, its samples) are built
 * once and reused.
 */
export function createAssessmentMetrics(deps: AssessmentMetricsDeps): AssessmentMetrics {
  /** Per check, its exposition lines per family in PER_CHECK order. */
  const textOf = cachedBy((c) =>
    PER_CHECK.map((family) => family.check(c).map((smp) => line(family.name, smp)).join('')),
  );
  const samplesOf = cachedBy((c) => PER_CHECK.flatMap((family) => family.check(c).map((smp) => sampleInput(family.name, smp))));
  // A scrape and a rule evaluation at the same moment share one assessment.
  let current: Assessment | undefined;
  const assessment = () => {
    if (!current) {
      current = deps.assessor.assess(deps.now());
      queueMicrotask(() => (current = undefined));
    }
    return current;
  };
  return {
    render(format) {
      const a = assessment();
      const om = format === 'openmetrics';
      const all = a.checks.map(textOf);
      const parts: string[] = [];
      for (const name of ASSESSMENT_METRIC_NAMES) {
        const family = FAMILIES[name];
        parts.push(`# HELP ${name} ${escapeHelp(family.help, om)}\n# TYPE ${name} ${family.type}\n`);
        if ('overall' in family) for (const smp of family.overall(a)) parts.push(line(name, smp));
        else {
          const at = PER_CHECK.findIndex((f) => f.name === name);
          for (const lines of all) parts.push(lines[at]!);
        }
      }
      return Buffer.from(parts.join(''), 'utf8');
    },
    samples() {
      const a = assessment();
      const out: SampleInput[] = [];
      for (const name of ASSESSMENT_METRIC_NAMES) {
        const family = FAMILIES[name];
        if ('overall' in family) for (const smp of family.overall(a)) out.push(sampleInput(name, smp));
      }
      for (const c of a.checks) for (const smp of samplesOf(c)) out.push(smp);
      return out;
    },
  };
}

/** The families with a series per check, in order; the others (the overall score) are rendered each time. */
const PER_CHECK = ASSESSMENT_METRIC_NAMES.flatMap((name) => {
  const family = FAMILIES[name];
  return 'check' in family ? [{ name, check: family.check }] : [];
});

/** `build` of a check's assessment, computed once per assessment object. */
function cachedBy<T>(build: (c: CheckAssessment) => T): (c: CheckAssessment) => T {
  const cache = new WeakMap<CheckAssessment, T>();
  return (c) => {
    let v = cache.get(c);
    if (v === undefined) cache.set(c, (v = build(c)));
    return v;
  };
}

function sampleInput(name: string, smp: Sample): SampleInput {
  return { labels: { __name__: name, ...(smp.labels as Record<string, string>) }, value: smp.value };
}

/** One exposition line; the same in both formats, as these families are gauges and quantile-only summaries. */
function line(name: string, smp: Sample): string {
  let labels = '';
  for (const key in smp.labels) labels += `${labels === '' ? '' : ','}${key}="${escapeLabelValue(String(smp.labels[key]))}"`;
  return `${name}${labels === '' ? '' : `{${labels}}`} ${formatValue(smp.value)}\n`;
}
