// The rule evaluator inside the app, on a fake clock: the window fed from what /metrics shows,
// groups on their interval, alerts to the sink, ALERTS on /metrics, state across restarts.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import type { AlertEvent } from '../src/core/alert-event.js';
import type { ProbeOutcome } from '../src/core/check-result.js';
import { silentLogger } from '../src/core/logger.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { parseExposition } from './helpers/parse-exposition.js';
import { createTestKind } from './helpers/test-kind.js';

const CONFIG = `
global:
  interval: 10s
  failure_threshold: 1
  evaluation_interval: 10s
  external_labels: {replica: r1}
server:
  listen: "127.0.0.1:0"
  external_url: http://healthmon.example:9469/
host:
  enabled: false
rule_files: [rules/*.yaml]
checks:
  - name: alpha
    kind: test
    test: {id: a}
  - name: beta
    kind: test
    test: {id: b}
`;

const RULES = `
groups:
  - name: checks
    rules:
      - record: healthmon:check_up:sum
        expr: sum(healthmon_check_up)
      - alert: ServiceDown
        expr: healthmon_check_up == 0 and on() healthmon:check_up:sum < 2
        for: 20s
        labels: {severity: critical}
        annotations:
          summary: '{{ $labels.check }} is down ({{ $value }}), {{ query "healthmon:check_up:sum" | first | value }} up'
`;

const DOWN: ProbeOutcome = { ok: false, reason: 'connection_refused', message: 'refused', phases: {}, observations: [] };

interface Setup {
  app: App;
  clock: FakeClock;
  outcomes: ReturnType<typeof createTestKind>['outcomes'];
  events: AlertEvent[];
  dir: string;
}

function setup(options: { dir?: string; clock?: FakeClock; rules?: string } = {}): Setup {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'healthmon-rules-'));
  const file = join(dir, 'healthmon.yaml');
  writeFileSync(file, `${CONFIG}\nstorage:\n  path: ${join(dir, 'data')}\n`);
  if (!options.dir || options.rules) {
    mkdirSync(join(dir, 'rules'), { recursive: true });
    writeFileSync(join(dir, 'rules', 'main.yaml'), options.rules ?? RULES);
  }
  const { kind, outcomes } = createTestKind();
  const kinds = { test: kind };
  const clock = options.clock ?? createFakeClock();
  const events: AlertEvent[] = [];
  const load = () => loadConfig(file, { kinds, env: {} });
  const app = createApp(load(), {
    clock, logger: silentLogger(), kinds, build: { version: 't', nodeVersion: '20' }, loadConfig: load,
    alertSink: { send: (e) => events.push(...e) },
  });
  return { app, clock, outcomes, events, dir };
}

let running: App[] = [];
afterEach(async () => {
  for (const app of running) await app.stop(0);
  running = [];
});

async function alertsOnMetrics(app: App): Promise<ReturnType<typeof parseExposition>> {
  const body = Buffer.concat(await app.metrics('text')).toString();
  return parseExposition(body).filter((s) => s.name.startsWith('ALERTS'));
}

describe('rule evaluation in the app', () => {
  it('fires after for:, with templated annotations and external labels, then resolves', async () => {
    const s = setup();
    running.push(s.app);
    s.outcomes.set('b', DOWN);
    await s.app.start({ listen: false });
    // Rules wait until every check has reported: not at 0 s, at 10 s.
    await s.clock.advance(1);
    expect(s.app.rules.groups()[0]!.lastEvaluationAt).toBeUndefined();
    await s.clock.advance(10_000);
    const group = s.app.rules.groups()[0]!;
    expect(group.rules.map((r) => r.health)).toEqual(['ok', 'ok']);
    expect([...group.rules[1]!.alerts.values()].map((a) => a.state)).toEqual(['pending']);
    expect(s.events).toEqual([]);
    expect(await alertsOnMetrics(s.app)).toContainEqual(expect.objectContaining({ name: 'ALERTS', labels: expect.objectContaining({ alertname: 'ServiceDown', check: 'beta', alertstate: 'pending' }) }));

    await s.clock.advance(20_000);
    expect(s.events).toHaveLength(1);
    const fired = s.events[0]!;
    expect(fired).toMatchObject({
      status: 'firing',
      labels: { alertname: 'ServiceDown', check: 'beta', kind: 'test', severity: 'critical', replica: 'r1' },
      annotations: { summary: 'beta is down (0), 1 up' },
      group: `${join(s.dir, 'rules', 'main.yaml')};checks`,
    });
    expect(fired.generatorURL).toBe('http://healthmon.example:9469/graph?g0.expr=healthmon_check_up+%3D%3D+0+and+on%28%29+healthmon%3Acheck_up%3Asum+%3C+2&g0.tab=1');
    expect(await alertsOnMetrics(s.app)).toContainEqual(expect.objectContaining({ name: 'ALERTS', labels: expect.objectContaining({ alertstate: 'firing' }) }));

    s.outcomes.delete('b');
    await s.clock.advance(20_000);
    expect(s.events.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(s.events[1]!.endsAt! % 10_000).toBe(0);
    expect(s.events[1]!.endsAt).toBeGreaterThan(fired.startsAt);
    expect(s.events[1]!.startsAt).toBe(fired.startsAt);
    expect(await alertsOnMetrics(s.app)).toEqual([]);
  });

  it('counts evaluations and failures per group and shows them on /metrics', async () => {
    const s = setup({ rules: `
groups:
  - name: broken
    rules:
      - record: dup
        expr: healthmon_check_up
        labels: {check: same}
      - record: fine
        expr: vector(1)
` });
    running.push(s.app);
    await s.app.start({ listen: false });
    await s.clock.advance(30_000); // evaluations at 10 s, 20 s and 30 s
    const metrics = parseExposition(Buffer.concat(await s.app.metrics('text')).toString());
    const group = `${join(s.dir, 'rules', 'main.yaml')};broken`;
    const value = (name: string) => metrics.find((m) => m.name === name && m.labels.rule_group === group)?.value;
    expect(value('healthmon_rule_evaluations_total')).toBe(6);
    expect(value('healthmon_rule_evaluation_failures_total')).toBe(3);
    expect(value('healthmon_rule_group_rules')).toBe(2);
    expect(value('healthmon_rule_group_interval_seconds')).toBe(10);
    expect(s.app.rules.groups()[0]!.rules[0]!.lastError).toBe('vector contains metrics with the same labelset after applying rule labels');
    // The recording rule that works feeds the window; the failing one wrote nothing.
    expect(s.app.rules.window.select([{ name: '__name__', op: '=', value: 'fine' }])).toHaveLength(1);
    expect(s.app.rules.window.select([{ name: '__name__', op: '=', value: 'dup' }])).toHaveLength(0);
  });

  it('does not fire again as new after a restart, and a pending for: resumes', async () => {
    const clock = createFakeClock();
    const first = setup({ clock });
    first.outcomes.set('b', DOWN);
    await first.app.start({ listen: false });
    await clock.advance(40_000);
    expect(first.events.map((e) => e.status)).toEqual(['firing']);
    await first.app.stop(0);
    const saved = JSON.parse(readFileSync(join(first.dir, 'data', 'alert-state.json'), 'utf8'));
    expect(Object.values(saved.groups)).toHaveLength(1);

    await clock.advance(60_000);
    const second = setup({ clock, dir: first.dir });
    running.push(second.app);
    second.outcomes.set('b', DOWN);
    await second.app.start({ listen: false });
    await clock.advance(30_000);
    expect(second.events).toEqual([]);
    const alert = [...second.app.rules.groups()[0]!.rules[1]!.alerts.values()][0]!;
    expect(alert.state).toBe('firing');
    second.outcomes.delete('b');
    await clock.advance(20_000);
    expect(second.events.map((e) => e.status)).toEqual(['resolved']);
  });

  it('resumes a pending alert where it stopped, its start moved by the downtime', async () => {
    const clock = createFakeClock();
    const first = setup({ clock });
    first.outcomes.set('b', DOWN);
    await first.app.start({ listen: false });
    await clock.advance(20_000); // pending since 10 s: 10 s of the 20 s done
    expect(first.events).toEqual([]);
    await first.app.stop(0);
    await clock.advance(120_000);
    const second = setup({ clock, dir: first.dir });
    running.push(second.app);
    second.outcomes.set('b', DOWN);
    await second.app.start({ listen: false });
    await clock.advance(10_000); // first evaluation once the checks reported: still 10 s done
    expect(second.events).toEqual([]);
    await clock.advance(10_000);
    expect(second.events.map((e) => e.status)).toEqual(['firing']);
  });

  it('keeps alerts across a reload that leaves the rule unchanged and ends outputs of removed rules', async () => {
    const s = setup();
    running.push(s.app);
    s.outcomes.set('b', DOWN);
    await s.app.start({ listen: false });
    await s.clock.advance(40_000);
    expect(s.events.map((e) => e.status)).toEqual(['firing']);
    writeFileSync(join(s.dir, 'rules', 'main.yaml'), RULES.replace(/      - record: healthmon:check_up:sum\n        expr: sum\(healthmon_check_up\)\n/, '      - record: other\n        expr: vector(2)\n      - record: healthmon:check_up:sum\n        expr: sum(healthmon_check_up)\n'));
    expect(await s.app.reload()).toEqual([]);
    await s.clock.advance(10_000);
    expect(s.events.map((e) => e.status)).toEqual(['firing']);

    writeFileSync(join(s.dir, 'rules', 'main.yaml'), 'groups: []\n');
    expect(await s.app.reload()).toEqual([]);
    const engine = s.app.rules.window;
    expect(engine.select([{ name: '__name__', op: '=', value: 'other' }])[0]!.stale.length).toBe(1);
  });

  it('rejects a reload whose rule file is bad, naming file, line and rule, and keeps the old rules', async () => {
    const s = setup();
    running.push(s.app);
    await s.app.start({ listen: false });
    writeFileSync(join(s.dir, 'rules', 'main.yaml'), 'groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: rate(up)\n');
    const problems = await s.app.reload();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${join(s.dir, 'rules', 'main.yaml')}:5: group "g", rule 1, "X": could not parse expression: 1:6: parse error: expected type range vector in call to function "rate", got instant vector`);
    expect(s.app.rules.groups()[0]!.def.name).toBe('checks');
  });
});
