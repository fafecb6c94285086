// Per-check series: blackbox_exporter's probe_* names for what a probe measured, healthmon_check_*
// for status after hysteresis. Rendered straight from the state store, each check's lines cached
// as bytes until it records a new result, so a scrape of 10,000 checks copies byte ranges instead
// of building hundreds of thousands of sample objects or one 30 MB string.
import type { CheckSpec } from '../config/config.js';
import type { Observation } from '../core/check-result.js';
import type { SampleInput } from '../promql/index.js';
import type { MetricSpec } from '../probes/types.js';
import { CHECK_STATUSES } from '../state/check-state.js';
import { DURATION_BUCKETS, type CheckEntry, type StateStore } from '../state/state-store.js';
import { escapeHelp, escapeLabelValue, formatValue, type ExpositionFormat } from './exposition.js';

type Labels = Record<string, string>;
/** Adds one sample of this family: extra labels (beyond the check's), value, optional suffix. */
type Emit = (extra: Labels | undefined, value: number, suffix?: string) => void;

/** The last result's observations by metric name, grouped once per check. */
type ObservationsByMetric = ReadonlyMap<string, readonly Observation[]>;

interface CheckFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  samples(e: CheckEntry, emit: Emit, observed: ObservationsByMetric): void;
}

export interface CheckMetrics {
  /** The exposition of every per-check family, in the given format, as UTF-8. */
  render(format: ExpositionFormat): Buffer;
  /**
   * Says a check recorded a result: its lines are rebuilt soon, in small batches between other
   * work and in the format last scraped, so a scrape mostly copies what is ready.
   */
  changed(entry: CheckEntry): void;
  /**
   * The same series as structured samples, for the rule evaluator's window. Label objects are
   * kept per check and series across results, so the window finds its series by identity.
   */
  samples(): SampleInput[];
}

function families(probeMetrics: readonly MetricSpec[]): CheckFamily[] {
  const gauge = (name: string, help: string, samples: CheckFamily['samples']): CheckFamily => ({ name, help, type: 'gauge', samples });
  const declared = new Map<string, MetricSpec>();
  for (const m of probeMetrics) if (!declared.has(m.name) && m.name !== 'probe_success' && m.name !== 'probe_duration_seconds') declared.set(m.name, m);
  return [
    gauge('probe_success', 'Whether the last probe of the check succeeded (before hysteresis).', (e, emit) => {
      if (e.state.last) emit(undefined, e.state.last.ok ? 1 : 0);
    }),
    gauge('probe_duration_seconds', 'How long the last probe took to complete in seconds.', (e, emit) => {
      if (e.state.last) emit(undefined, e.state.last.durationMs / 1000);
    }),
    // Every gauge a kind declares, filled from the last result's observations.
    ...[...declared.values()].map((m): CheckFamily => ({
      name: m.name,
      help: m.help,
      type: m.type ?? 'gauge',
      samples: (_e, emit, observed) => {
        for (const o of observed.get(m.name) ?? []) emit(o.labels, o.value);
      },
    })),
    gauge('healthmon_check_up', 'Whether the check is up after failure_threshold/success_threshold hysteresis.', (e, emit) => {
      if (e.state.up !== undefined) emit(undefined, e.state.up ? 1 : 0);
    }),
    gauge('healthmon_check_status', 'The check status: exactly one of healthy, degraded, unhealthy, critical is 1.', (e, emit) => {
      const status = e.state.status;
      if (status !== undefined) for (const s of CHECK_STATUSES) emit({ status: s }, s === status ? 1 : 0);
    }),
    gauge('healthmon_check_consecutive_failures', 'Failed runs of the check in a row.', (e, emit) => emit(undefined, e.state.consecutiveFailures)),
    gauge('healthmon_check_failure_reason', 'Why the last run of a failing check failed: 1 for the current reason.', (e, emit) => {
      const last = e.state.last;
      if (last && !last.ok && last.reason) emit({ reason: last.reason }, 1);
    }),
    gauge('healthmon_check_last_run_timestamp_seconds', 'When the last run of the check started, in unix seconds.', (e, emit) => {
      if (e.state.last) emit(undefined, e.state.last.startedAt / 1000);
    }),
    gauge('healthmon_check_info', 'Static facts about a configured check; always 1.', (e, emit) =>
      emit({ critical: String(e.spec.critical), target: e.spec.target }, 1),
    ),
    gauge('healthmon_check_expected_response_time_seconds', 'The expected_response_time of the check; slower successful runs are degraded.', (e, emit) => {
      if (e.spec.expectedResponseTimeMs !== undefined) emit(undefined, e.spec.expectedResponseTimeMs / 1000);
    }),
    {
      name: 'healthmon_checks_total',
      help: 'Runs of the check by result (success or failure), counted after retries.',
      type: 'counter',
      samples(e, emit) {
        emit({ result: 'success' }, e.successes);
        emit({ result: 'failure' }, e.failures);
      },
    },
    {
      name: 'healthmon_check_duration_seconds',
      help: 'How long runs of the check took, in seconds (the last attempt of each run).',
      type: 'histogram',
      samples(e, emit) {
        let cumulative = 0;
        DURATION_BUCKETS.forEach((le, i) => {
          cumulative += e.durationBuckets[i]!;
          emit({ le: String(le) }, cumulative, '_bucket');
        });
        cumulative += e.durationBuckets[DURATION_BUCKETS.length]!;
        emit({ le: '+Inf' }, cumulative, '_bucket');
        emit(undefined, e.durationSumSeconds, '_sum');
        emit(undefined, cumulative, '_count');
      },
    },
  ];
}

/** `le` in OpenMetrics is a canonical float: `1` becomes `1.0`. */
function omLe(le: string): string {
  return le === '+Inf' || /[.e]/.test(le) ? le : `${le}.0`;
}

function labelText(labels: Labels): string {
  let out = '';
  for (const k in labels) out += `${out === '' ? '' : ','}${k}="${escapeLabelValue(labels[k]!)}"`;
  return out;
}

function groupObservations(e: CheckEntry): ObservationsByMetric {
  const observed = new Map<string, Observation[]>();
  for (const o of e.state.last?.observations ?? []) {
    const list = observed.get(o.metric);
    if (list) list.push(o);
    else observed.set(o.metric, [o]);
  }
  return observed;
}

/** One check's lines for every family, in one buffer: family f is bytes offsets[f]..offsets[f+1]. */
interface Rendered {
  bytes: Buffer;
  offsets: Uint32Array;
}

interface Cached {
  version: number;
  text: Rendered | undefined;
  om: Rendered | undefined;
  samples: SampleInput[] | undefined;
}

export interface CheckMetricsDeps {
  /** Runs a batch of background rendering later; setImmediate in the app, direct in tests. */
  defer(fn: () => void): void;
}

const BATCH = 256;

export function createCheckMetrics(store: StateStore, probeMetrics: readonly MetricSpec[], deps: CheckMetricsDeps): CheckMetrics {
  const defs = families(probeMetrics);
  const baseText = new WeakMap<CheckSpec, string>();
  const cache = new WeakMap<CheckEntry, Cached>();

  const base = (spec: CheckSpec) => {
    let text = baseText.get(spec);
    if (text === undefined) {
      text = labelText({ check: spec.name, kind: spec.kind, ...spec.labels });
      baseText.set(spec, text);
    }
    return text;
  };

  // The lines of one check for every family, in one format.
  const linesOf = (e: CheckEntry, om: boolean): Rendered => {
    const prefix = base(e.spec);
    const observed = groupObservations(e);
    const segments = defs.map((def) => {
      const lines: string[] = [];
      def.samples(e, (extra, value, suffix = '') => {
        let labels = prefix;
        if (extra) {
          const rest = om && extra.le !== undefined ? labelText({ ...extra, le: omLe(extra.le) }) : labelText(extra);
          labels = labels === '' ? rest : `${labels},${rest}`;
        }
        lines.push(`${def.name}${suffix}{${labels}} ${formatValue(value)}\n`);
      }, observed);
      return lines.join('');
    });
    const offsets = new Uint32Array(segments.length + 1);
    segments.forEach((s, f) => (offsets[f + 1] = offsets[f]! + Buffer.byteLength(s)));
    return { bytes: Buffer.from(segments.join(''), 'utf8'), offsets };
  };

  const current = (e: CheckEntry): Cached => {
    let c = cache.get(e);
    if (!c || c.version !== e.version) {
      c = { version: e.version, text: undefined, om: undefined, samples: undefined };
      cache.set(e, c);
    }
    return c;
  };
  const cached = (e: CheckEntry, om: boolean): Rendered => {
    const c = current(e);
    if (om) return (c.om ??= linesOf(e, true));
    return (c.text ??= linesOf(e, false));
  };

  // Label records by check and series, reused while the check's spec is the same.
  const labelRecords = new WeakMap<CheckSpec, Map<string, Labels>>();
  const samplesOf = (e: CheckEntry): SampleInput[] => {
    let records = labelRecords.get(e.spec);
    if (!records) labelRecords.set(e.spec, (records = new Map()));
    const observed = groupObservations(e);
    const out: SampleInput[] = [];
    for (const def of defs) {
      def.samples(e, (extra, value, suffix = '') => {
        const name = def.name + suffix;
        const key = extra ? `${name}{${labelText(extra)}` : name;
        let labels = records.get(key);
        if (!labels) records.set(key, (labels = { __name__: name, check: e.spec.name, kind: e.spec.kind, ...e.spec.labels, ...extra }));
        out.push({ labels, value });
      }, observed);
    }
    return out;
  };

  let lastFormat: ExpositionFormat | undefined;
  const dirty = new Set<CheckEntry>();
  let flushing = false;
  const flush = () => {
    let n = 0;
    for (const e of dirty) {
      dirty.delete(e);
      if (lastFormat !== undefined) cached(e, lastFormat === 'openmetrics');
      if (++n === BATCH) break;
    }
    flushing = dirty.size > 0;
    if (flushing) deps.defer(flush);
  };

  return {
    samples() {
      const out: SampleInput[] = [];
      for (const e of store.entries()) {
        const c = current(e);
        for (const s of (c.samples ??= samplesOf(e))) out.push(s);
      }
      return out;
    },
    changed(entry) {
      if (lastFormat === undefined) return; // nobody scrapes: render on demand only
      dirty.add(entry);
      if (!flushing) {
        flushing = true;
        deps.defer(flush);
      }
    },
    render(format) {
      lastFormat = format;
      const om = format === 'openmetrics';
      const entries = [...store.entries()].map((e) => cached(e, om));
      const headers = defs.map((def) => {
        const name = om && def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name;
        return Buffer.from(`# HELP ${name} ${escapeHelp(def.help, om)}\n# TYPE ${name} ${def.type}\n`, 'utf8');
      });
      let size = headers.reduce((n, h) => n + h.length, 0);
      for (const r of entries) size += r.bytes.length;
      const out = Buffer.allocUnsafe(size);
      let at = 0;
      defs.forEach((_def, f) => {
        at += headers[f]!.copy(out, at);
        for (const r of entries) at += r.bytes.copy(out, at, r.offsets[f]!, r.offsets[f + 1]!);
      });
      return out;
    },
  };
}
