// The assessment through the whole app: checks run on a fake clock, their results land in the
// in-memory history, and /metrics shows uptime, scores, SLOs and baselines with exact values;
// the rule evaluator sees the same series, and promtool accepts them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import type { AlertEvent } from '../src/core/alert-event.js';
import type { CheckResult } from '../src/core/check-result.js';
import { silentLogger } from '../src/core/logger.js';
import { createMemoryHistory } from '../src/store/history-memory.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { parseExposition, type ParsedSample } from './helpers/parse-exposition.js';
import { findPeer } from './helpers/peers.js';
import { createTestKind } from './helpers/test-kind.js';

const MIN = 60_000;
const DAY = 86_400_000;

const CONFIG = `
global:
  interval: 24h
  failure_threshold: 1
  evaluation_interval: 10s
host:
  enabled: false
rule_files: [rules.yaml]
checks:
  - name: alpha
    kind: test
    critical: true
    expected_response_time: 200ms
    slo: {availability: 99%, latency: {p95: 1s, p99: 2500ms}, window: 7d}
    test: {id: a}
  - name: beta
    kind: test
    test: {id: b}
`;

const RULES = `
groups:
  - name: assessment
    rules:
      - alert: LowUptime
        expr: healthmon_check_uptime_ratio{window="1h"} < 0.9
      - alert: BudgetBurning
        expr: healthmon_slo_burn_rate{window="1h"} > 14.4
`;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-assessment-'));
  const file = join(dir, 'healthmon.yaml');
  writeFileSync(file, `${CONFIG}\nstorage:\n  path: ${join(dir, 'data')}\n`);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'rules.yaml'), RULES);
  const { kind, outcomes } = createTestKind();
  const kinds = { test: kind };
  const clock = createFakeClock();
  const history = createMemoryHistory({ retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY } });
  const events: AlertEvent[] = [];
  const load = () => loadConfig(file, { kinds, env: {} });
  const app = createApp(load(), {
    clock,
    logger: silentLogger(),
    kinds,
    build: { version: 't', nodeVersion: '20' },
    loadConfig: load,
    alertSink: { send: (e) => events.push(...e) },
    assessmentHistory: () => history,
  });
  // What the history wiring does with every result, here by hand.
  const runOnce = async (): Promise<CheckResult[]> => {
    const results = await app.runOnce();
    for (const r of results) history.append({ check: r.check, at: r.startedAt, durationMs: r.durationMs, ok: r.ok });
    return results;
  };
  return { app, clock, outcomes, runOnce, events };
}

let running: App | undefined;
afterEach(async () => {
  await running?.stop(0);
  running = undefined;
});

const scrape = async (app: App) => Buffer.concat(await app.metrics('text')).toString();
const valueOf = (samples: ParsedSample[], name: string, labels: Record<string, string> = {}) => {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]?.value;
};

describe('assessment on /metrics', () => {
  it('shows uptime, scores, SLOs and baselines computed from history', async () => {
    const { app, clock, outcomes, runOnce } = setup();
    running = app;
    // alpha: ok, ok, failed, ok ten minutes apart; beta: always ok.
    for (const ok of [true, true, false, true]) {
      if (ok) outcomes.delete('a');
      else outcomes.set('a', { ok: false, reason: 'timeout', message: 'slow', phases: {}, observations: [] });
      await runOnce();
      await clock.advance(10 * MIN);
    }
    const text = await scrape(app);
    const samples = parseExposition(text);
    const v = (name: string, labels: Record<string, string> = {}) => valueOf(samples, name, labels);

    // 3 of 4 runs OK in every window.
    for (const window of ['1h', '24h', '7d', '30d']) {
      expect(v('healthmon_check_uptime_ratio', { check: 'alpha', window })).toBe(0.75);
      expect(v('healthmon_check_uptime_ratio', { check: 'beta', window })).toBe(1);
    }
    expect(samples.filter((s) => s.name === 'healthmon_check_uptime_ratio').map((s) => Object.keys(s.labels).sort())).toEqual(new Array(8).fill(['check', 'window']));

    // alpha: availability 0.75 → 0; latency (well under 200 ms) → 25; up again, no failure now → 25.
    expect(v('healthmon_check_health_score', { check: 'alpha' })).toBe(50);
    expect(v('healthmon_check_health_score', { check: 'beta' })).toBe(100);
    // (3·50 + 100) / 4
    expect(v('healthmon_health_score')).toBe(62.5);

    // SLO 99 % over 7d: 1 failure in 4 runs.
    expect(v('healthmon_slo_objective_ratio', { check: 'alpha' })).toBe(0.99);
    expect(v('healthmon_slo_availability_ratio', { check: 'alpha' })).toBe(0.75);
    expect(v('healthmon_slo_compliant', { check: 'alpha' })).toBe(0);
    expect(v('healthmon_slo_error_budget_remaining_ratio', { check: 'alpha' })).toBeCloseTo(1 - 1 / (4 * 0.01), 9); // −24
    expect(v('healthmon_slo_burn_rate', { check: 'alpha', window: '1h' })).toBe(25); // 0.25 / 0.01
    expect(v('healthmon_slo_burn_rate', { check: 'alpha', window: '6h' })).toBe(25);
    expect(v('healthmon_slo_latency_objective_seconds', { check: 'alpha', quantile: '0.95' })).toBe(1);
    expect(v('healthmon_slo_latency_objective_seconds', { check: 'alpha', quantile: '0.99' })).toBe(2.5);
    expect(text).toContain('# TYPE healthmon_slo_latency_objective_seconds summary');
    expect(samples.filter((s) => s.name.startsWith('healthmon_slo_') && s.labels.check === 'beta')).toEqual([]);

    // Latency over 24 h: the test probe answers at once.
    for (const quantile of ['0.5', '0.95', '0.99']) {
      const seconds = v('healthmon_check_latency_seconds', { check: 'alpha', quantile })!;
      expect(seconds).toBeGreaterThanOrEqual(0);
      expect(seconds).toBeLessThan(0.2);
    }
    expect(text).toContain('# TYPE healthmon_check_latency_seconds summary');

    expect(v('healthmon_check_latency_anomaly', { check: 'alpha' })).toBe(0);
    expect(v('healthmon_check_latency_anomaly', { check: 'beta' })).toBe(0);
    expect(v('healthmon_check_latency_baseline_seconds', { check: 'beta' })).toBeLessThan(0.2);

    // The API's shape agrees with /metrics.
    const a = app.assessor.assess(clock.now());
    expect(a.overall).toMatchObject({ score: 62.5, total: 2, healthy: 2, healthPercentage: 100 });
    expect(a.checks[0]).toMatchObject({ check: 'alpha', status: 'healthy', uptime: { '1h': 0.75 }, errorRate: 0.25 });
  });

  it('moves windows with the clock: an hour later the first runs have left the 1h window', async () => {
    const { app, clock, outcomes, runOnce } = setup();
    running = app;
    outcomes.set('a', { ok: false, reason: 'timeout', message: 'slow', phases: {}, observations: [] });
    await runOnce(); // T: alpha fails
    outcomes.delete('a');
    await clock.advance(30 * MIN);
    await runOnce(); // T+30m: ok
    await clock.advance(31 * MIN); // T+61m: the failure is more than an hour old
    const samples = parseExposition(await scrape(app));
    expect(valueOf(samples, 'healthmon_check_uptime_ratio', { check: 'alpha', window: '1h' })).toBe(1);
    expect(valueOf(samples, 'healthmon_check_uptime_ratio', { check: 'alpha', window: '24h' })).toBe(0.5);
    expect(valueOf(samples, 'healthmon_slo_burn_rate', { check: 'alpha', window: '1h' })).toBe(0);
    expect(valueOf(samples, 'healthmon_slo_burn_rate', { check: 'alpha', window: '6h' })).toBe(50);
  });

  it('is visible to the rule evaluator', async () => {
    const { app, clock, outcomes, runOnce, events } = setup();
    running = app;
    for (const ok of [true, false, true]) {
      if (ok) outcomes.delete('a');
      else outcomes.set('a', { ok: false, reason: 'timeout', message: 'slow', phases: {}, observations: [] });
      await runOnce();
      await clock.advance(MIN);
    }
    await app.start({ listen: false });
    await clock.advance(10_000);
    const firing = events.filter((e) => e.status === 'firing').map((e) => `${e.labels.alertname} ${e.labels.check} ${e.labels.window}`);
    expect(firing.sort()).toEqual(['BudgetBurning alpha 1h', 'LowUptime alpha 1h']);
  });

  const promtool = findPeer('promtool');
  it.skipIf(!promtool)('passes promtool check metrics with every assessment family present', async () => {
    const { app, clock, outcomes, runOnce } = setup();
    running = app;
    outcomes.set('a', { ok: false, reason: 'timeout', message: 'slow', phases: {}, observations: [] });
    await runOnce();
    outcomes.delete('a');
    await clock.advance(MIN);
    await runOnce();
    for (const format of ['text', 'openmetrics'] as const) {
      const body = Buffer.concat(await app.metrics(format)).toString();
      for (const name of ['healthmon_check_uptime_ratio', 'healthmon_check_latency_seconds', 'healthmon_slo_burn_rate', 'healthmon_slo_latency_objective_seconds', 'healthmon_check_latency_baseline_seconds']) {
        expect(body).toContain(`\n${name}{`);
      }
      const run = spawnSync(promtool!, ['check', 'metrics'], { input: format === 'openmetrics' ? body.replace('# EOF\n', '') : body, encoding: 'utf8' });
      const complaints = (run.stderr + run.stdout).split('\n').filter((l) => l.startsWith('healthmon_check_') || l.startsWith('healthmon_slo_') || l.startsWith('healthmon_health'));
      expect(complaints).toEqual([]);
    }
  });
});
