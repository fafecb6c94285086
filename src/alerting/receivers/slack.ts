// The slack kind: an incoming-webhook message. The headline is the plain `text` (what
// notifications and screen readers show); one attachment per state carries the colour (by
// severity while firing, green once resolved) and, per alert, what a person needs to act:
// check and instance, summary, description, value, since when, runbook and dashboard links.
import { z } from 'zod';
import type { Notification, NotifiedAlert } from '../notification.js';
import {
  factsOf,
  groupNameOf,
  highestSeverity,
  httpUrl,
  jsonHeaders,
  oneLine,
  pack,
  safeUrl,
  sendable,
  slackEscape,
  slackLink,
  subjectOf,
  timeoutField,
  truncate,
  urlSecrets,
  DEFAULT_HTTP_TIMEOUT_MS,
  type AlertView,
  type Severity,
} from './common.js';
import type { HttpDelivery, ReceiverKind } from './types.js';

export interface SlackSettings {
  url: string;
  channel: string | undefined;
  username: string | undefined;
  iconEmoji: string | undefined;
  iconUrl: string | undefined;
  sendResolved: boolean;
  /** Replaces the headline. */
  title: string | undefined;
  /** Replaces the alert list: one attachment with this text. */
  text: string | undefined;
  timeoutMs: number;
}

const schema = z
  .strictObject({
    url: httpUrl('a Slack incoming-webhook URL like https://hooks.slack.com/services/…'),
    channel: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    icon_emoji: z.string().regex(/^:[^:\s]+:$/, { message: 'expected an emoji name like ":rotating_light:"' }).optional(),
    icon_url: httpUrl().optional(),
    send_resolved: z.boolean().default(true),
    title: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
    timeout: timeoutField(),
  })
  .transform((b, ctx): SlackSettings => {
    if (b.icon_emoji !== undefined && b.icon_url !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['icon_url'], message: 'icon_emoji and icon_url exclude each other; set one' });
    }
    return {
      url: b.url,
      channel: b.channel,
      username: b.username,
      iconEmoji: b.icon_emoji,
      iconUrl: b.icon_url,
      sendResolved: b.send_resolved,
      title: b.title,
      text: b.text,
      timeoutMs: b.timeout ?? DEFAULT_HTTP_TIMEOUT_MS,
    };
  });

/** Slack's limits we keep: section text is capped at 3000 characters; we hold attachments to it too. */
export const SLACK_LIMITS = { text: 3000, title: 250, headline: 500 } as const;

const COLOURS: Record<Severity, string> = { critical: 'danger', error: 'danger', warning: 'warning', info: '#439FE0' };

export interface SlackAttachment {
  color: string;
  fallback: string;
  title: string;
  title_link?: string;
  text: string;
  footer: string;
  ts: number;
  mrkdwn_in: ['text'];
}

export interface SlackMessage {
  channel?: string;
  username?: string;
  icon_emoji?: string;
  icon_url?: string;
  text: string;
  attachments: SlackAttachment[];
}

/** One alert as mrkdwn lines. */
function alertBlock(a: NotifiedAlert, now: number): string {
  const f = factsOf(a, now);
  const head = [`*${slackEscape(f.name)}*`];
  if (f.severity) head.push(slackEscape(f.severity));
  if (f.check) head.push(`check: ${slackEscape(f.check)}`);
  if (f.instance) head.push(`instance: ${slackEscape(f.instance)}`);
  const lines = [head.join(' · ')];
  if (f.summary) lines.push(slackEscape(f.summary));
  if (f.description) lines.push(slackEscape(f.description));
  lines.push(f.value === undefined ? f.when : `Value: ${slackEscape(f.value)} · ${f.when}`);
  if (f.links.length > 0) lines.push(f.links.map((l) => slackLink(l.url, l.text)).join(' · '));
  return lines.join('\n');
}

function alertList(alerts: readonly NotifiedAlert[], state: string, n: Notification): string {
  const home = safeUrl(n.externalURL);
  const more = (left: number) => `…and ${left} more ${state} alert${left === 1 ? '' : 's'}${home ? ` in ${slackLink(home, 'healthmon')}` : ''}`;
  return pack(alerts.map((a) => alertBlock(a, n.timestamp)), SLACK_LIMITS.text, '\n\n', more);
}

export function slackMessage(n: Notification, s: Omit<SlackSettings, 'url' | 'timeoutMs'>): SlackMessage | undefined {
  const v: AlertView | undefined = sendable(n, s.sendResolved);
  if (!v) return undefined;
  const headline = truncate(oneLine(s.title ?? subjectOf(v)), SLACK_LIMITS.headline);
  const home = safeUrl(n.externalURL);
  const { name } = groupNameOf(v);
  const firingColour = COLOURS[highestSeverity(v.firing, 'error')];
  const attachment = (color: string, title: string, text: string): SlackAttachment => ({
    color,
    fallback: slackEscape(headline),
    title: slackEscape(truncate(title, SLACK_LIMITS.title)),
    ...(home ? { title_link: home } : {}),
    text,
    footer: 'healthmon',
    ts: Math.floor(n.timestamp / 1000),
    mrkdwn_in: ['text'],
  });
  const attachments: SlackAttachment[] = [];
  if (s.text !== undefined) {
    attachments.push(attachment(v.firing.length > 0 ? firingColour : 'good', headline, truncate(s.text, SLACK_LIMITS.text)));
  } else {
    if (v.firing.length > 0) attachments.push(attachment(firingColour, `${v.firing.length} firing: ${name}`, alertList(v.firing, 'firing', n)));
    if (v.resolved.length > 0) attachments.push(attachment('good', `${v.resolved.length} resolved: ${name}`, alertList(v.resolved, 'resolved', n)));
  }
  return {
    ...(s.channel !== undefined ? { channel: s.channel } : {}),
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.iconEmoji !== undefined ? { icon_emoji: s.iconEmoji } : {}),
    ...(s.iconUrl !== undefined ? { icon_url: s.iconUrl } : {}),
    text: slackEscape(headline),
    attachments,
  };
}

function render(n: Notification, s: SlackSettings): HttpDelivery[] {
  const message = slackMessage(n, s);
  if (!message) return [];
  return [{ type: 'http', url: s.url, method: 'POST', headers: jsonHeaders(), body: JSON.stringify(message), timeoutMs: s.timeoutMs }];
}

export const slackKind: ReceiverKind<SlackSettings, HttpDelivery> = {
  kind: 'slack',
  schema,
  render,
  secrets: (s) => urlSecrets(s.url),
};
