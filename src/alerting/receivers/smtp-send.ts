// Sends one rendered e-mail over SMTP with nodemailer, within the delivery's timeout, and
// classifies what came of it: accepted → ok; a 5xx reply (bad credentials, refused sender,
// recipient or message) → failed; a 4xx reply, connection trouble, TLS trouble and timeouts →
// retry. Error texts never hold the password.
import { isIP } from 'node:net';
import nodemailer, { type NodemailerError } from 'nodemailer';
import { reasonFromError } from '../../core/failure-reason.js';
import { scrub } from './common.js';
import type { EmailDelivery, SendFailureReason, SendOutcome } from './types.js';

export interface SmtpSendOptions {
  /** Aborts the send, e.g. on shutdown; the outcome is then `retry` with reason `aborted`. */
  signal?: AbortSignal;
  /** Secrets to cut out of error texts besides the SMTP credentials. */
  secrets?: readonly string[];
}

const MAX_ERROR_CHARS = 512;

function credentialSecrets(d: EmailDelivery, extra: readonly string[]): string[] {
  const out = new Set(extra.filter((s) => s !== ''));
  const auth = d.smtp.auth;
  if (auth && auth.password !== '') {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    // As they cross the wire: PLAIN sends \0user\0password, LOGIN each part alone, base64-encoded.
    out.add(auth.password);
    out.add(b64(`\u0000${auth.username}\u0000${auth.password}`));
    out.add(b64(auth.password));
  }
  return [...out];
}

function classify(err: NodemailerError): { retry: boolean; reason: SendFailureReason } {
  const code = err.code ?? '';
  // Kept for retry, reply code or not: an operator can fix a certificate or a TLS setting without losing the mail.
  if (code === 'ETLS' || code === 'EREQUIRETLS') return { retry: true, reason: 'tls_error' };
  if (err.responseCode !== undefined) {
    // nodemailer marks 5xx (but 503, a session out of step) as permanent.
    const permanent = err.permanent ?? (err.responseCode >= 500 && err.responseCode !== 503);
    if (code === 'EAUTH') return { retry: !permanent, reason: 'auth_failed' };
    return permanent ? { retry: false, reason: 'rejected' } : { retry: true, reason: 'temporary_failure' };
  }
  switch (code) {
    case 'ETIMEDOUT':
      return { retry: true, reason: 'timeout' };
    case 'EAUTH':
    case 'ENOAUTH':
      // No reply code: the server offers no mechanism we can use; a config change is needed.
      return { retry: false, reason: 'auth_failed' };
    case 'EDNS':
      return { retry: true, reason: 'dns_error' };
    case 'ECONFIG':
    case 'EENVELOPE':
    case 'EMESSAGE':
    case 'EMAXRECIPIENTS':
      return { retry: false, reason: 'invalid_request' };
    default: {
      // A socket error (ESOCKET, ECONNECTION) keeps Node's code: refused, reset, a certificate problem.
      switch (reasonFromError({ code: err.originalCode })) {
        case 'connection_refused':
          return { retry: true, reason: 'connection_refused' };
        case 'connection_reset':
          return { retry: true, reason: 'connection_reset' };
        case 'dns_error':
          return { retry: true, reason: 'dns_error' };
        case 'tls_error':
        case 'cert_expired':
          return { retry: true, reason: 'tls_error' };
        default:
          return { retry: true, reason: 'network_error' };
      }
    }
  }
}

/** Sends one e-mail; never throws. */
export async function sendEmail(d: EmailDelivery, options: SmtpSendOptions = {}): Promise<SendOutcome> {
  const { smtp } = d;
  const where = `SMTP ${isIP(smtp.host) === 6 ? `[${smtp.host}]` : smtp.host}:${smtp.port}`;
  const secrets = credentialSecrets(d, options.secrets ?? []);
  const timeout = AbortSignal.timeout(d.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const servername = smtp.serverName ?? (isIP(smtp.host) === 0 ? smtp.host : undefined);
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls,
    // As Alertmanager: STARTTLS when required, and then insisted on; otherwise a plain session.
    requireTLS: smtp.requireTls,
    ignoreTLS: !smtp.requireTls,
    name: smtp.hello,
    auth: smtp.auth ? { user: smtp.auth.username, pass: smtp.auth.password } : undefined,
    connectionTimeout: d.timeoutMs,
    greetingTimeout: d.timeoutMs,
    socketTimeout: d.timeoutMs,
    dnsTimeout: d.timeoutMs,
    tls: { rejectUnauthorized: !smtp.insecureSkipVerify, ...(servername !== undefined ? { servername } : {}) },
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    await transport.sendMail({ from: d.from, to: d.to, subject: d.subject, text: d.text, html: d.html, signal });
    // Recipients refused while others were taken are not retried: a retry would mail the others twice.
    return { outcome: 'ok' };
  } catch (caught) {
    const err = caught as NodemailerError;
    if (options.signal?.aborted) return { outcome: 'retry', reason: 'aborted', error: `${where}: aborted` };
    // The server may have taken the message before the deadline cut in; a duplicate mail is the lesser harm.
    if (timeout.aborted) return { outcome: 'retry', reason: 'timeout', error: `${where}: no answer within ${d.timeoutMs}ms` };
    const reply = typeof err.response === 'string' ? err.response : undefined;
    const message = typeof err.message === 'string' ? err.message : String(caught);
    const detail = reply !== undefined && !message.includes(reply) ? `${message}: ${reply}` : message;
    // eslint-disable-next-line no-control-regex
    let error = scrub(`${where}: ${detail}`, secrets).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
    if (error.length > MAX_ERROR_CHARS) error = `${error.slice(0, MAX_ERROR_CHARS)}…`;
    const { retry, reason } = classify(err);
    const status = err.responseCode !== undefined ? { status: err.responseCode } : {};
    return retry ? { outcome: 'retry', reason, error, ...status } : { outcome: 'failed', reason, error, ...status };
  } finally {
    transport.close();
  }
}
