// Every receiver kind healthmon knows, by the name users write as `<kind>_configs`.
import { datadogKind } from './datadog.js';
import { emailKind } from './email.js';
import { pagerDutyKind } from './pagerduty.js';
import { slackKind } from './slack.js';
import type { ReceiverKind } from './types.js';
import { webhookKind } from './webhook.js';

export const RECEIVER_KINDS = {
  webhook: webhookKind,
  slack: slackKind,
  datadog: datadogKind,
  pagerduty: pagerDutyKind,
  email: emailKind,
} as const satisfies Record<string, ReceiverKind<any>>;

export type ReceiverKindName = keyof typeof RECEIVER_KINDS;

export type { Delivery, EmailDelivery, HttpDelivery, ReceiverKind, SendFailureReason, SendOutcome, SmtpTransport } from './types.js';
