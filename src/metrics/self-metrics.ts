// healthmon's own health: build, config reloads, scheduler lag and load, plus prom-client's
// process and Node.js runtime metrics.
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface SelfMetrics {
  configReloaded(ok: boolean, atMs: number): void;
  observeLag(lagMs: number): void;
  runSkipped(): void;
}

export interface BuildInfo {
  version: string;
  nodeVersion: string;
}

export function registerSelfMetrics(registry: Registry, build: BuildInfo, inFlight: () => number): SelfMetrics {
  new Gauge({
    name: 'healthmon_build_info',
    help: 'healthmon build facts; always 1.',
    labelNames: ['version', 'nodejs_version'],
    registers: [registry],
  }).set({ version: build.version, nodejs_version: build.nodeVersion }, 1);
  const reloadOk = new Gauge({
    name: 'healthmon_config_last_reload_successful',
    help: 'Whether the last configuration reload attempt was successful.',
    registers: [registry],
  });
  const reloadAt = new Gauge({
    name: 'healthmon_config_last_reload_success_timestamp_seconds',
    help: 'Timestamp of the last successful configuration reload.',
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'healthmon_scheduler_lag_seconds',
    help: 'How late check runs started against their due time, in seconds.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const skipped = new Counter({
    name: 'healthmon_scheduler_runs_skipped_total',
    help: 'Runs not started because the previous run of the same check was still going.',
    registers: [registry],
  });
  new Gauge({
    name: 'healthmon_checks_in_flight',
    help: 'Check runs in progress right now.',
    registers: [registry],
    collect() {
      this.set(inFlight());
    },
  });
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges with a counter's `_total` suffix; promtool rightly flags them.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  return {
    configReloaded(ok, atMs) {
      reloadOk.set(ok ? 1 : 0);
      if (ok) reloadAt.set(atMs / 1000);
    },
    observeLag: (lagMs) => lag.observe(lagMs / 1000),
    runSkipped: () => skipped.inc(),
  };
}
