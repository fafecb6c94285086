import { describe, expect, it } from 'vitest';
import { alertFingerprint } from '../../core/alert-fingerprint.js';
import type { NotifiedAlert } from '../notification.js';
import { slackKind, SLACK_LIMITS, type SlackMessage, type SlackSettings } from './slack.js';
import { configIssues, FIRING_CRITICAL, FIRING_WARNING, fixture, NOW, resolvedFixture } from '../../../test/helpers/receivers.js';

const URL_ = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX';
const settings = (block: Record<string, unknown> = {}): SlackSettings => slackKind.schema.parse({ url: URL_, ...block });
const message = (n = fixture(), s = settings()): SlackMessage => JSON.parse(slackKind.render(n, s)[0]!.body);
const GEN = 'http://healthmon.example.com:9469/graph?g0.expr=probe_success%20%3D%3D%200';

const firingAlert = (i: number, over: Partial<NotifiedAlert> = {}): NotifiedAlert => {
  const labels = { alertname: 'ServiceDown', check: `svc-${i}`, severity: 'warning' };
  return { status: 'firing', labels, annotations: {}, startsAt: NOW - 60_000, generatorURL: '', fingerprint: alertFingerprint(labels), ...over };
};

describe('slack render', () => {
  it('sends a headline and one attachment per state, coloured, with what a person needs per alert', () => {
    const [d, ...rest] = slackKind.render(fixture(), settings({ channel: '#ops', username: 'healthmon' }));
    expect(rest).toEqual([]);
    expect({ ...d, body: JSON.parse(d!.body) }).toEqual({
      type: 'http',
      url: URL_,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'healthmon' },
      timeoutMs: 10_000,
      body: {
        channel: '#ops',
        username: 'healthmon',
        text: '[FIRING:2] ServiceDown (team=core)',
        attachments: [
          {
            color: 'danger',
            fallback: '[FIRING:2] ServiceDown (team=core)',
            title: '2 firing: ServiceDown',
            title_link: 'http://healthmon.example.com:9469/',
            text: [
              '*ServiceDown* · critical · check: api · instance: api.internal:8080',
              'api is down',
              'Connection refused on api.internal:8080 for 10 minutes.',
              'Value: 0 · Since 2026-01-01 11:50:00 UTC (10m)',
              `<https://runbooks.example.com/ServiceDown|Runbook> · <https://grafana.example.com/d/checks?var-check=api|Dashboard> · <${GEN}|Source>`,
              '',
              '*ServiceDown* · warning · check: web · instance: web.internal:80',
              'web is down',
              'Since 2026-01-01 11:58:00 UTC (2m)',
              `<${GEN}|Source>`,
            ].join('\n'),
            footer: 'healthmon',
            ts: NOW / 1000,
            mrkdwn_in: ['text'],
          },
          {
            color: 'good',
            fallback: '[FIRING:2] ServiceDown (team=core)',
            title: '1 resolved: ServiceDown',
            title_link: 'http://healthmon.example.com:9469/',
            text: ['*ServiceDown* · critical · check: db · instance: db.internal:5432', 'db is down', 'Resolved 2026-01-01 11:59:00 UTC after 59m', `<${GEN}|Source>`].join('\n'),
            footer: 'healthmon',
            ts: NOW / 1000,
            mrkdwn_in: ['text'],
          },
        ],
      },
    });
  });

  it('sends a resolved-only notification as one green attachment', () => {
    const m = message(resolvedFixture());
    expect(m.text).toBe('[RESOLVED] ServiceDown (check=api instance=api.internal:8080 severity=critical team=core)');
    expect(m.attachments.map((a) => [a.color, a.title])).toEqual([['good', '1 resolved: ServiceDown']]);
    expect(m.attachments[0]!.text).toContain('Resolved 2026-01-01 12:00:00 UTC after 10m');
  });

  it('send_resolved: false leaves the resolved attachment out, and a resolved-only notification unsent', () => {
    expect(message(fixture(), settings({ send_resolved: false })).attachments.map((a) => a.color)).toEqual(['danger']);
    expect(slackKind.render(resolvedFixture(), settings({ send_resolved: false }))).toEqual([]);
  });

  it.each([
    ['critical', 'danger'],
    ['error', 'danger'],
    ['warning', 'warning'],
    ['info', '#439FE0'],
    ['WARNING', 'warning'],
    [undefined, 'danger'],
  ])('colours firing alerts of severity %s %s', (severity, colour) => {
    const labels: Record<string, string> = { alertname: 'X' };
    if (severity) labels.severity = severity;
    const a = firingAlert(0, { labels });
    expect(message(fixture({ alerts: [a], commonLabels: labels })).attachments[0]!.color).toBe(colour);
  });

  it('colours by the highest severity firing', () => {
    const n = fixture({ alerts: [FIRING_WARNING, FIRING_CRITICAL] });
    expect(message(n).attachments[0]!.color).toBe('danger');
  });

  it('shows an alert without annotations by name and time alone', () => {
    const labels = { alertname: 'Bare' };
    const a: NotifiedAlert = { status: 'firing', labels, annotations: {}, startsAt: NOW - 5000, generatorURL: '', fingerprint: alertFingerprint(labels) };
    expect(message(fixture({ alerts: [a], groupLabels: {}, commonLabels: labels })).attachments[0]!.text).toBe('*Bare*\nSince 2026-01-01 11:59:55 UTC (5s)');
  });

  it('escapes Slack\'s control characters, so label values cannot mention or link', () => {
    const labels = { alertname: '<!channel> & <@U123>', check: 'a>b' };
    const a: NotifiedAlert = { status: 'firing', labels, annotations: { summary: 'see <http://evil|here> 🚨' }, startsAt: NOW, generatorURL: '', fingerprint: alertFingerprint(labels) };
    const m = message(fixture({ alerts: [a], groupLabels: { alertname: labels.alertname }, commonLabels: labels }));
    expect(m.text).toBe('[FIRING:1] &lt;!channel&gt; &amp; &lt;@U123&gt; (check=a&gt;b)');
    expect(m.attachments[0]!.fallback).toBe(m.text);
    expect(m.attachments[0]!.title).toBe('1 firing: &lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(m.attachments[0]!.text).toBe('*&lt;!channel&gt; &amp; &lt;@U123&gt;* · check: a&gt;b\nsee &lt;http://evil|here&gt; 🚨\nSince 2026-01-01 12:00:00 UTC (0s)');
  });

  it('links only http(s) URLs from annotations', () => {
    const a = firingAlert(1, { annotations: { runbook_url: 'javascript:alert(1)', dashboard_url: 'https://grafana.example.com/d/x?a=1&b=2|3' } });
    const text = message(fixture({ alerts: [a] })).attachments[0]!.text;
    expect(text).not.toContain('javascript');
    expect(text).toContain('<https://grafana.example.com/d/x?a=1&amp;b=2%7C3|Dashboard>');
  });

  it('keeps each attachment within 3000 characters, whole alerts only, and says how many were left out', () => {
    const alerts = Array.from({ length: 60 }, (_, i) => firingAlert(i, { annotations: { summary: `svc-${i} is down`, description: `${'d'.repeat(150)} ünïcødé 🚨` } }));
    const m = message(fixture({ alerts, commonLabels: { alertname: 'ServiceDown', severity: 'warning' } }));
    const text = m.attachments[0]!.text;
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
    const shown = text.split('\n\n').filter((b) => b.startsWith('*ServiceDown*')).length;
    expect(text.endsWith(`…and ${60 - shown} more firing alerts in <http://healthmon.example.com:9469/|healthmon>`)).toBe(true);
    expect(shown).toBeGreaterThan(5);
    expect(m.attachments[0]!.title).toBe('60 firing: ServiceDown');
  });

  it('cuts a long description without splitting a character', () => {
    const a = firingAlert(1, { annotations: { description: '🚨'.repeat(2000) } });
    const text = message(fixture({ alerts: [a] })).attachments[0]!.text;
    const line = text.split('\n')[1]!;
    expect(line.length).toBeLessThanOrEqual(800);
    expect(line.endsWith('🚨…')).toBe(true);
  });

  it('takes title and text overrides', () => {
    const m = message(fixture(), settings({ title: 'Core services', text: 'See the status page.' }));
    expect(m.text).toBe('Core services');
    expect(m.attachments).toEqual([
      { color: 'danger', fallback: 'Core services', title: 'Core services', title_link: 'http://healthmon.example.com:9469/', text: 'See the status page.', footer: 'healthmon', ts: NOW / 1000, mrkdwn_in: ['text'] },
    ]);
  });

  it('lists the webhook URL and its path as secrets', () => {
    expect(slackKind.secrets(settings())).toEqual([URL_, '/services/T0000/B0000/XXXXXXXXXXXXXXXX']);
  });
});

describe('slack settings', () => {
  it('applies defaults', () => {
    expect(settings()).toEqual({
      url: URL_, channel: undefined, username: undefined, iconEmoji: undefined, iconUrl: undefined, sendResolved: true, title: undefined, text: undefined, timeoutMs: 10_000,
    });
  });

  it.each([
    [{}, ['url: required: expected a Slack incoming-webhook URL like https://hooks.slack.com/services/…']],
    [{ url: 'hooks.slack.com/services/T/B/secret' }, ['url: expected a Slack incoming-webhook URL like https://hooks.slack.com/services/…, got a string that is not one (the value is not shown: it may hold a secret)']],
    [{ url: URL_, icon_emoji: 'fire' }, ['icon_emoji: expected an emoji name like ":rotating_light:"']],
    [{ url: URL_, icon_emoji: ':fire:', icon_url: 'https://x.example/i.png' }, ['icon_url: icon_emoji and icon_url exclude each other; set one']],
    [{ url: URL_, send_resolved: 'yes' }, ['send_resolved: expected true or false, got "yes"']],
    [{ url: URL_, colour: 'red' }, ['colour: unknown key "colour"']],
  ])('%j → %j', (block, issues) => {
    expect(configIssues(slackKind.schema, block)).toEqual(issues);
  });
});
