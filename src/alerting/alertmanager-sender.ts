// Hands alerts to real Alertmanagers the way Prometheus does (its notifier): every alert routed
// to an `alertmanager` receiver is POSTed to /api/v2/alerts of each configured Alertmanager at
// once and then resent every resend_delay while firing (endsAt = now + 4 × max(evaluation
// interval, resend_delay), so Alertmanager resolves it itself if healthmon goes away), and a
// resolved one is resent for 15 minutes. Alertmanager deduplicates, so replicas may all send.
import { z } from 'zod';
import { duration } from '../config/fields.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { NotifiedAlert } from './notification.js';
import { httpClientFields, httpClientSettings, httpUrl, urlSecrets } from './receivers/common.js';

export const RESOLVED_RESEND_MS = 15 * 60_000;
const BATCH = 256;

export interface AlertmanagerTarget {
  /** Base URL, e.g. http://127.0.0.1:9093; /api/v2/alerts is appended. */
  url: string;
  timeoutMs: number;
  headers: Record<string, string>;
}

/** Prometheus's default --rules.alert.resend-delay. */
export const DEFAULT_RESEND_DELAY_MS = 60_000;

/** An `alertmanager_configs` entry: the Alertmanagers to hand alerts to, and how. */
export const alertmanagerSettingsSchema = z
  .strictObject({
    urls: z.array(httpUrl()).min(1),
    resend_delay: duration().refine((ms) => ms > 0, { message: 'expected a duration above zero' }).optional(),
    ...httpClientFields,
  })
  .transform((b, ctx) => {
    const client = httpClientSettings(b, ctx);
    return {
      targets: b.urls.map((url): AlertmanagerTarget => ({ url: url.replace(/\/+$/, ''), timeoutMs: client.timeoutMs, headers: client.headers })),
      resendDelayMs: b.resend_delay ?? DEFAULT_RESEND_DELAY_MS,
      secrets: [...client.secrets, ...b.urls.flatMap(urlSecrets)],
    };
  });

export type AlertmanagerSettings = z.output<typeof alertmanagerSettingsSchema>;

export interface AlertmanagerSenderDeps {
  clock: Clock;
  resendDelayMs: number;
  evaluationIntervalMs: number;
  /** Sends one POST; resolves to an error text, or undefined on a 2xx. */
  post(target: AlertmanagerTarget, body: string): Promise<string | undefined>;
  onResult(target: AlertmanagerTarget, alerts: number, error: string | undefined): void;
}

export interface AlertmanagerSender {
  /** Alerts (new, updated or resolved) routed to this receiver. */
  update(alerts: readonly NotifiedAlert[]): void;
  setTargets(targets: readonly AlertmanagerTarget[]): void;
  /** Sends everything due now; the timer calls it, tests may too. */
  flush(): Promise<void>;
  stop(): void;
}

/** Alertmanager's API wants RFC 3339; Go's zero time means "not set". */
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function createAlertmanagerSender(deps: AlertmanagerSenderDeps): AlertmanagerSender {
  const { clock } = deps;
  const alerts = new Map<string, NotifiedAlert>();
  let targets: readonly AlertmanagerTarget[] = [];
  let timer: TimerHandle | undefined;
  let stopped = false;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
  };

  const payload = (now: number) => {
    const validFor = 4 * Math.max(deps.evaluationIntervalMs, deps.resendDelayMs);
    const out: object[] = [];
    for (const [fp, a] of alerts) {
      if (a.status === 'resolved' && now - (a.endsAt ?? now) > RESOLVED_RESEND_MS) {
        alerts.delete(fp);
        continue;
      }
      out.push({
        labels: a.labels,
        annotations: a.annotations,
        startsAt: iso(a.startsAt),
        endsAt: iso(a.status === 'resolved' ? a.endsAt : now + validFor),
        generatorURL: a.generatorURL,
      });
    }
    return out;
  };

  const flush = async () => {
    const now = clock.now();
    const list = payload(now);
    schedule(deps.resendDelayMs);
    if (list.length === 0) return;
    await Promise.all(
      targets.map(async (target) => {
        for (let i = 0; i < list.length; i += BATCH) {
          const batch = list.slice(i, i + BATCH);
          const error = await deps.post(target, JSON.stringify(batch));
          deps.onResult(target, batch.length, error);
        }
      }),
    );
  };

  return {
    update(list) {
      for (const a of list) alerts.set(a.fingerprint, a);
      // New facts go out now, as Prometheus sends on every evaluation that changed something.
      schedule(0);
    },
    setTargets(next) {
      targets = next;
    },
    flush,
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
