// Self-healing's series: how often each check's on_failure command ran and how it ended, and when
// it last ran, so a dashboard shows a service that is kept alive only by restarts.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RemediationMetrics } from '../remediation/remediator.js';

export function registerRemediationMetrics(registry: Registry): RemediationMetrics {
  const registers = [registry];
  const runs = new Counter({
    name: 'healthmon_remediation_runs_total',
    help: "Runs of a check's on_failure command by outcome (succeeded, failed, timeout, error).",
    labelNames: ['check', 'outcome'],
    registers,
  });
  const last = new Gauge({
    name: 'healthmon_remediation_last_run_timestamp_seconds',
    help: "When a check's on_failure command last started, in seconds since the epoch.",
    labelNames: ['check'],
    registers,
  });
  return {
    ran(check, outcome, at) {
      runs.inc({ check, outcome });
      last.set({ check }, at / 1000);
    },
  };
}
