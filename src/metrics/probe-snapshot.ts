// One probe's result as the families GET /probe returns, blackbox_exporter's way: probe_success,
// probe_duration_seconds and what the kind measured, without healthmon's per-check state.
import type { CheckResult } from '../core/check-result.js';
import type { MetricSpec } from '../probes/types.js';
import type { Snapshot } from './exposition.js';

type Family = { name: string; help: string; type: string; values: { labels: Record<string, string>; value: number }[] };

export function probeSnapshot(result: CheckResult, metrics: readonly MetricSpec[]): Snapshot {
  const families: Family[] = [
    { name: 'probe_success', help: 'Whether the probe succeeded.', type: 'gauge', values: [{ labels: {}, value: result.ok ? 1 : 0 }] },
    { name: 'probe_duration_seconds', help: 'How long the probe took to complete in seconds.', type: 'gauge', values: [{ labels: {}, value: result.durationMs / 1000 }] },
  ];
  const seen = new Set(families.map((f) => f.name));
  for (const m of metrics) {
    if (seen.has(m.name)) continue;
    seen.add(m.name);
    const values = result.observations.filter((o) => o.metric === m.name).map((o) => ({ labels: o.labels ?? {}, value: o.value }));
    if (values.length > 0) families.push({ name: m.name, help: m.help, type: m.type ?? 'gauge', values });
  }
  return families as unknown as Snapshot;
}
