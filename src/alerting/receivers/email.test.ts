import { describe, expect, it } from 'vitest';
import { alertFingerprint } from '../../core/alert-fingerprint.js';
import type { NotifiedAlert } from '../notification.js';
import { emailKind, type EmailSettings } from './email.js';
import { configIssues, fixture, NOW, resolvedFixture } from '../../../test/helpers/receivers.js';

const BASE = { smarthost: 'smtp.example.com:587', from: 'healthmon@example.com', to: ['ops@example.com', 'Core Team <core@example.com>'] };
const settings = (block: Record<string, unknown> = {}): EmailSettings => emailKind.schema.parse({ ...BASE, ...block });
const GEN = 'http://healthmon.example.com:9469/graph?g0.expr=probe_success%20%3D%3D%200';

const TEXT = [
  '[FIRING:2] ServiceDown (team=core)',
  '',
  '2 firing, 1 resolved. View in healthmon: http://healthmon.example.com:9469/',
  '',
  'FIRING (2)',
  '',
  'ServiceDown · critical · check: api · instance: api.internal:8080',
  'api is down',
  'Connection refused on api.internal:8080 for 10 minutes.',
  'Value: 0 · Since 2026-01-01 11:50:00 UTC (10m)',
  'Runbook: https://runbooks.example.com/ServiceDown',
  'Dashboard: https://grafana.example.com/d/checks?var-check=api',
  `Source: ${GEN}`,
  'Labels: alertname=ServiceDown check=api instance=api.internal:8080 severity=critical team=core',
  '',
  'ServiceDown · warning · check: web · instance: web.internal:80',
  'web is down',
  'Since 2026-01-01 11:58:00 UTC (2m)',
  `Source: ${GEN}`,
  'Labels: alertname=ServiceDown check=web instance=web.internal:80 severity=warning team=core',
  '',
  'RESOLVED (1)',
  '',
  'ServiceDown · critical · check: db · instance: db.internal:5432',
  'db is down',
  'Resolved 2026-01-01 11:59:00 UTC after 59m',
  `Source: ${GEN}`,
  'Labels: alertname=ServiceDown check=db instance=db.internal:5432 severity=critical team=core',
  '',
  '-- ',
  'Sent by healthmon to receiver team-core.',
  '',
].join('\n');

const HTML = [
  '<!DOCTYPE html>',
  '<html>',
  '<head><meta charset="utf-8"><title>[FIRING:2] ServiceDown (team=core)</title></head>',
  '<body style="font-family:-apple-system,\'Segoe UI\',Helvetica,Arial,sans-serif;font-size:14px;color:#1d1d1f">',
  '<h2 style="margin:0 0 8px">[FIRING:2] ServiceDown (team=core)</h2>',
  '<p>2 firing, 1 resolved. <a href="http://healthmon.example.com:9469/">View in healthmon</a></p>',
  '<h3 style="color:#b3261e">Firing (2)</h3>',
  '<div style="border-left:4px solid #b3261e;padding:4px 12px;margin:0 0 12px">',
  '<p style="margin:0"><strong>ServiceDown</strong> · critical · check: api · instance: api.internal:8080</p>',
  '<p style="margin:4px 0">api is down</p>',
  '<p style="margin:4px 0;white-space:pre-wrap">Connection refused on api.internal:8080 for 10 minutes.</p>',
  '<p style="margin:4px 0;color:#555">Value: 0 · Since 2026-01-01 11:50:00 UTC (10m)</p>',
  `<p style="margin:4px 0"><a href="https://runbooks.example.com/ServiceDown">Runbook</a> · <a href="https://grafana.example.com/d/checks?var-check=api">Dashboard</a> · <a href="${GEN}">Source</a></p>`,
  '<p style="margin:4px 0;color:#777;font-size:12px">alertname=ServiceDown check=api instance=api.internal:8080 severity=critical team=core</p>',
  '</div>',
  '<div style="border-left:4px solid #b26a00;padding:4px 12px;margin:0 0 12px">',
  '<p style="margin:0"><strong>ServiceDown</strong> · warning · check: web · instance: web.internal:80</p>',
  '<p style="margin:4px 0">web is down</p>',
  '<p style="margin:4px 0;color:#555">Since 2026-01-01 11:58:00 UTC (2m)</p>',
  `<p style="margin:4px 0"><a href="${GEN}">Source</a></p>`,
  '<p style="margin:4px 0;color:#777;font-size:12px">alertname=ServiceDown check=web instance=web.internal:80 severity=warning team=core</p>',
  '</div>',
  '<h3 style="color:#1e7e34">Resolved (1)</h3>',
  '<div style="border-left:4px solid #1e7e34;padding:4px 12px;margin:0 0 12px">',
  '<p style="margin:0"><strong>ServiceDown</strong> · critical · check: db · instance: db.internal:5432</p>',
  '<p style="margin:4px 0">db is down</p>',
  '<p style="margin:4px 0;color:#555">Resolved 2026-01-01 11:59:00 UTC after 59m</p>',
  `<p style="margin:4px 0"><a href="${GEN}">Source</a></p>`,
  '<p style="margin:4px 0;color:#777;font-size:12px">alertname=ServiceDown check=db instance=db.internal:5432 severity=critical team=core</p>',
  '</div>',
  '<p style="color:#777;font-size:12px">Sent by healthmon to receiver team-core.</p>',
  '</body>',
  '</html>',
  '',
].join('\n');

describe('email render', () => {
  it('renders Alertmanager\'s subject, a text and an HTML body', () => {
    const s = settings({ send_resolved: true, auth_username: 'healthmon', auth_password: 'smtp-secret' });
    expect(emailKind.render(fixture(), s)).toEqual([
      {
        type: 'email',
        smtp: {
          host: 'smtp.example.com', port: 587, tls: false, requireTls: true, hello: 'localhost',
          auth: { username: 'healthmon', password: 'smtp-secret' }, insecureSkipVerify: false, serverName: undefined,
        },
        from: 'healthmon@example.com',
        to: ['ops@example.com', 'Core Team <core@example.com>'],
        subject: '[FIRING:2] ServiceDown (team=core)',
        text: TEXT,
        html: HTML,
        timeoutMs: 30_000,
      },
    ]);
    expect(emailKind.secrets(s)).toEqual(['smtp-secret']);
  });

  it('leaves resolved alerts out by default, as Alertmanager\'s email does', () => {
    const [d] = emailKind.render(fixture(), settings());
    expect(d!.subject).toBe('[FIRING:2] ServiceDown (team=core)');
    expect(d!.text).not.toContain('RESOLVED');
    expect(d!.text).toContain('2 firing. View in healthmon');
    expect(emailKind.render(resolvedFixture(), settings())).toEqual([]);
  });

  it('sends a resolved-only notification when send_resolved is set', () => {
    const [d] = emailKind.render(resolvedFixture(), settings({ send_resolved: true }));
    expect(d!.subject).toBe('[RESOLVED] ServiceDown (check=api instance=api.internal:8080 severity=critical team=core)');
    expect(d!.text.split('\n').slice(2, 5)).toEqual(['1 resolved. View in healthmon: http://healthmon.example.com:9469/', '', 'RESOLVED (1)']);
    expect(d!.html).toContain('<h3 style="color:#1e7e34">Resolved (1)</h3>');
  });

  it('escapes everything in the HTML body and links only http(s) URLs', () => {
    const labels = { alertname: '<script>alert(1)</script>', check: '"quoted" & \'single\'' };
    const a: NotifiedAlert = {
      status: 'firing', labels, startsAt: NOW, generatorURL: 'javascript:alert(2)', fingerprint: alertFingerprint(labels),
      annotations: { summary: '<img src=x onerror=alert(3)>', description: 'line 1\nline 2 ünïcødé 🚨', runbook_url: 'https://rb.example.com/?a=1&b="2"' },
    };
    const [d] = emailKind.render(fixture({ alerts: [a], groupLabels: {}, commonLabels: labels }), settings());
    expect(d!.subject).toBe('[FIRING:1] <script>alert(1)</script> (check="quoted" & \'single\')');
    expect(d!.html).not.toMatch(/<script|<img|javascript:/);
    expect(d!.html).toContain('<title>[FIRING:1] &lt;script&gt;alert(1)&lt;/script&gt; (check=&quot;quoted&quot; &amp; &#39;single&#39;)</title>');
    expect(d!.html).toContain('<p style="margin:4px 0">&lt;img src=x onerror=alert(3)&gt;</p>');
    expect(d!.html).toContain('<p style="margin:4px 0;white-space:pre-wrap">line 1\nline 2 ünïcødé 🚨</p>');
    expect(d!.html).toContain('<a href="https://rb.example.com/?a=1&amp;b=%222%22">Runbook</a></p>');
    expect(d!.text).toContain('Runbook: https://rb.example.com/?a=1&b=%222%22\nLabels:');
  });

  it('keeps line breaks out of the subject', () => {
    const labels = { alertname: 'Multi\r\nBcc: evil@example.com' };
    const a: NotifiedAlert = { status: 'firing', labels, annotations: {}, startsAt: NOW, generatorURL: '', fingerprint: alertFingerprint(labels) };
    expect(emailKind.render(fixture({ alerts: [a], groupLabels: labels, commonLabels: labels }), settings())[0]!.subject).toBe('[FIRING:1] Multi Bcc: evil@example.com');
  });

  it('takes a subject override', () => {
    expect(emailKind.render(fixture(), settings({ subject: 'healthmon alert' }))[0]!.subject).toBe('healthmon alert');
  });
});

describe('email settings', () => {
  it('applies Alertmanager\'s defaults; port 465 means implicit TLS', () => {
    expect(settings({ to: 'ops@example.com' })).toEqual({
      smtp: { host: 'smtp.example.com', port: 587, tls: false, requireTls: true, hello: 'localhost', auth: undefined, insecureSkipVerify: false, serverName: undefined },
      from: 'healthmon@example.com', to: ['ops@example.com'], sendResolved: false, subject: undefined, timeoutMs: 30_000,
    });
    expect(settings({ smarthost: 'smtp.example.com:465' }).smtp.tls).toBe(true);
    expect(settings({ smarthost: '[::1]:25', require_tls: false }).smtp).toMatchObject({ host: '::1', port: 25, requireTls: false });
  });

  it('allows a password over a plain connection only to this host', () => {
    expect(configIssues(emailKind.schema, { ...BASE, smarthost: '127.0.0.1:2525', require_tls: false, auth_username: 'u', auth_password: 'p' })).toEqual([]);
    expect(configIssues(emailKind.schema, { ...BASE, require_tls: false, auth_username: 'u', auth_password: 'p' })).toEqual([
      'require_tls: auth over an unencrypted connection would send the password in clear; set require_tls or tls',
    ]);
  });

  it.each([
    [{ ...BASE, smarthost: 'smtp.example.com' }, ['smarthost: expected host:port like "smtp.example.com:587", got "smtp.example.com"']],
    [{ ...BASE, smarthost: 'smtp.example.com:99999' }, ['smarthost: expected host:port like "smtp.example.com:587", got "smtp.example.com:99999"']],
    [{ ...BASE, from: 'healthmon' }, ['from: expected an e-mail address like "ops@example.com" or "Ops <ops@example.com>"']],
    [{ ...BASE, to: [] }, ['to: expected an e-mail address like "ops@example.com" or "Ops <ops@example.com>", or a list of them; got an empty list']],
    [{ ...BASE, to: 5 }, ['to: expected an e-mail address like "ops@example.com" or "Ops <ops@example.com>", or a list of them; got 5']],
    [{ ...BASE, to: ['ops@example.com', 'nobody'] }, ['to[1]: expected an e-mail address like "ops@example.com" or "Ops <ops@example.com>", got "nobody"']],
    [{ ...BASE, auth_username: 'u' }, ['auth_password: auth_username and auth_password go together']],
    [{ ...BASE, auth_username: 'u', auth_password: '' }, ['auth_password: expected an SMTP password, got an empty string']],
    [{ ...BASE, tls_config: { insecure_skip_verify: 'yes' } }, ['tls_config.insecure_skip_verify: expected true or false, got "yes"']],
    [{ ...BASE, html: '<p>' }, ['html: unknown key "html"']],
  ])('%j → %j', (block, issues) => {
    expect(configIssues(emailKind.schema, block)).toEqual(issues);
  });
});
