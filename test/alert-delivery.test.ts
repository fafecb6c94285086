// Alert delivery through the whole app, on a fake clock with real HTTP receivers: a receiver
// that refuses for an hour while healthmon restarts still gets every notification, once per
// group transition; silences over the API; and no planted secret appears in any output.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import type { ProbeOutcome } from '../src/core/check-result.js';
import { createLogger } from '../src/core/logger.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { startAlertmanager } from './helpers/alertmanager.js';
import { findPeer } from './helpers/peers.js';
import { startRecorder, type Recorder } from './helpers/receivers.js';
import { createTestKind } from './helpers/test-kind.js';

const DOWN: ProbeOutcome = { ok: false, reason: 'connection_refused', message: 'refused', phases: {}, observations: [] };

const DEFAULT_CHECKS = `  - {name: a, kind: test, test: {id: a}}
  - {name: b, kind: test, test: {id: b}}
`;

const alertmanager = findPeer('prometheus-alertmanager');

const RULES = `
groups:
  - name: checks
    rules:
      - alert: ServiceDown
        expr: healthmon_check_up == 0
        labels: {severity: critical}
        annotations: {summary: '{{ $labels.check }} is down'}
`;

function config(dir: string, receivers: string, checks = DEFAULT_CHECKS): string {
  return `
global: {interval: 10s, failure_threshold: 1, evaluation_interval: 10s}
server: {listen: "127.0.0.1:0", external_url: "http://healthmon.test/"}
storage: {path: "${join(dir, 'data')}"}
host: {enabled: false}
rule_files: [rules.yaml]
alerting:
  route: {receiver: main, group_by: [alertname], group_wait: 30s, group_interval: 5m, repeat_interval: 4h}
  receivers:
    - name: main
${receivers}
checks:
${checks}`;
}

interface Running {
  app: App;
  outcomes: ReturnType<typeof createTestKind>['outcomes'];
  logs: string[];
}

function start(dir: string, clock: FakeClock): Running {
  const { kind, outcomes } = createTestKind();
  const kinds = { test: kind };
  const logs: string[] = [];
  const destination = new Writable({ write: (chunk, _enc, done) => { logs.push(String(chunk)); done(); } });
  const load = () => loadConfig(join(dir, 'healthmon.yaml'), { kinds, env: {} });
  const app = createApp(load(), { clock, logger: createLogger({ destination, level: 'debug' }), kinds, build: { version: 't', nodeVersion: '20' }, loadConfig: load });
  return { app, outcomes, logs };
}

/** Moves the fake clock in steps, letting real HTTP sends finish between them. */
async function run(clock: FakeClock, app: App, ms: number, stepMs = 10_000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    await clock.advance(Math.min(stepMs, ms - done));
    await app.alerting()?.delivery.pump();
  }
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('alert delivery end to end', () => {
  it('delivers every notification once per group transition through an hour of refusals and a restart', async () => {
    const hook: Recorder = await startRecorder();
    cleanup.push(() => hook.close());
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-delivery-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    writeFileSync(join(dir, 'healthmon.yaml'), config(dir, `      webhook_configs: [{url: "${hook.base}/hook"}]`));
    const clock = createFakeClock();
    const t0 = clock.now();
    let refusing = true;
    const accepted: string[] = [];
    hook.reply((req) => {
      if (refusing) return { status: 503, body: 'down for maintenance' };
      accepted.push(req.body);
      return { status: 200, body: 'ok' };
    });

    let first = start(dir, clock);
    first.outcomes.set('b', DOWN);
    await first.app.start({ listen: false });
    await run(clock, first.app, 30 * 60_000);
    expect(hook.requests.length).toBeGreaterThan(3); // retried with backoff, all refused
    expect(first.app.alerting()!.router.outbox.pending()).toBe(1);
    await first.app.stop(0);

    // healthmon is away for 5 minutes, comes back, and the receiver recovers at the hour.
    await clock.advance(5 * 60_000);
    const second = start(dir, clock);
    cleanup.push(() => second.app.stop(0));
    second.outcomes.set('b', DOWN);
    await second.app.start({ listen: false });
    await run(clock, second.app, t0 + 60 * 60_000 - clock.now());
    refusing = false;
    await run(clock, second.app, 10 * 60_000);
    second.outcomes.delete('b');
    await run(clock, second.app, 10 * 60_000);

    type Body = { status: string; alerts: { status: string; labels: Record<string, string> }[] };
    const told = accepted.map((b) => JSON.parse(b) as Body).map((d) => `${d.status}: ${d.alerts.map((a) => `${a.labels.check}=${a.status}`).join(',')}`);
    expect(told).toEqual(['firing: b=firing', 'resolved: b=resolved']);
    // Every refused attempt was that same firing notification, retried: never a second transition.
    const refused = hook.requests.slice(0, -2).map((r) => JSON.parse(r.body) as Body);
    expect(new Set(refused.map((d) => d.alerts.map((a) => `${a.labels.check}=${a.status}`).join()))).toEqual(new Set(['b=firing']));
    expect(second.app.alerting()!.router.outbox.pending()).toBe(0);
  }, 60_000);

  it('mutes alerts silenced over the API and shows them as muted', async () => {
    const hook = await startRecorder();
    cleanup.push(() => hook.close());
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-silence-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    writeFileSync(join(dir, 'healthmon.yaml'), config(dir, `      webhook_configs: [{url: "${hook.base}/hook"}]`));
    const clock = createFakeClock();
    const { app, outcomes } = start(dir, clock);
    cleanup.push(() => app.stop(0));
    const port = (await app.start())!;
    const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${port}${path}`, init).then(async (r) => ({ status: r.status, body: await r.json() as any }));

    const bad = await api('/api/v1/silences', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ matchers: ['check b'], endsAt: '2099-01-01T00:00:00Z' }) });
    expect(bad).toEqual({ status: 400, body: { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'bad matcher "check b": expected name=value, name!=value, name=~regex or name!~regex' } });
    const created = await api('/api/v1/silences', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [{ name: 'check', value: 'b', isRegex: false, isEqual: true }], endsAt: new Date(clock.now() + 3_600_000).toISOString(), createdBy: 'ana', comment: 'deploy' }),
    });
    expect(created.status).toBe(200);
    const id = created.body.data.silenceID as string;

    outcomes.set('b', DOWN);
    await run(clock, app, 60_000);
    expect(hook.requests).toEqual([]);
    const alerts = await api('/api/v1/alerts');
    expect(alerts.body.data).toMatchObject([{ labels: { alertname: 'ServiceDown', check: 'b' }, status: 'firing', muted: true, mutedBy: `silenced by ${id}` }]);
    const silences = await api('/api/v1/silences');
    expect(silences.body.data).toMatchObject([{ id, matchers: ['check="b"'], createdBy: 'ana', status: { state: 'active' } }]);

    expect((await api(`/api/v1/silences/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api(`/api/v1/silences/${id}`, { method: 'DELETE' })).status).toBe(404);
    await run(clock, app, 5 * 60_000);
    expect(hook.requests.map((r) => JSON.parse(r.body).status)).toEqual(['firing']);
  }, 30_000);

  it('never shows a planted secret in logs, metrics, API answers or errors', async () => {
    const echo = await startRecorder();
    cleanup.push(() => echo.close());
    // The receiver answers 500 echoing the whole request, headers included: the worst case.
    echo.reply((req) => ({ status: 500, body: JSON.stringify(req) }));
    const secrets = {
      hookToken: 'S3cretWebhookPathToken',
      bearer: 'S3cretBearerToken42',
      slack: 'S3cretSlackHookPart',
      ddKey: 'S3cretDatadogApiKey0123456789abc',
      pdKey: 'S3cretPagerDutyRoutingKey0123456',
    };
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-secrets-'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    writeFileSync(join(dir, 'healthmon.yaml'), config(dir, `      webhook_configs: [{url: "${echo.base}/hook/${secrets.hookToken}?token=${secrets.hookToken}", bearer_token: ${secrets.bearer}}]
      slack_configs: [{url: "${echo.base}/services/T0/B0/${secrets.slack}"}]
      datadog_configs: [{api_url: "${echo.base}", api_key: ${secrets.ddKey}}]
      pagerduty_configs: [{url: "${echo.base}/v2/enqueue", routing_key: ${secrets.pdKey}}]`));
    const clock = createFakeClock();
    const { app, outcomes, logs } = start(dir, clock);
    cleanup.push(() => app.stop(0));
    const port = (await app.start())!;
    outcomes.set('b', DOWN);
    await run(clock, app, 5 * 60_000);
    expect(echo.requests.length).toBeGreaterThan(4); // every integration tried, and retried

    const outputs = [
      logs.join(''),
      Buffer.concat(await app.metrics('text')).toString(),
      await (await fetch(`http://127.0.0.1:${port}/api/v1/alerts`)).text(),
      await (await fetch(`http://127.0.0.1:${port}/api/v1/silences`)).text(),
      await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
      JSON.stringify(app.alerting()!.router.outbox.due(clock.now() + 3_600_000, 100).map((e) => e.lastError)),
    ];
    expect(logs.join('')).toContain('notification not delivered; will retry');
    for (const out of outputs) for (const s of Object.values(secrets)) expect(out).not.toContain(s);
  }, 30_000);

  it.skipIf(!alertmanager)('mutes the alerts of a check whose dependency is down, and hands the rest to a real Alertmanager', async () => {
    const hook = await startRecorder();
    cleanup.push(() => hook.close());
    const am = await startAlertmanager(alertmanager!, `
route: {receiver: hook, group_by: [alertname], group_wait: 100ms, group_interval: 1s}
receivers: [{name: hook, webhook_configs: [{url: "${hook.base}/am"}]}]
`);
    cleanup.push(() => am.stop());
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-am-app-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    writeFileSync(join(dir, 'healthmon.yaml'), config(dir, `      alertmanager_configs: [{urls: ["${am.url}"]}]
      webhook_configs: [{url: "${hook.base}/direct"}]`, `  - {name: db, kind: test, test: {id: db}}
  - {name: api, kind: test, depends_on: [db], test: {id: api}}
`));
    // Near the wall clock: Alertmanager judges endsAt by its own time.
    const clock = createFakeClock(Date.now());
    const { app, outcomes } = start(dir, clock);
    cleanup.push(() => app.stop(0));
    await app.start({ listen: false });
    outcomes.set('db', DOWN);
    outcomes.set('api', DOWN);
    await run(clock, app, 60_000);

    // Directly: one notification, for db only; api's alert is held back by its dependency.
    const direct = hook.requests.filter((r) => r.url === '/direct').map((r) => JSON.parse(r.body) as { alerts: { labels: Record<string, string> }[] });
    expect(direct.map((d) => d.alerts.map((a) => a.labels.check))).toEqual([['db']]);
    expect(app.alerting()!.router.alerts().find((a) => a.labels.check === 'api')?.mutedBy).toBe('dependency db is down');
    // Alertmanager gets both, as from Prometheus, and does its own grouping and muting.
    const deadline = Date.now() + 15_000;
    let listed: { labels: Record<string, string> }[] = [];
    while (listed.length < 2 && Date.now() < deadline) {
      listed = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as typeof listed;
      if (listed.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.map((a) => a.labels.check).sort()).toEqual(['api', 'db']);
    expect(listed[0]!.labels.replica ?? 'none').toBe('none');
  }, 30_000);
});
