import { describe, expect, it } from 'vitest';
import { alertFingerprint } from '../../core/alert-fingerprint.js';
import type { NotifiedAlert } from '../notification.js';
import { configIssues, FIRING_CRITICAL, fixture, GROUP_KEY, NOW, resolvedFixture } from '../../../test/helpers/receivers.js';
import { quoteMeta, webhookKind, type WebhookSettings } from './webhook.js';

const settings = (block: Record<string, unknown> = {}): WebhookSettings => webhookKind.schema.parse({ url: 'https://hooks.example.com/am/in?token=wh-secret', ...block });
const GEN = 'http://healthmon.example.com:9469/graph?g0.expr=probe_success%20%3D%3D%200';

const EXPECTED_ALERTS = [
  {
    status: 'firing',
    labels: { alertname: 'ServiceDown', check: 'api', instance: 'api.internal:8080', severity: 'critical', team: 'core' },
    annotations: {
      dashboard_url: 'https://grafana.example.com/d/checks?var-check=api',
      description: 'Connection refused on api.internal:8080 for 10 minutes.',
      runbook_url: 'https://runbooks.example.com/ServiceDown',
      summary: 'api is down',
      value: '0',
    },
    startsAt: '2026-01-01T11:50:00.5Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: GEN,
    fingerprint: '415d1b9a0f9b8bc1',
  },
  {
    status: 'firing',
    labels: { alertname: 'ServiceDown', check: 'web', instance: 'web.internal:80', severity: 'warning', team: 'core' },
    annotations: { summary: 'web is down' },
    startsAt: '2026-01-01T11:58:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: GEN,
    fingerprint: 'b664a307759896e0',
  },
  {
    status: 'resolved',
    labels: { alertname: 'ServiceDown', check: 'db', instance: 'db.internal:5432', severity: 'critical', team: 'core' },
    annotations: { summary: 'db is down' },
    startsAt: '2026-01-01T11:00:00Z',
    endsAt: '2026-01-01T11:59:00Z',
    generatorURL: GEN,
    fingerprint: '4232a3eeda284b97',
  },
];

describe('webhook render', () => {
  it('sends Alertmanager\'s version 4 payload, field for field', () => {
    const [d, ...rest] = webhookKind.render(fixture(), settings());
    expect(rest).toEqual([]);
    expect({ ...d, body: JSON.parse(d!.body) }).toEqual({
      type: 'http',
      url: 'https://hooks.example.com/am/in?token=wh-secret',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'healthmon' },
      timeoutMs: 10_000,
      body: {
        receiver: 'team-core',
        status: 'firing',
        alerts: EXPECTED_ALERTS,
        groupLabels: { alertname: 'ServiceDown' },
        commonLabels: { alertname: 'ServiceDown', team: 'core' },
        commonAnnotations: {},
        externalURL: 'http://healthmon.example.com:9469',
        version: '4',
        groupKey: GROUP_KEY,
        truncatedAlerts: 0,
      },
    });
  });

  it('writes keys in the order Alertmanager\'s encoder does, maps sorted', () => {
    const body = JSON.parse(webhookKind.render(fixture(), settings())[0]!.body);
    expect(Object.keys(body)).toEqual(['receiver', 'status', 'alerts', 'groupLabels', 'commonLabels', 'commonAnnotations', 'externalURL', 'version', 'groupKey', 'truncatedAlerts']);
    expect(Object.keys(body.alerts[0])).toEqual(['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint']);
    expect(Object.keys(body.alerts[0].annotations)).toEqual(['dashboard_url', 'description', 'runbook_url', 'summary', 'value']);
  });

  it('carries the fingerprints Alertmanager computes', () => {
    expect(FIRING_CRITICAL.fingerprint).toBe(alertFingerprint(FIRING_CRITICAL.labels));
    expect(EXPECTED_ALERTS.map((a) => a.fingerprint)).toEqual(fixture().alerts.map((a) => a.fingerprint));
  });

  it('escapes <, > and & as Go does, and keeps unicode', () => {
    const a: NotifiedAlert = { ...FIRING_CRITICAL, annotations: { summary: 'a<b && c>d — ünïcødé 🚨', line: 'x\u2028y' } };
    const body = webhookKind.render(fixture({ alerts: [a], commonAnnotations: a.annotations }), settings())[0]!.body;
    expect(body).toContain('"summary":"a\\u003cb \\u0026\\u0026 c\\u003ed — ünïcødé 🚨"');
    expect(body).toContain('"line":"x\\u2028y"');
    expect(JSON.parse(body).alerts[0].annotations.summary).toBe('a<b && c>d — ünïcødé 🚨');
  });

  it('quotes the receiver name as Alertmanager does', () => {
    expect(quoteMeta('team.x+(y)')).toBe('team\\.x\\+\\(y\\)');
    expect(JSON.parse(webhookKind.render(fixture({ receiver: 'team.core' }), settings())[0]!.body).receiver).toBe('team\\.core');
  });

  it('max_alerts sends the first alerts, counts the rest and recomputes the common labels over what is sent', () => {
    const body = JSON.parse(webhookKind.render(fixture(), settings({ max_alerts: 1 }))[0]!.body);
    expect(body.alerts).toEqual([EXPECTED_ALERTS[0]]);
    expect(body.truncatedAlerts).toBe(2);
    expect(body.status).toBe('firing');
    expect(body.commonLabels).toEqual(EXPECTED_ALERTS[0]!.labels);
    expect(body.commonAnnotations).toEqual(EXPECTED_ALERTS[0]!.annotations);
    expect(JSON.parse(webhookKind.render(fixture(), settings({ max_alerts: 5 }))[0]!.body).truncatedAlerts).toBe(0);
  });

  it('send_resolved: false drops resolved alerts, and sends nothing when only resolved ones are left', () => {
    const body = JSON.parse(webhookKind.render(fixture(), settings({ send_resolved: false }))[0]!.body);
    expect(body.alerts).toEqual(EXPECTED_ALERTS.slice(0, 2));
    expect(body.truncatedAlerts).toBe(0);
    expect(webhookKind.render(resolvedFixture(), settings({ send_resolved: false }))).toEqual([]);
  });

  it('sends a resolved-only notification with status resolved and endsAt set', () => {
    const body = JSON.parse(webhookKind.render(resolvedFixture(), settings())[0]!.body);
    expect(body.status).toBe('resolved');
    expect(body.alerts).toEqual([{ ...EXPECTED_ALERTS[0], status: 'resolved', endsAt: '2026-01-01T12:00:00Z' }]);
  });

  it('sends an alert without annotations as an empty map', () => {
    const bare: NotifiedAlert = { status: 'firing', labels: { alertname: 'X' }, annotations: {}, startsAt: NOW, generatorURL: '', fingerprint: alertFingerprint({ alertname: 'X' }) };
    const body = JSON.parse(webhookKind.render(fixture({ alerts: [bare], commonLabels: { alertname: 'X' } }), settings())[0]!.body);
    expect(body.alerts[0]).toEqual({ status: 'firing', labels: { alertname: 'X' }, annotations: {}, startsAt: '2026-01-01T12:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: alertFingerprint({ alertname: 'X' }) });
  });

  it('adds custom headers and bearer or basic auth', () => {
    const bearer = webhookKind.render(fixture(), settings({ bearer_token: 'tok-secret', headers: { 'X-Source': 'healthmon', 'X-Api-Key': 'hdr-secret' }, timeout: '3s' }))[0]!;
    expect(bearer.headers).toEqual({ 'content-type': 'application/json', 'user-agent': 'healthmon', 'x-source': 'healthmon', 'x-api-key': 'hdr-secret', authorization: 'Bearer tok-secret' });
    expect(bearer.timeoutMs).toBe(3000);
    const basic = webhookKind.render(fixture(), settings({ basic_auth: { username: 'am', password: 'pw-secret' } }))[0]!;
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('am:pw-secret').toString('base64')}`);
  });

  it('lists its secrets: the URL with its path and query, tokens, passwords, secret headers', () => {
    expect(webhookKind.secrets(settings({ bearer_token: 'tok-secret', headers: { 'X-Api-Key': 'hdr-secret', 'X-Team': 'core' } }))).toEqual([
      'https://hooks.example.com/am/in?token=wh-secret',
      '/am/in?token=wh-secret',
      'token=wh-secret',
      'hdr-secret',
      'tok-secret',
    ]);
    const basic = settings({ basic_auth: { username: 'am', password: 'pw-secret' } });
    expect(webhookKind.secrets(basic)).toEqual(expect.arrayContaining(['pw-secret', `Basic ${Buffer.from('am:pw-secret').toString('base64')}`]));
    expect(webhookKind.secrets(webhookKind.schema.parse({ url: 'http://127.0.0.1:9000/' }))).toEqual([]);
  });
});

describe('webhook settings', () => {
  it('applies defaults', () => {
    expect(webhookKind.schema.parse({ url: 'http://127.0.0.1:9000/in' })).toEqual({
      url: 'http://127.0.0.1:9000/in', sendResolved: true, maxAlerts: 0, timeoutMs: 10_000, headers: {}, headerSecrets: [],
    });
  });

  it.each([
    [{}, ['url: required: expected an http:// or https:// URL']],
    [{ url: 'ftp://example.com/secret-token' }, ['url: expected an http:// or https:// URL, got a URL with scheme ftp: (the value is not shown: it may hold a secret)']],
    [{ url: 'not a url secret-token' }, ['url: expected an http:// or https:// URL, got a string that is not one (the value is not shown: it may hold a secret)']],
    [{ url: 'http://127.0.0.1:6000/in' }, ['url: port 6000 is one HTTP clients refuse to use (the Fetch standard\'s "bad ports"); serve the endpoint on another port']],
    [{ url: 'https://user:pw@example.com/' }, ['url: credentials in the URL (user:password@) are not sent; use basic_auth']],
    [{ url: 'https://x.example/', max_alerts: -1 }, ['max_alerts: expected a number >= 0, got -1']],
    [{ url: 'https://x.example/', timeout: '0s' }, ['timeout: expected a duration above zero']],
    [{ url: 'https://x.example/', timeout: 'soon' }, ['timeout: expected a duration like "5s", got "soon"']],
    [{ url: 'https://x.example/', bearer_token: 't', basic_auth: { username: 'u', password: 'p' } }, ['bearer_token: basic_auth and bearer_token exclude each other; set one']],
    [{ url: 'https://x.example/', bearer_token: 't', headers: { Authorization: 'x' } }, ['headers.authorization: the Authorization header comes from basic_auth or bearer_token here; set it in one place']],
    [{ url: 'https://x.example/', headers: { 'Content-Type': 'text/plain' } }, ['headers.Content-Type: this header is set by healthmon']],
    [{ url: 'https://x.example/', bearer_token: 12345 }, ['bearer_token: expected a bearer token as a string, got a number']],
    [{ url: 'https://x.example/', sendResolved: true }, ['sendResolved: unknown key "sendResolved"']],
  ])('%j → %j', (block, issues) => {
    expect(configIssues(webhookKind.schema, block)).toEqual(issues);
  });
});

describe('webhook settings: every problem at once', () => {
  it('reports field problems together', () => {
    expect(configIssues(webhookKind.schema, { url: 'nope', max_alerts: 'x', headers: { 'Bad Name': 'v', 'X-Ok': 'a\nb' }, extra: 1 })).toEqual([
      'url: expected an http:// or https:// URL, got a string that is not one (the value is not shown: it may hold a secret)',
      'max_alerts: expected a number, got "x"',
      'headers.Bad Name: expected an HTTP header name',
      'headers.X-Ok: a header value cannot hold a line break',
      'extra: unknown key "extra"',
    ]);
  });
});
