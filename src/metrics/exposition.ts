// Renders a registry snapshot as Prometheus text 0.0.4 or OpenMetrics 1.0.0, and picks the
// format from the scraper's Accept header. Ours rather than prom-client's, whose OpenMetrics
// output renames counters in place and whose escaping differs from the spec.
import type { MetricObjectWithValues, MetricValueWithName } from 'prom-client';
import type { SampleInput } from '../promql/index.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export type Snapshot = ReadonlyArray<MetricObjectWithValues<MetricValueWithName<string>>>;

export type ExpositionFormat = 'text' | 'openmetrics';

export function negotiate(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && accept.includes('application/openmetrics-text') ? 'openmetrics' : 'text';
}

export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}

const NEEDS_LABEL_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(v: string): string {
  return NEEDS_LABEL_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

export function escapeHelp(help: string, om: boolean): string {
  const out = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return om ? out.replace(/"/g, '\\"') : out;
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** OpenMetrics wants canonical `le`/`quantile` values: a float with a decimal point. */
function canonicalFloat(v: string | number): string {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function renderLabels(labels: Record<string, string | number | undefined>, om: boolean): string {
  let out = '';
  for (const key in labels) {
    const raw = labels[key];
    if (raw === undefined) continue;
    let value: string;
    if (key === 'le' || key === 'quantile') value = om ? canonicalFloat(raw) : typeof raw === 'number' ? formatValue(raw) : raw;
    else value = typeof raw === 'number' ? formatValue(raw) : escapeLabelValue(raw);
    out += out === '' ? `${key}="${value}"` : `,${key}="${value}"`;
  }
  return out === '' ? '' : `{${out}}`;
}

/** Renders the registry's families; `open` leaves off OpenMetrics' # EOF, for more to follow. */
export function render(snapshot: Snapshot, format: ExpositionFormat, options: { open?: boolean } = {}): string {
  const om = format === 'openmetrics';
  const parts: string[] = [];
  for (const family of snapshot) {
    const values = family.values ?? [];
    let familyName = family.name;
    let sampleName = family.name;
    // prom-client types this as an enum whose values are the exposition's type names.
    const kind = family.type as unknown as string;
    if (om && kind === 'counter') {
      familyName = family.name.endsWith('_total') ? family.name.slice(0, -'_total'.length) : family.name;
      sampleName = `${familyName}_total`;
    }
    const type = om && kind === 'untyped' ? 'unknown' : kind;
    parts.push(`# HELP ${familyName} ${escapeHelp(family.help, om)}\n# TYPE ${familyName} ${type}\n`);
    let chunk = '';
    for (const v of values) {
      chunk += `${v.metricName ?? sampleName}${renderLabels(v.labels, om)} ${formatValue(v.value)}\n`;
      if (chunk.length > 65_536) {
        parts.push(chunk);
        chunk = '';
      }
    }
    if (chunk !== '') parts.push(chunk);
  }
  if (om && !options.open) parts.push('# EOF\n');
  return parts.join('');
}

/** The registry's series as a text-format scrape would give them to Prometheus, structured. */
export function snapshotSamples(snapshot: Snapshot): SampleInput[] {
  const out: SampleInput[] = [];
  for (const family of snapshot) {
    for (const v of family.values ?? []) {
      const labels: Record<string, string> = { __name__: v.metricName ?? family.name };
      for (const key in v.labels) {
        const raw = v.labels[key];
        if (raw !== undefined) labels[key] = typeof raw === 'number' ? formatValue(raw) : raw;
      }
      out.push({ labels, value: v.value });
    }
  }
  return out;
}
