import { describe, expect, it } from 'vitest';
import { alertFingerprint } from '../../core/alert-fingerprint.js';
import type { NotifiedAlert } from '../notification.js';
import { sha256Hex } from './common.js';
import { DATADOG_LIMITS, DATADOG_SITES, datadogKind, type DatadogEvent, type DatadogSettings } from './datadog.js';
import { configIssues, fixture, GROUP_KEY, NOW, resolvedFixture } from '../../../test/helpers/receivers.js';

const KEY = '0123456789abcdef0123456789abcdef';
const settings = (block: Record<string, unknown> = {}): DatadogSettings => datadogKind.schema.parse({ api_key: KEY, ...block });
const event = (n = fixture(), s = settings()): DatadogEvent => JSON.parse(datadogKind.render(n, s)[0]!.body);
const GEN = 'http://healthmon.example.com:9469/graph?g0.expr=probe_success%20%3D%3D%200';

const alertWith = (labels: Record<string, string>, over: Partial<NotifiedAlert> = {}): NotifiedAlert => ({
  status: 'firing', labels, annotations: {}, startsAt: NOW - 60_000, generatorURL: '', fingerprint: alertFingerprint(labels), ...over,
});

describe('datadog render', () => {
  it('posts one Events API v1 event per notification with the API key header', () => {
    const [d, ...rest] = datadogKind.render(fixture(), settings({ tags: ['env:prod', 'service:healthmon'] }));
    expect(rest).toEqual([]);
    expect({ ...d, body: JSON.parse(d!.body) }).toEqual({
      type: 'http',
      url: 'https://api.datadoghq.com/api/v1/events',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'healthmon', 'dd-api-key': KEY },
      timeoutMs: 10_000,
      body: {
        title: '[FIRING:2] ServiceDown (team=core)',
        text: [
          '%%% ',
          '**2 firing, 1 resolved** · [Open healthmon](http://healthmon.example.com:9469/)',
          '',
          '**Firing (2)**',
          '',
          '**ServiceDown** · critical · check: api · instance: api.internal:8080',
          'api is down',
          'Connection refused on api.internal:8080 for 10 minutes.',
          'Value: 0 · Since 2026-01-01 11:50:00 UTC (10m)',
          `[Runbook](https://runbooks.example.com/ServiceDown) · [Dashboard](https://grafana.example.com/d/checks?var-check=api) · [Source](${GEN})`,
          '',
          '**ServiceDown** · warning · check: web · instance: web.internal:80',
          'web is down',
          'Since 2026-01-01 11:58:00 UTC (2m)',
          `[Source](${GEN})`,
          '',
          '**Resolved (1)**',
          '',
          '**ServiceDown** · critical · check: db · instance: db.internal:5432',
          'db is down',
          'Resolved 2026-01-01 11:59:00 UTC after 59m',
          `[Source](${GEN})`,
          ' %%%',
        ].join('\n'),
        date_happened: NOW / 1000,
        priority: 'normal',
        tags: ['env:prod', 'service:healthmon', 'alertname:ServiceDown', 'team:core'],
        alert_type: 'error',
        aggregation_key: GROUP_KEY,
        source_type_name: 'healthmon',
      },
    });
  });

  it.each([
    ['critical', 'error'],
    ['error', 'error'],
    ['warning', 'warning'],
    ['info', 'info'],
    ['page-me', 'error'],
  ])('maps a firing alert of severity %s to alert_type %s', (severity, type) => {
    const labels = { alertname: 'X', severity };
    expect(event(fixture({ alerts: [alertWith(labels)], commonLabels: labels })).alert_type).toBe(type);
  });

  it('sends a resolved-only notification as success', () => {
    const e = event(resolvedFixture());
    expect(e.alert_type).toBe('success');
    expect(e.title).toBe('[RESOLVED] ServiceDown (check=api instance=api.internal:8080 severity=critical team=core)');
    expect(e.text.startsWith('%%% \n**1 resolved** · [Open healthmon](http://healthmon.example.com:9469/)\n\n**Resolved (1)**\n\n')).toBe(true);
  });

  it('send_resolved: false sends nothing for a resolved-only notification', () => {
    expect(datadogKind.render(resolvedFixture(), settings({ send_resolved: false }))).toEqual([]);
    expect(event(fixture(), settings({ send_resolved: false })).text).not.toContain('Resolved');
  });

  it.each(DATADOG_SITES.map((s) => [s]))('posts to the API host of site %s', (site) => {
    expect(datadogKind.render(fixture(), settings({ site }))[0]!.url).toBe(`https://api.${site}/api/v1/events`);
  });

  it('posts under api_url when given (a proxy or a local recorder)', () => {
    expect(datadogKind.render(fixture(), settings({ api_url: 'http://127.0.0.1:8126/dd' }))[0]!.url).toBe('http://127.0.0.1:8126/dd/api/v1/events');
    expect(datadogKind.render(fixture(), settings({ api_url: 'https://proxy.example.com/' }))[0]!.url).toBe('https://proxy.example.com/api/v1/events');
  });

  it('keeps the title within 100 characters and the text within 4000', () => {
    const alerts = Array.from({ length: 200 }, (_, i) =>
      alertWith({ alertname: 'DiskFull', check: `disk-${i}`, mountpoint: `/srv/${'x'.repeat(80)}` }, { annotations: { summary: `disk ${i} is full`, description: 'y'.repeat(500) } }),
    );
    const resolved = Array.from({ length: 50 }, (_, i) => alertWith({ alertname: 'DiskFull', check: `old-${i}` }, { status: 'resolved', endsAt: NOW }));
    const e = event(fixture({ alerts: [...alerts, ...resolved], groupLabels: { alertname: 'DiskFull', mount: 'm'.repeat(200) }, commonLabels: { alertname: 'DiskFull' } }));
    expect(e.title.length).toBe(DATADOG_LIMITS.title);
    expect(e.title.endsWith('…')).toBe(true);
    expect(e.text.length).toBeLessThanOrEqual(DATADOG_LIMITS.text);
    expect(e.text.startsWith('%%% \n')).toBe(true);
    expect(e.text.endsWith('\n %%%')).toBe(true);
    expect(e.text).toMatch(/…and \d+ more firing alerts\n\n\*\*Resolved \(50\)\*\*/);
    expect(e.text).toMatch(/…and \d+ more resolved alerts\n %%%$/);
  });

  it('hashes a group key longer than 100 characters into the aggregation key', () => {
    const long = `{}/{team="core"}:{check="${'c'.repeat(120)}"}`;
    expect(event(fixture({ groupKey: long })).aggregation_key).toBe(sha256Hex(long));
    expect(sha256Hex(long)).toHaveLength(64);
  });

  it('escapes markdown in label values and annotations, and keeps unicode', () => {
    const labels = { alertname: 'Disk_Full*', check: '[x](javascript:alert(1))' };
    const e = event(fixture({ alerts: [alertWith(labels, { annotations: { summary: 'ünïcødé 🚨 <b>' } })], groupLabels: {}, commonLabels: labels }));
    expect(e.text).toContain('**Disk\\_Full\\*** · check: \\[x\\](javascript:alert(1))\nünïcødé 🚨 \\<b\\>');
    expect(e.tags).toEqual(['alertname:Disk_Full*', 'check:[x](javascript:alert(1))']);
  });

  it('sets tags from the common labels after the extra tags, each at most 200 characters, without repeats', () => {
    const labels = { alertname: 'X', team: 'core', long: 'v'.repeat(300) };
    const e = event(fixture({ alerts: [alertWith(labels)], commonLabels: labels }), settings({ tags: ['team:core', 'env:prod'] }));
    expect(e.tags).toEqual(['team:core', 'env:prod', 'alertname:X', `long:${'v'.repeat(195)}`]);
  });

  it('takes priority low', () => {
    expect(event(fixture(), settings({ priority: 'low' })).priority).toBe('low');
  });

  it('lists the API key (and a given api_url\'s path) as secrets', () => {
    expect(datadogKind.secrets(settings())).toEqual([KEY]);
    expect(datadogKind.secrets(settings({ api_url: 'https://proxy.example.com/dd/tok123' }))).toEqual([KEY, 'https://proxy.example.com/dd/tok123', '/dd/tok123']);
  });
});

describe('datadog settings', () => {
  it('applies defaults', () => {
    expect(settings()).toEqual({ apiKey: KEY, url: 'https://api.datadoghq.com/api/v1/events', apiUrl: undefined, sendResolved: true, tags: [], priority: 'normal', timeoutMs: 10_000 });
  });

  it.each([
    [{ api_key: KEY, site: 'datadoghq.co' }, ['site: expected one of "datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com", got "datadoghq.co"']],
    [{}, ['api_key: required: expected a Datadog API key']],
    // The key is never shown, not even a wrong one.
    [{ api_key: 'short-secret-key' }, ['api_key: expected a Datadog API key of 32 letters and digits, got 16 characters']],
    [{ api_key: KEY, site: 'datadoghq.eu', api_url: 'https://proxy.example.com' }, ['api_url: site and api_url exclude each other; api_url replaces the site\'s API host']],
    [{ api_key: KEY, api_url: 'file:///etc/passwd' }, ['api_url: expected an http:// or https:// base URL like https://api.datadoghq.eu, got a URL with scheme file: (the value is not shown: it may hold a secret)']],
    [{ api_key: KEY, priority: 'high' }, ['priority: expected one of "normal", "low", got "high"']],
    [{ api_key: KEY, tags: 'env:prod' }, ['tags: expected a list, got "env:prod"']],
  ])('%j → %j', (block, issues) => {
    expect(configIssues(datadogKind.schema, block)).toEqual(issues);
  });
});
