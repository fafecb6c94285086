// healthmon hands alerts to a real Alertmanager (Debian's prometheus-alertmanager 0.25), which
// must list them on /api/v2/alerts and deliver them to a webhook, as it does for Prometheus.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertmanagerSender } from '../src/alerting/alertmanager-sender.js';
import { alertFingerprint } from '../src/core/alert-fingerprint.js';
import { sendHttp } from '../src/alerting/http-send.js';
import type { NotifiedAlert } from '../src/alerting/notification.js';
import { systemClock } from '../src/core/clock.js';
import { startAlertmanager, type RunningAlertmanager } from './helpers/alertmanager.js';
import { findPeer } from './helpers/peers.js';

const binary = findPeer('prometheus-alertmanager');

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!binary)('alertmanager receiver against a real Alertmanager', () => {
  let am: RunningAlertmanager;
  let hook: Server;
  const received: { status: string; alerts: { status: string; labels: Record<string, string> }[] }[] = [];

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`;
    am = await startAlertmanager(binary!, `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
receivers:
  - name: hook
    webhook_configs:
      - url: ${hookUrl}
        send_resolved: true
`);
  }, 30_000);

  afterAll(async () => {
    await am?.stop();
    hook?.close();
  });

  it('lists our alerts and delivers them, then their resolution', async () => {
    const results: (string | undefined)[] = [];
    const sender = createAlertmanagerSender({
      clock: systemClock,
      resendDelayMs: 60_000,
      evaluationIntervalMs: 15_000,
      post: async (target, body) => {
        const out = await sendHttp({ type: 'http', url: `${target.url}/api/v2/alerts`, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body, timeoutMs: target.timeoutMs }, { now: () => Date.now(), secrets: [] });
        return out.outcome === 'ok' ? undefined : out.error;
      },
      onResult: (_t, _n, error) => results.push(error),
    });
    sender.setTargets([{ url: am.url, timeoutMs: 5000, headers: {} }]);
    const labels = { alertname: 'ServiceDown', check: 'api', severity: 'critical' };
    const alert: NotifiedAlert = {
      status: 'firing', labels, annotations: { summary: 'api is down' }, startsAt: Date.now() - 60_000,
      generatorURL: 'http://healthmon:9469/graph?g0.expr=up', fingerprint: alertFingerprint(labels),
    };
    sender.update([alert]);
    await sender.flush();
    expect(results).toEqual([undefined]);

    const listed = await until('the alert on /api/v2/alerts', async () => {
      const list = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }[];
      return list.length > 0 ? list : undefined;
    });
    expect(listed[0]).toMatchObject({ labels, annotations: { summary: 'api is down' }, status: { state: 'active' } });
    const firing = await until('the firing webhook', async () => received.find((r) => r.status === 'firing'));
    expect(firing.alerts[0]!.labels).toEqual(labels);

    sender.update([{ ...alert, status: 'resolved', endsAt: Date.now() }]);
    await sender.flush();
    const resolved = await until('the resolved webhook', async () => received.find((r) => r.status === 'resolved'));
    expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', labels });
    sender.stop();
  }, 30_000);
});
