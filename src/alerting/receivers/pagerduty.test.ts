import { describe, expect, it } from 'vitest';
import { alertFingerprint } from '../../core/alert-fingerprint.js';
import type { NotifiedAlert } from '../notification.js';
import { sha256Hex } from './common.js';
import { PAGERDUTY_EVENTS_URL, PAGERDUTY_LIMITS, pagerDutyKind, type PagerDutyEvent, type PagerDutySettings } from './pagerduty.js';
import { configIssues, fixture, GROUP_KEY, NOW, resolvedFixture } from '../../../test/helpers/receivers.js';

const KEY = 'R0123456789abcdef0123456789ABCD';
const ROUTING_KEY = `${KEY}E`;
const settings = (block: Record<string, unknown> = {}): PagerDutySettings => pagerDutyKind.schema.parse({ routing_key: ROUTING_KEY, ...block });
const event = (n = fixture(), s = settings()): PagerDutyEvent => JSON.parse(pagerDutyKind.render(n, s)[0]!.body);
const GEN = 'http://healthmon.example.com:9469/graph?g0.expr=probe_success%20%3D%3D%200';
// SHA-256 of GROUP_KEY, as Alertmanager's dedup key.
const DEDUP = '8a755ad2e22f0d42b95d2d7ac78d63d6419eb105169ab45af4334c075a13aed2';

describe('pagerduty render', () => {
  it('triggers with Events v2, deduplicated by the SHA-256 of the group key', () => {
    const [d, ...rest] = pagerDutyKind.render(fixture(), settings());
    expect(rest).toEqual([]);
    expect({ ...d, body: JSON.parse(d!.body) }).toEqual({
      type: 'http',
      url: PAGERDUTY_EVENTS_URL,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'healthmon' },
      timeoutMs: 10_000,
      body: {
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        dedup_key: DEDUP,
        payload: {
          summary: '[FIRING:2] ServiceDown (team=core)',
          source: 'healthmon',
          severity: 'critical',
          timestamp: '2026-01-01T11:50:00.500Z',
          class: 'ServiceDown',
          custom_details: {
            num_firing: 2,
            num_resolved: 1,
            firing: [
              {
                labels: { alertname: 'ServiceDown', check: 'api', instance: 'api.internal:8080', severity: 'critical', team: 'core' },
                annotations: {
                  dashboard_url: 'https://grafana.example.com/d/checks?var-check=api',
                  description: 'Connection refused on api.internal:8080 for 10 minutes.',
                  runbook_url: 'https://runbooks.example.com/ServiceDown',
                  summary: 'api is down',
                  value: '0',
                },
                startsAt: '2026-01-01T11:50:00.5Z',
                generatorURL: GEN,
              },
              {
                labels: { alertname: 'ServiceDown', check: 'web', instance: 'web.internal:80', severity: 'warning', team: 'core' },
                annotations: { summary: 'web is down' },
                startsAt: '2026-01-01T11:58:00Z',
                generatorURL: GEN,
              },
            ],
            resolved: [
              {
                labels: { alertname: 'ServiceDown', check: 'db', instance: 'db.internal:5432', severity: 'critical', team: 'core' },
                annotations: { summary: 'db is down' },
                startsAt: '2026-01-01T11:00:00Z',
                endsAt: '2026-01-01T11:59:00Z',
                generatorURL: GEN,
              },
            ],
          },
        },
        links: [
          { href: 'https://runbooks.example.com/ServiceDown', text: 'Runbook: ServiceDown' },
          { href: 'https://grafana.example.com/d/checks?var-check=api', text: 'Dashboard: ServiceDown' },
        ],
        client: 'healthmon',
        client_url: 'http://healthmon.example.com:9469/',
      },
    });
    expect(sha256Hex(GROUP_KEY)).toBe(DEDUP);
  });

  it('resolves with the same dedup_key once every alert resolved', () => {
    const e = event(resolvedFixture());
    expect(e.event_action).toBe('resolve');
    expect(e.dedup_key).toBe(DEDUP);
    expect(e.payload).toMatchObject({
      summary: '[RESOLVED] ServiceDown (check=api instance=api.internal:8080 severity=critical team=core): api is down',
      source: 'api.internal:8080',
      severity: 'critical',
      timestamp: '2026-01-01T12:00:00.000Z',
      component: 'api',
      class: 'ServiceDown',
    });
    expect(e.payload.custom_details).toMatchObject({ num_firing: 0, num_resolved: 1 });
  });

  it('send_resolved: false never resolves', () => {
    expect(pagerDutyKind.render(resolvedFixture(), settings({ send_resolved: false }))).toEqual([]);
  });

  it.each([
    ['critical', 'critical'],
    ['error', 'error'],
    ['warning', 'warning'],
    ['info', 'info'],
    ['Warning', 'warning'],
    ['sev1', 'error'],
    [undefined, 'error'],
  ])('maps severity label %s to %s', (severity, expected) => {
    const labels: Record<string, string> = { alertname: 'X' };
    if (severity !== undefined) labels.severity = severity;
    const a: NotifiedAlert = { status: 'firing', labels, annotations: {}, startsAt: NOW, generatorURL: '', fingerprint: alertFingerprint(labels) };
    expect(event(fixture({ alerts: [a], commonLabels: labels })).payload.severity).toBe(expected);
  });

  it('uses default_severity for alerts without a known severity, and the overrides for source and friends', () => {
    const labels = { alertname: 'X' };
    const a: NotifiedAlert = { status: 'firing', labels, annotations: {}, startsAt: NOW, generatorURL: '', fingerprint: alertFingerprint(labels) };
    const e = event(fixture({ alerts: [a], commonLabels: labels }), settings({ default_severity: 'warning', source: 'prod-eu', component: 'api', group: 'web', class: 'availability' }));
    expect(e.payload).toMatchObject({ severity: 'warning', source: 'prod-eu', component: 'api', group: 'web', class: 'availability' });
  });

  it('keeps the summary within 1024 characters, without splitting a character', () => {
    const labels = { alertname: 'X' };
    const a: NotifiedAlert = { status: 'firing', labels, annotations: { summary: `🚨${'ü'.repeat(2000)}` }, startsAt: NOW, generatorURL: '', fingerprint: alertFingerprint(labels) };
    const e = event(fixture({ alerts: [a], groupLabels: labels, commonLabels: labels, commonAnnotations: a.annotations }));
    expect(e.payload.summary.length).toBe(PAGERDUTY_LIMITS.summary);
    expect(e.payload.summary.startsWith('[FIRING:1] X: 🚨üü')).toBe(true);
    expect(e.payload.summary.endsWith('ü…')).toBe(true);
  });

  it('bounds the alert lists in custom_details and says how many were left out', () => {
    const alerts = Array.from({ length: 70 }, (_, i): NotifiedAlert => {
      const labels = { alertname: 'X', check: `c${i}` };
      return { status: 'firing', labels, annotations: { description: 'd'.repeat(5000) }, startsAt: NOW, generatorURL: '', fingerprint: alertFingerprint(labels) };
    });
    const d = event(fixture({ alerts, commonLabels: { alertname: 'X' } })).payload.custom_details;
    expect(d.num_firing).toBe(70);
    expect(d.firing).toHaveLength(PAGERDUTY_LIMITS.alertsPerList);
    expect(d.omitted).toBe(20);
    expect(d.firing[0]!.annotations.description).toHaveLength(PAGERDUTY_LIMITS.annotation);
  });

  it('links only http(s) runbook and dashboard URLs, each once', () => {
    const mk = (check: string, annotations: Record<string, string>): NotifiedAlert => {
      const labels = { alertname: 'X', check };
      return { status: 'firing', labels, annotations, startsAt: NOW, generatorURL: 'http://h/g', fingerprint: alertFingerprint(labels) };
    };
    const alerts = [mk('a', { runbook_url: 'https://rb/x' }), mk('b', { runbook_url: 'https://rb/x', dashboard_url: 'javascript:alert(1)' })];
    expect(event(fixture({ alerts, commonLabels: { alertname: 'X' } })).links).toEqual([{ href: 'https://rb/x', text: 'Runbook: X' }]);
  });

  it('posts to an overridden URL, and lists the routing key as a secret', () => {
    const s = settings({ url: 'http://127.0.0.1:9999/v2/enqueue' });
    expect(pagerDutyKind.render(fixture(), s)[0]!.url).toBe('http://127.0.0.1:9999/v2/enqueue');
    expect(pagerDutyKind.secrets(settings())).toEqual([ROUTING_KEY]);
    expect(pagerDutyKind.secrets(s)).toEqual([ROUTING_KEY, 'http://127.0.0.1:9999/v2/enqueue', '/v2/enqueue']);
  });
});

describe('pagerduty settings', () => {
  it('applies defaults', () => {
    expect(settings()).toEqual({
      routingKey: ROUTING_KEY, url: PAGERDUTY_EVENTS_URL, sendResolved: true, defaultSeverity: 'error', source: undefined, component: undefined, group: undefined, class: undefined, timeoutMs: 10_000,
    });
  });

  it.each([
    [{}, ['routing_key: required: expected a PagerDuty integration (routing) key']],
    // Never shown, not even when wrong.
    [{ routing_key: KEY }, ['routing_key: expected a PagerDuty integration (routing) key of 32 characters, got 31 characters']],
    [{ routing_key: `${ROUTING_KEY}X` }, ['routing_key: expected a PagerDuty integration (routing) key of 32 characters, got 33 characters']],
    [{ routing_key: 123 }, ['routing_key: expected a PagerDuty integration (routing) key as a string, got a number']],
    [{ routing_key: ROUTING_KEY, url: 'events.pagerduty.com/v2/enqueue' }, ['url: expected an http:// or https:// URL, got a string that is not one (the value is not shown: it may hold a secret)']],
    [{ routing_key: ROUTING_KEY, default_severity: 'fatal' }, ['default_severity: expected one of "critical", "error", "warning", "info", got "fatal"']],
    [{ routing_key: ROUTING_KEY, service_key: 'x' }, ['service_key: unknown key "service_key"']],
  ])('%j → %j', (block, issues) => {
    const found = configIssues(pagerDutyKind.schema, block);
    expect(found).toEqual(issues);
    for (const f of found) expect(f).not.toContain(KEY);
  });
});
