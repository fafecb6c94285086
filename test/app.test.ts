import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { parseExposition } from './helpers/parse-exposition.js';
import { createTestKind } from './helpers/test-kind.js';

const CONFIG = `
global:
  interval: 10s
  failure_threshold: 2
host:
  enabled: false
server:
  listen: "127.0.0.1:0"
checks:
  - name: alpha
    kind: test
    critical: true
    labels: {team: core}
    test: {id: a}
  - name: beta
    kind: test
    test: {id: b}
`;

function setup(text = CONFIG) {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-app-'));
  const file = join(dir, 'healthmon.yaml');
  writeFileSync(file, text);
  const { kind, outcomes } = createTestKind();
  const kinds = { test: kind };
  const clock = createFakeClock();
  const load = () => loadConfig(file, { kinds, env: {} });
  const app = createApp(load(), { clock, logger: silentLogger(), kinds, build: { version: '0.0.0-test', nodeVersion: '20' }, loadConfig: load });
  return { app, file, outcomes, clock };
}

let running: App | undefined;
afterEach(async () => {
  await running?.stop(0);
  running = undefined;
});

async function scrape(port: number, accept?: string) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: accept ? { accept } : {} });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('app', () => {
  it('serves per-check series with blackbox and healthmon names after runs', async () => {
    const { app, outcomes } = setup();
    running = app;
    const port = (await app.start())!;
    outcomes.set('b', { ok: false, reason: 'connection_refused', message: 'refused', phases: {}, observations: [] });
    await app.runOnce();
    await app.runOnce();
    const { status, type, body } = await scrape(port);
    expect(status).toBe(200);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parseExposition(body);
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('probe_success', { check: 'alpha', kind: 'test', team: 'core' })).toBe(1);
    expect(value('probe_test_value', { check: 'alpha' })).toBe(42);
    expect(value('probe_success', { check: 'beta' })).toBe(0);
    expect(value('healthmon_check_up', { check: 'beta' })).toBe(0);
    expect(value('healthmon_check_status', { check: 'beta', status: 'unhealthy' })).toBe(1);
    expect(value('healthmon_check_status', { check: 'beta', status: 'healthy' })).toBe(0);
    expect(value('healthmon_check_status', { check: 'alpha', status: 'healthy' })).toBe(1);
    expect(value('healthmon_check_failure_reason', { check: 'beta', reason: 'connection_refused' })).toBe(1);
    expect(value('healthmon_check_failure_reason', { check: 'alpha' })).toBeUndefined();
    expect(value('healthmon_check_consecutive_failures', { check: 'beta' })).toBe(2);
    expect(value('healthmon_checks_total', { check: 'beta', result: 'failure' })).toBe(2);
    expect(value('healthmon_checks_total', { check: 'beta', result: 'success' })).toBe(0);
    expect(value('healthmon_check_duration_seconds_count', { check: 'alpha' })).toBe(2);
    expect(value('healthmon_check_info', { check: 'alpha', critical: 'true', target: 'test:a' })).toBe(1);
    expect(value('healthmon_build_info', { version: '0.0.0-test' })).toBe(1);
    expect(value('healthmon_config_last_reload_successful', {})).toBe(1);
  });

  it('answers OpenMetrics when asked and gzip when accepted', async () => {
    const { app } = setup();
    running = app;
    const port = (await app.start())!;
    await app.runOnce();
    const om = await scrape(port, 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
    expect(om.type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    expect(om.body).toContain('# TYPE healthmon_checks counter');
    expect(om.body).toMatch(/^healthmon_check_duration_seconds_bucket\{check="alpha",kind="test",team="core",le="1\.0"\} 1$/m);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toContain('healthmon_build_info');
  });

  it('shows a new result on the next scrape, in both formats', async () => {
    const { app, outcomes } = setup();
    running = app;
    const port = (await app.start())!;
    await app.runOnce();
    const before = await scrape(port);
    await scrape(port, 'application/openmetrics-text');
    outcomes.set('a', { ok: false, reason: 'timeout', message: 'slow', phases: {}, observations: [] });
    await app.runOnce();
    for (const accept of [undefined, 'application/openmetrics-text']) {
      const after = parseExposition((await scrape(port, accept)).body.replace('# EOF\n', ''));
      expect(after.find((s) => s.name === 'probe_success' && s.labels.check === 'alpha')?.value).toBe(0);
      expect(after.find((s) => s.name === 'healthmon_check_failure_reason' && s.labels.check === 'alpha')?.labels.reason).toBe('timeout');
    }
    expect(before.body).toContain('probe_success{check="alpha",kind="test",team="core"} 1');
  });

  it('serves the lifecycle endpoints and JSON 404s', async () => {
    const { app } = setup();
    running = app;
    const port = (await app.start())!;
    expect((await fetch(`http://127.0.0.1:${port}/-/healthy`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/-/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/-/reload`)).status).toBe(405);
    const missing = await fetch(`http://127.0.0.1:${port}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await missing.json()).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no route for GET /nope' });
  });

  it('keeps the old config on a bad reload and swaps checks on a good one, keeping unchanged state', async () => {
    const { app, file, outcomes } = setup();
    running = app;
    const port = (await app.start())!;
    outcomes.set('a', { ok: false, reason: 'timeout', message: 'slow', phases: {}, observations: [] });
    await app.runOnce();

    writeFileSync(file, CONFIG.replace('interval: 10s', 'interval: 10'));
    const bad = await fetch(`http://127.0.0.1:${port}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(500);
    expect(await bad.text()).toContain('global.interval');
    let samples = parseExposition((await scrape(port)).body);
    expect(samples.find((s) => s.name === 'healthmon_config_last_reload_successful')?.value).toBe(0);
    expect(app.config().checks.map((c) => c.name)).toEqual(['alpha', 'beta']);

    writeFileSync(file, CONFIG.replace('test: {id: b}', 'test: {id: b2}').replace(/\n {2}- name: alpha[\s\S]*?test: \{id: a\}/, '$&\n  - name: gamma\n    kind: test\n    test: {id: c}'));
    const good = await fetch(`http://127.0.0.1:${port}/-/reload`, { method: 'POST' });
    expect(good.status).toBe(200);
    samples = parseExposition((await scrape(port)).body);
    expect(samples.find((s) => s.name === 'healthmon_config_last_reload_successful')?.value).toBe(1);
    expect(app.store.get('alpha')?.state.consecutiveFailures).toBe(1);
    expect(app.store.get('beta')?.state.last).toBeUndefined();
    expect(app.store.get('gamma')).toBeDefined();
  });

  it('schedules checks on its clock and stops cleanly', async () => {
    const { app, clock } = setup();
    running = app;
    await app.start({ listen: false });
    await clock.advance(25_000);
    expect(app.store.get('alpha')!.successes).toBeGreaterThanOrEqual(2);
    await app.stop(0);
    const before = app.store.get('alpha')!.successes;
    await clock.advance(30_000);
    expect(app.store.get('alpha')!.successes).toBe(before);
  });
});
