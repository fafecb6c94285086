// The one shape every receiver kind has, what a kind renders (a delivery), and what sending a
// delivery comes to (an outcome). Rendering is pure; sending and retrying are shared.
import type { ZodType } from 'zod';
import type { Notification } from '../notification.js';

/** One HTTP request to make. */
export interface HttpDelivery {
  type: 'http';
  url: string;
  method: 'POST';
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** How long the whole exchange (connect, request, response) may take. */
  timeoutMs: number;
}

/** How to reach the SMTP server; carried with the message so a sender needs nothing else. */
export interface SmtpTransport {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465, "SMTPS"). */
  tls: boolean;
  /** Insist on STARTTLS; without it the connection stays plain, as Alertmanager's does. */
  requireTls: boolean;
  /** Name sent in EHLO/HELO. */
  hello: string;
  auth: { username: string; password: string } | undefined;
  insecureSkipVerify: boolean;
  /** Name to verify the server certificate against; the host when unset. */
  serverName: string | undefined;
}

/** One e-mail to send. */
export interface EmailDelivery {
  type: 'email';
  smtp: SmtpTransport;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  timeoutMs: number;
}

export type Delivery = HttpDelivery | EmailDelivery;

/**
 * A receiver kind (`webhook`, `slack` …): the schema of its settings block (`<kind>_configs`
 * entries; unknown keys are errors), a pure render and the list of its secrets.
 */
export interface ReceiverKind<S, D extends Delivery = Delivery> {
  kind: string;
  /** Validates one settings block at config load and turns it into settings. */
  schema: ZodType<S>;
  /**
   * What to send for one notification, computed from the notification and the settings only
   * (no I/O, no clock). Empty when there is nothing to send, e.g. a resolved-only notification
   * to a receiver with `send_resolved: false`.
   */
  render(n: Notification, settings: S): D[];
  /** Every secret string in the settings (URL paths and queries with tokens, keys, passwords). */
  secrets(settings: S): string[];
}

/**
 * Why a send did not succeed: a closed list, safe as a metric label. The detail that can grow
 * without bound (response bodies, server replies) lives in `error`.
 */
export const SEND_FAILURE_REASONS = [
  'timeout',
  'aborted',
  'connection_refused',
  'connection_reset',
  'dns_error',
  'tls_error',
  'network_error',
  'rate_limited',
  'server_error',
  'client_error',
  'unexpected_status',
  'auth_failed',
  'rejected',
  'temporary_failure',
  'invalid_request',
] as const;

export type SendFailureReason = (typeof SEND_FAILURE_REASONS)[number];

/**
 * What one send came to. `retry`: worth trying again (after `retryAfterMs` when the receiver
 * said so); `failed`: the receiver refused it for good. `error` never holds a secret.
 */
export type SendOutcome =
  | { outcome: 'ok'; status?: number }
  | { outcome: 'retry'; reason: SendFailureReason; error: string; retryAfterMs?: number; status?: number }
  | { outcome: 'failed'; reason: SendFailureReason; error: string; status?: number };
