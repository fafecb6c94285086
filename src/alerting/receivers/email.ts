// The email kind: Alertmanager's subject (`[FIRING:2] ServiceDown (team=core)`), a plain-text
// and an HTML body with everything a person needs per alert, every value escaped. SMTP
// settings follow Alertmanager's email_config; smtp-send.ts does the sending.
import { z } from 'zod';
import type { Notification, NotifiedAlert } from '../notification.js';
import {
  factsOf,
  htmlEscape,
  labelPairs,
  oneLine,
  safeUrl,
  secretString,
  sendable,
  severityOf,
  subjectOf,
  timeoutField,
  truncate,
  type AlertView,
} from './common.js';
import { shown } from '../../config/fields.js';
import type { EmailDelivery, ReceiverKind, SmtpTransport } from './types.js';

export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;

export interface EmailSettings {
  smtp: SmtpTransport;
  from: string;
  to: string[];
  sendResolved: boolean;
  /** Replaces the subject. */
  subject: string | undefined;
  timeoutMs: number;
}

const smarthost = () =>
  z.unknown().transform((value, ctx): { host: string; port: number } => {
    const m = typeof value === 'string' ? /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value) : null;
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `expected host:port like "smtp.example.com:587", got ${shown(value)}` });
      return z.NEVER;
    }
    return { host: m[1] ?? m[2]!, port };
  });

const BARE = /^[^\s@<>",;]+@[^\s@<>",;]+$/;
const NAMED = /^[^<>\r\n]*<([^\s@<>",;]+@[^\s@<>",;]+)>$/;

const isAddress = (v: unknown): v is string => typeof v === 'string' && (BARE.test(v.trim()) || NAMED.test(v.trim()));
const ADDRESS = 'an e-mail address like "ops@example.com" or "Ops <ops@example.com>"';

/** `ops@example.com` or `Ops <ops@example.com>`. */
const address = () => z.string().refine(isAddress, { message: `expected ${ADDRESS}` });

/** One address or a list of them. */
const addresses = () =>
  z.unknown().transform((value, ctx): string[] => {
    const list: unknown[] | undefined = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
    if (!list || list.length === 0) {
      ctx.addIssue({ code: 'custom', message: `expected ${ADDRESS}, or a list of them; got ${list ? 'an empty list' : shown(value)}` });
      return z.NEVER;
    }
    list.forEach((v, i) => {
      if (!isAddress(v)) ctx.addIssue({ code: 'custom', path: Array.isArray(value) ? [i] : [], message: `expected ${ADDRESS}, got ${shown(v)}` });
    });
    return list.map((v) => String(v).trim());
  });

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1)$/i;

const schema = z
  .strictObject({
    smarthost: smarthost(),
    from: address(),
    to: addresses(),
    hello: z.string().min(1).default('localhost'),
    require_tls: z.boolean().default(true),
    tls: z.boolean().optional(),
    tls_config: z.strictObject({ insecure_skip_verify: z.boolean().default(false), server_name: z.string().min(1).optional() }).optional(),
    auth_username: z.string().min(1).optional(),
    auth_password: secretString('an SMTP password').optional(),
    send_resolved: z.boolean().default(false),
    subject: z.string().min(1).optional(),
    timeout: timeoutField(),
  })
  .transform((b, ctx): EmailSettings => {
    if ((b.auth_username === undefined) !== (b.auth_password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [b.auth_username === undefined ? 'auth_username' : 'auth_password'], message: 'auth_username and auth_password go together' });
    }
    // As Alertmanager: port 465 speaks TLS from the start.
    const tls = b.tls ?? b.smarthost.port === 465;
    // As Go's PLAIN auth, which Alertmanager uses: a password crosses a plain connection only to this host.
    if (b.auth_password !== undefined && !tls && !b.require_tls && !LOOPBACK.test(b.smarthost.host)) {
      ctx.addIssue({ code: 'custom', path: ['require_tls'], message: 'auth over an unencrypted connection would send the password in clear; set require_tls or tls' });
    }
    return {
      smtp: {
        host: b.smarthost.host,
        port: b.smarthost.port,
        tls,
        requireTls: b.require_tls,
        hello: b.hello,
        auth: b.auth_username !== undefined && b.auth_password !== undefined ? { username: b.auth_username, password: b.auth_password } : undefined,
        insecureSkipVerify: b.tls_config?.insecure_skip_verify ?? false,
        serverName: b.tls_config?.server_name,
      },
      from: b.from.trim(),
      to: b.to,
      sendResolved: b.send_resolved,
      subject: b.subject,
      timeoutMs: b.timeout ?? DEFAULT_SMTP_TIMEOUT_MS,
    };
  });

export const EMAIL_LIMITS = { subject: 500, alertsPerSection: 200 } as const;

const COLOURS = { critical: '#b3261e', error: '#b3261e', warning: '#b26a00', info: '#1a73e8', resolved: '#1e7e34' } as const;

function colourOf(a: NotifiedAlert): string {
  return a.status === 'resolved' ? COLOURS.resolved : COLOURS[severityOf(a.labels) ?? 'error'];
}

function countsOf(v: AlertView): string {
  return [v.firing.length > 0 ? `${v.firing.length} firing` : '', v.resolved.length > 0 ? `${v.resolved.length} resolved` : ''].filter(Boolean).join(', ');
}

function headOf(f: ReturnType<typeof factsOf>): string[] {
  const head = [f.name];
  if (f.severity) head.push(f.severity);
  if (f.check) head.push(`check: ${f.check}`);
  if (f.instance) head.push(`instance: ${f.instance}`);
  return head;
}

function textAlert(a: NotifiedAlert, now: number): string {
  const f = factsOf(a, now);
  const lines = [headOf(f).join(' · ')];
  if (f.summary) lines.push(f.summary);
  if (f.description) lines.push(f.description);
  lines.push(f.value === undefined ? f.when : `Value: ${f.value} · ${f.when}`);
  for (const l of f.links) lines.push(`${l.text}: ${l.url}`);
  lines.push(`Labels: ${labelPairs(a.labels)}`);
  return lines.join('\n');
}

const P = 'margin:4px 0';

function htmlAlert(a: NotifiedAlert, now: number): string {
  const f = factsOf(a, now);
  const [name, ...rest] = headOf(f).map(htmlEscape);
  const lines = [`<p style="margin:0"><strong>${name}</strong>${rest.map((r) => ` · ${r}`).join('')}</p>`];
  if (f.summary) lines.push(`<p style="${P}">${htmlEscape(f.summary)}</p>`);
  if (f.description) lines.push(`<p style="${P};white-space:pre-wrap">${htmlEscape(f.description)}</p>`);
  lines.push(`<p style="${P};color:#555">${htmlEscape(f.value === undefined ? f.when : `Value: ${f.value} · ${f.when}`)}</p>`);
  if (f.links.length > 0) lines.push(`<p style="${P}">${f.links.map((l) => `<a href="${htmlEscape(l.url)}">${htmlEscape(l.text)}</a>`).join(' · ')}</p>`);
  lines.push(`<p style="${P};color:#777;font-size:12px">${htmlEscape(labelPairs(a.labels))}</p>`);
  return `<div style="border-left:4px solid ${colourOf(a)};padding:4px 12px;margin:0 0 12px">\n${lines.join('\n')}\n</div>`;
}

function sections(v: AlertView): { title: string; colour: string; alerts: NotifiedAlert[]; left: number }[] {
  const out = [];
  const max = EMAIL_LIMITS.alertsPerSection;
  if (v.firing.length > 0) out.push({ title: `Firing (${v.firing.length})`, colour: COLOURS.critical, alerts: v.firing.slice(0, max), left: Math.max(0, v.firing.length - max) });
  if (v.resolved.length > 0) out.push({ title: `Resolved (${v.resolved.length})`, colour: COLOURS.resolved, alerts: v.resolved.slice(0, max), left: Math.max(0, v.resolved.length - max) });
  return out;
}

function textBody(n: Notification, v: AlertView, subject: string, home: string | undefined): string {
  const parts = [subject, home ? `${countsOf(v)}. View in healthmon: ${home}` : `${countsOf(v)}.`];
  for (const s of sections(v)) {
    parts.push(s.title.toUpperCase(), ...s.alerts.map((a) => textAlert(a, n.timestamp)));
    if (s.left > 0) parts.push(`…and ${s.left} more`);
  }
  parts.push(`-- \nSent by healthmon to receiver ${n.receiver}.`);
  return `${parts.join('\n\n')}\n`;
}

function htmlBody(n: Notification, v: AlertView, subject: string, home: string | undefined): string {
  const s = htmlEscape(subject);
  const lines = [
    '<!DOCTYPE html>',
    '<html>',
    `<head><meta charset="utf-8"><title>${s}</title></head>`,
    '<body style="font-family:-apple-system,\'Segoe UI\',Helvetica,Arial,sans-serif;font-size:14px;color:#1d1d1f">',
    `<h2 style="margin:0 0 8px">${s}</h2>`,
    `<p>${htmlEscape(countsOf(v))}.${home ? ` <a href="${htmlEscape(home)}">View in healthmon</a>` : ''}</p>`,
  ];
  for (const sec of sections(v)) {
    lines.push(`<h3 style="color:${sec.colour}">${htmlEscape(sec.title)}</h3>`, ...sec.alerts.map((a) => htmlAlert(a, n.timestamp)));
    if (sec.left > 0) lines.push(`<p>…and ${sec.left} more</p>`);
  }
  lines.push(`<p style="color:#777;font-size:12px">Sent by healthmon to receiver ${htmlEscape(n.receiver)}.</p>`, '</body>', '</html>');
  return `${lines.join('\n')}\n`;
}

export function emailMessage(n: Notification, s: Pick<EmailSettings, 'sendResolved' | 'subject'>): { subject: string; text: string; html: string } | undefined {
  const v = sendable(n, s.sendResolved);
  if (!v) return undefined;
  const subject = truncate(oneLine(s.subject ?? subjectOf(v)), EMAIL_LIMITS.subject);
  const home = safeUrl(n.externalURL);
  return { subject, text: textBody(n, v, subject, home), html: htmlBody(n, v, subject, home) };
}

function render(n: Notification, s: EmailSettings): EmailDelivery[] {
  const m = emailMessage(n, s);
  if (!m) return [];
  return [{ type: 'email', smtp: s.smtp, from: s.from, to: [...s.to], subject: m.subject, text: m.text, html: m.html, timeoutMs: s.timeoutMs }];
}

export const emailKind: ReceiverKind<EmailSettings, EmailDelivery> = {
  kind: 'email',
  schema,
  render,
  secrets: (s) => (s.smtp.auth ? [s.smtp.auth.password] : []),
};
