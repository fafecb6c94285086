// The read side of the JSON API: healthmon's own health, the host, status, config, alerts and
// history, each with its 4xx answers.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryHistory } from '../src/store/history-memory.js';
import type { HistoryStore } from '../src/store/history.js';
import type { ProbeOutcome } from '../src/core/check-result.js';
import { startApiApp, type ApiApp } from './helpers/api-app.js';

const PROC = join(import.meta.dirname, 'fixtures', 'proc');
const DOWN: ProbeOutcome = { ok: false, reason: 'connection_refused', message: 'refused', phases: {}, observations: [] };

const CONFIG = (host = false) => `
global:
  interval: 10s
  failure_threshold: 1
  evaluation_interval: 10s
host:
  enabled: ${host}
server:
  listen: "127.0.0.1:0"
rule_files: [rules.yaml]
checks:
  - name: alpha
    kind: test
    critical: true
    test: {id: a}
  - name: beta
    kind: test
    test: {id: b}
`;

const RULES = `
groups:
  - name: checks
    rules:
      - alert: CheckDown
        expr: healthmon_check_up == 0
        labels: {severity: critical}
        annotations: {summary: '{{ $labels.check }} is down'}
      - alert: CheckDownLong
        expr: healthmon_check_up == 0
        for: 1h
`;

let running: ApiApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(options: { host?: boolean; history?: HistoryStore } = {}) {
  running = await startApiApp(CONFIG(options.host), {
    files: { 'rules.yaml': RULES },
    deps: { procRoot: PROC, ...(options.history ? { assessmentHistory: () => options.history } : {}) },
  });
  return running;
}

describe('read API', () => {
  it('GET /health says whether healthmon itself is fine', async () => {
    const h = await start();
    await h.clock.advance(10_000);
    const res = await h.call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', ready: true, database: { ok: true }, scheduler: { inFlight: 0 } });
    expect(typeof res.body.scheduler.lastLagSeconds).toBe('number');
    expect(await h.call('DELETE', '/health')).toMatchObject({ status: 405, body: { detail: 'DELETE is not allowed on /health; use GET' } });
  });

  it('GET /status counts checks by status and source, and alerts', async () => {
    const h = await start();
    h.outcomes.set('b', DOWN);
    await h.app.runOnce();
    expect((await h.call('POST', '/health/services', { body: { name: 'gamma', kind: 'test', test: { id: 'g' } } })).status).toBe(201);
    await h.clock.advance(20_000);
    const res = await h.call('GET', '/status');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      version: '1.2.3-test',
      nodeVersion: '20',
      startedAt: '2026-01-01T00:00:00.000Z',
      uptimeSeconds: 20,
      ready: true,
      config: { file: h.file, lastReloadSuccessful: true },
      checks: { total: 3, fromFile: 2, fromApi: 1, byStatus: { healthy: 2, degraded: 0, unhealthy: 1, critical: 0, unknown: 0 } },
      alerts: { firing: 1, pending: 1 },
    });
  });

  it('GET /alerts lists pending and firing alerts with the router\'s verdict', async () => {
    const h = await start();
    h.outcomes.set('b', DOWN);
    await h.clock.advance(20_000);
    const res = await h.call('GET', '/alerts');
    expect(res.status).toBe(200);
    expect(res.body.firing).toBe(1);
    expect(res.body.pending).toBe(1);
    expect(res.body.alerts).toContainEqual(expect.objectContaining({
      name: 'CheckDown', group: 'checks', state: 'firing', labels: expect.objectContaining({ alertname: 'CheckDown', check: 'beta', severity: 'critical' }),
      annotations: { summary: 'beta is down' }, value: 0, muted: false,
    }));
    expect(res.body.alerts).toContainEqual(expect.objectContaining({ name: 'CheckDownLong', state: 'pending' }));
  });

  it('GET /config shows the effective config with its defaults', async () => {
    const h = await start();
    const res = await h.call('GET', '/config');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ file: h.file, maxConcurrency: 64, server: { host: '127.0.0.1', port: 0, api: { allowNetworks: [], denyNetworks: [] } } });
    expect(res.body.checks[0]).toMatchObject({ name: 'alpha', kind: 'test', intervalMs: 10_000, critical: true, source: 'file' });
    expect(res.body.rules.groups[0].rules.map((r: { name: string }) => r.name)).toEqual(['CheckDown', 'CheckDownLong']);
  });

  it('GET /health/system and its parts read the host', async () => {
    const h = await start({ host: true });
    const all = await h.call('GET', '/health/system');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ status: 'ok', cpu: { cores: 2 }, memory: { totalBytes: expect.any(Number) } });
    const cpu = (await h.call('GET', '/health/system/cpu')).body;
    expect(cpu).toMatchObject({ cores: 2, load: { load1: expect.any(Number) } });
    expect(cpu.usagePercent).toBeGreaterThanOrEqual(0);
    expect(cpu.usagePercent).toBeLessThanOrEqual(100);
    const memory = (await h.call('GET', '/health/system/memory')).body;
    expect(memory.usedBytes).toBe(memory.totalBytes - memory.availableBytes);
    const disk = (await h.call('GET', '/health/system/disk')).body;
    expect(disk.devices.length).toBeGreaterThan(0);
    expect(Array.isArray(disk.filesystems)).toBe(true);
    const network = (await h.call('GET', '/health/system/network')).body;
    expect(network.interfaces.map((i: { device: string }) => i.device)).toContain('lo');
    expect(network.interfaces[0]).toHaveProperty('receiveBytes');
  });

  it('GET /health/system is 404 when host sampling is off', async () => {
    const h = await start();
    expect(await h.call('GET', '/health/system/memory')).toMatchObject({ status: 404, body: { detail: 'host sampling is off (host.enabled: false), so there is no system data' } });
  });

  it('GET /health/services carries the assessment', async () => {
    const h = await start();
    await h.app.runOnce();
    const res = await h.call('GET', '/health/services?status=healthy&kind=test');
    expect(res.status).toBe(200);
    expect(res.body.overall).toMatchObject({ total: 2 });
    expect(res.body.services[0]).toMatchObject({ name: 'alpha', status: 'healthy', healthScore: expect.any(Number), uptime: expect.any(Object) });
    expect((await h.call('GET', '/health/services?status=critical')).body.services).toEqual([]);
  });

  it('GET /metrics/history gives per-step counts, availability and latency', async () => {
    const history = createMemoryHistory({ retention: { rawMs: 7 * 86_400_000, rollupMs: 400 * 86_400_000 } });
    const t0 = Date.UTC(2026, 0, 1);
    const h = await start({ history });
    for (let i = 0; i < 6; i++) history.append({ check: 'alpha', at: t0 - 3_600_000 + i * 600_000, durationMs: 10 + i, ok: i !== 2 });
    await history.flush();
    const res = await h.call('GET', '/metrics/history?check=alpha&since=1h&step=30m');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ since: '2025-12-31T23:00:00.000Z', until: '2026-01-01T00:00:00.000Z', stepSeconds: 1800 });
    const [first, second] = res.body.series[0].points;
    expect(res.body.series[0].check).toBe('alpha');
    expect(first).toMatchObject({ at: '2025-12-31T23:00:00.000Z', count: 3, failures: 1, availability: 0.667, latency: { minMs: 10, maxMs: 12, meanMs: 11 } });
    expect(second).toMatchObject({ at: '2025-12-31T23:30:00.000Z', count: 3, failures: 0, availability: 1 });
    // Every check when none is named; steps chosen when not given.
    const all = await h.call('GET', '/metrics/history?since=2h');
    expect(all.body.series.map((s: { check: string }) => s.check)).toEqual(['alpha', 'beta']);
    expect(all.body.stepSeconds).toBe(120);

    const bad = async (query: string) => {
      const r = await h.call('GET', `/metrics/history?${query}`);
      return [r.status, r.body.detail];
    };
    expect(await bad('since=yesterday')).toEqual([400, 'since must be a duration ago like "24h", an RFC 3339 time or unix seconds, got "yesterday"']);
    expect(await bad('since=1h&step=0s')).toEqual([400, 'step must be a duration like "5m", got "0s"']);
    expect(await bad('since=30d&step=1m')).toEqual([400, '43200 points per check is too many (at most 11000); use a larger step or a shorter span']);
    expect(await bad('since=1h&until=2h')).toEqual([400, 'since (2025-12-31T23:00:00.000Z) must be before until (2025-12-31T22:00:00.000Z)']);
    expect(await bad('check=ghost')).toEqual([404, 'no check named "ghost"']);
    expect(await bad('since=1h&since=2h')).toEqual([400, 'give since once']);
    expect((await h.call('GET', '/metrics/history?check=alpha&since=2025-12-31T23:00:00Z&until=1767225600&step=1h')).body.series[0].points).toHaveLength(1);
  });

  it('GET /metrics/history reads what the app itself recorded', async () => {
    const h = await start();
    h.outcomes.set('b', DOWN);
    await h.app.runOnce();
    await h.clock.advance(60_000);
    await h.app.history()!.flush();
    const res = await h.call('GET', '/metrics/history?check=alpha&check=beta&since=10m&step=10m');
    expect(res.status).toBe(200);
    const totals = res.body.series.map((s: { check: string; points: Array<{ count: number; failures: number }> }) => [s.check, s.points.reduce((n, p) => n + p.count, 0), s.points.reduce((n, p) => n + p.failures, 0)]);
    expect(totals[0][1]).toBeGreaterThanOrEqual(1);
    expect(totals[0][2]).toBe(0);
    expect(totals[1][1]).toBe(totals[1][2]);
  });

  it('GET /audit checks its query', async () => {
    const h = await start();
    expect(await h.call('GET', '/audit?limit=0')).toMatchObject({ status: 400, body: { detail: 'limit must be a whole number from 1 to 1000, got "0"' } });
    expect(await h.call('GET', '/audit?since=later')).toMatchObject({ status: 400 });
    expect(await h.call('GET', '/audit?limit=5&since=1h')).toMatchObject({ status: 200, body: { entries: [] } });
  });
});
