// Delivers the outbox: every due entry is rendered for its integration and sent; a 2xx removes
// it, a retryable failure puts it back with exponential backoff and jitter (or the receiver's
// Retry-After), a permanent one is logged and removed. One send at a time per integration, in
// order, and no faster than the kind allows (Slack: about one message a second).
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { ReceiverConfig } from './alerting-config.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { Delivery, ReceiverKind, SendOutcome } from './receivers/index.js';

const BACKOFF_BASE_MS = 2_000;
const BACKOFF_MAX_MS = 5 * 60_000;
const BATCH = 100;
/** Slack drops webhooks that post faster than about once a second. */
const MIN_INTERVAL_MS: Readonly<Record<string, number>> = { slack: 1_000 };

export interface DeliveryMetrics {
  sent(receiver: string, integration: string, outcome: SendOutcome['outcome'], latencyMs: number | undefined): void;
  pending(n: number): void;
}

export interface DeliveryDeps {
  clock: Clock;
  logger: Logger;
  outbox: Outbox;
  receivers(): readonly ReceiverConfig[];
  kinds: Readonly<Record<string, ReceiverKind<any>>>;
  send(d: Delivery, secrets: readonly string[]): Promise<SendOutcome>;
  metrics: DeliveryMetrics;
  /** In [0, 1); Math.random in the app. */
  random(): number;
}

export interface DeliveryWorker {
  /** Something was added to the outbox: look now. */
  wake(): void;
  /** Sends what is due now and resolves when those sends are done (tests). */
  pump(): Promise<void>;
  stop(): void;
}

export function backoffMs(attempts: number, random: () => number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempts);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export function createDeliveryWorker(deps: DeliveryDeps): DeliveryWorker {
  const { clock, logger, outbox } = deps;
  const busy = new Set<string>();
  const lastSentAt = new Map<string, number>();
  let timer: TimerHandle | undefined;
  let stopped = false;
  let pumping: Promise<void> | undefined;

  const scheduleNext = () => {
    if (stopped) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    const next = outbox.nextDueAt();
    deps.metrics.pending(outbox.pending());
    if (next === undefined) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      void pump();
    }, Math.max(0, next - clock.now()));
  };

  const deliver = async (e: OutboxEntry, key: string): Promise<void> => {
    const receiver = deps.receivers().find((r) => r.name === e.receiver);
    const integration = receiver?.integrations[e.integration];
    if (!integration) {
      logger.warn({ receiver: e.receiver, integration: e.integration }, 'dropping a notification: its receiver is no longer configured');
      outbox.done(e.id);
      return;
    }
    const notification = outbox.read(e.id);
    if (!notification) return; // done meanwhile
    const kind = deps.kinds[integration.kind]!;
    const secrets = kind.secrets(integration.settings);
    let worst: SendOutcome = { outcome: 'ok' };
    for (const d of kind.render(notification, integration.settings)) {
      const outcome = await deps.send(d, secrets);
      if (outcome.outcome !== 'ok') {
        worst = outcome;
        break;
      }
    }
    const now = clock.now();
    lastSentAt.set(key, now);
    const fields = { receiver: e.receiver, integration: integration.kind, group: notification.groupKey, attempts: e.attempts + 1 };
    if (worst.outcome === 'ok') {
      outbox.done(e.id);
      deps.metrics.sent(e.receiver, integration.kind, 'ok', now - e.createdAt);
      if (e.attempts > 0) logger.info(fields, 'notification delivered after retries');
    } else if (worst.outcome === 'retry') {
      const delay = Math.max(worst.retryAfterMs ?? 0, backoffMs(e.attempts, deps.random));
      outbox.retryAt(e.id, now + delay, worst.error);
      deps.metrics.sent(e.receiver, integration.kind, 'retry', undefined);
      logger.warn({ ...fields, reason: worst.reason, err: worst.error, retryInMs: delay }, 'notification not delivered; will retry');
    } else {
      outbox.done(e.id);
      deps.metrics.sent(e.receiver, integration.kind, 'failed', undefined);
      logger.error({ ...fields, reason: worst.reason, err: worst.error }, 'notification refused by the receiver; not retried');
    }
  };

  const pump = (): Promise<void> => {
    if (pumping) return pumping;
    pumping = (async () => {
      const now = clock.now();
      const sends: Promise<void>[] = [];
      const postponed: number[] = [];
      for (const e of outbox.due(now, BATCH)) {
        const key = `${e.receiver}\u0000${e.integration}`;
        if (busy.has(key)) continue; // in order: the next one waits for this integration's current send
        const kindName = deps.receivers().find((r) => r.name === e.receiver)?.integrations[e.integration]?.kind;
        const gap = MIN_INTERVAL_MS[kindName ?? ''] ?? 0;
        const readyAt = (lastSentAt.get(key) ?? -Infinity) + gap;
        if (readyAt > now) {
          postponed.push(readyAt);
          continue;
        }
        busy.add(key);
        sends.push(deliver(e, key).finally(() => busy.delete(key)));
      }
      await Promise.all(sends);
      if (postponed.length > 0 && !stopped) {
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = clock.setTimeout(() => {
          timer = undefined;
          void pump();
        }, Math.min(...postponed) - clock.now());
        deps.metrics.pending(outbox.pending());
        return;
      }
      scheduleNext();
    })();
    const done = pumping;
    return done.finally(() => {
      pumping = undefined;
    });
  };

  return {
    wake: () => void pump(),
    pump,
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
