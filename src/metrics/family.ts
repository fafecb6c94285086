// A metric family whose samples are computed at scrape time from live state (the const-metrics
// pattern of exporters): vanished label sets disappear on their own, nothing to remove.
import type { Registry } from 'prom-client';

export type FamilyType = 'gauge' | 'counter' | 'histogram' | 'summary';

export interface Sample {
  value: number;
  labels: Record<string, string | number>;
  /** For histograms: the sample's own name (`x_bucket`, `x_sum`, `x_count`). */
  metricName?: string;
}

export interface FamilyDef {
  name: string;
  help: string;
  type: FamilyType;
  collect(): Sample[] | Promise<Sample[]>;
}

/** Registers a computed family in a prom-client registry, which renders it like its own. */
export function registerFamily(registry: Registry, def: FamilyDef): void {
  registry.registerMetric({
    name: def.name,
    help: def.help,
    type: def.type,
    aggregator: 'sum',
    async get() {
      return { name: def.name, help: def.help, type: def.type, aggregator: 'sum', values: await def.collect() };
    },
    reset() {},
  } as unknown as Parameters<Registry['registerMetric']>[0]);
}
