// Alert delivery put together: the router (muting, grouping, outbox), the delivery worker that
// empties the outbox, and one Alertmanager sender per `alertmanager_configs` entry. The rule
// evaluator's sink; rebuilt in place on reload.
import type { Logger } from 'pino';
import type { AlertEvent, AlertSink } from '../core/alert-event.js';
import type { Clock } from '../core/clock.js';
import type { Db } from '../store/database.js';
import type { AlertingConfig } from './alerting-config.js';
import { createAlertmanagerSender, type AlertmanagerSender, type AlertmanagerSettings } from './alertmanager-sender.js';
import { createDeliveryWorker, type DeliveryMetrics, type DeliveryWorker } from './delivery.js';
import { toNotifiedAlert } from './dispatcher.js';
import { sendHttp } from './http-send.js';
import { RECEIVER_KINDS } from './receivers/index.js';
import { sendEmail } from './receivers/smtp-send.js';
import { matchRoutes } from './route.js';
import { createRouter, type Router } from './router.js';

export interface AlertingRuntimeDeps {
  clock: Clock;
  logger: Logger;
  db: Db;
  externalURL: string;
  evaluationIntervalMs: number;
  dependsOn(check: string): readonly string[];
  isDown(check: string): boolean;
  metrics: DeliveryMetrics;
  random(): number;
}

export interface AlertingRuntime extends AlertSink {
  readonly router: Router;
  readonly delivery: DeliveryWorker;
  setConfig(config: AlertingConfig): void;
  stop(): void;
}

export function createAlertingRuntime(initial: AlertingConfig, deps: AlertingRuntimeDeps): AlertingRuntime {
  const { clock, logger } = deps;
  let delivery: DeliveryWorker | undefined;
  const router = createRouter(initial, {
    clock,
    db: deps.db,
    externalURL: deps.externalURL,
    dependsOn: deps.dependsOn,
    isDown: deps.isDown,
    wake: () => delivery?.wake(),
  });
  delivery = createDeliveryWorker({
    clock,
    logger: logger.child({ component: 'delivery' }),
    outbox: router.outbox,
    receivers: () => router.config().receivers,
    kinds: RECEIVER_KINDS,
    send: (d, secrets) => (d.type === 'http' ? sendHttp(d, { now: clock.now, secrets }) : sendEmail(d, { secrets })),
    metrics: deps.metrics,
    random: deps.random,
  });

  // Alertmanager senders by `receiver\0index`, rebuilt on reload (their alerts carry over).
  let senders = new Map<string, AlertmanagerSender>();
  const buildSenders = (config: AlertingConfig) => {
    const next = new Map<string, AlertmanagerSender>();
    for (const r of config.receivers) {
      r.integrations.forEach((integ, i) => {
        if (integ.kind !== 'alertmanager') return;
        const settings = integ.settings as AlertmanagerSettings;
        const key = `${r.name}\u0000${i}`;
        const sender = senders.get(key) ?? createAlertmanagerSender({
          clock,
          resendDelayMs: settings.resendDelayMs,
          evaluationIntervalMs: deps.evaluationIntervalMs,
          post: async (target, body) => {
            const out = await sendHttp(
              { type: 'http', url: `${target.url}/api/v2/alerts`, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body, timeoutMs: target.timeoutMs },
              { now: clock.now, secrets: settings.secrets },
            );
            return out.outcome === 'ok' ? undefined : out.error;
          },
          onResult: (_target, alerts, error) => {
            deps.metrics.sent(r.name, 'alertmanager', error === undefined ? 'ok' : 'retry', undefined);
            if (error !== undefined) logger.warn({ receiver: r.name, alerts, err: error }, 'alertmanager did not take the alerts; they are resent');
          },
        });
        sender.setTargets(settings.targets);
        next.set(key, sender);
      });
    }
    for (const [key, s] of senders) if (!next.has(key)) s.stop();
    senders = next;
  };
  buildSenders(initial);
  // Alerts restored by the router after a restart go to the Alertmanagers again too.
  const forward = (alerts: ReturnType<typeof toNotifiedAlert>[]) => {
    if (senders.size === 0) return;
    const config = router.config();
    for (const a of alerts) {
      for (const route of matchRoutes(config.route, a.labels)) {
        const receiver = config.receivers.find((r) => r.name === route.receiver);
        receiver?.integrations.forEach((integ, i) => {
          if (integ.kind === 'alertmanager') senders.get(`${receiver.name}\u0000${i}`)?.update([a]);
        });
      }
    }
  };
  forward(router.alerts());
  delivery.wake();

  return {
    router,
    delivery,
    send(events: readonly AlertEvent[]) {
      router.send(events);
      forward(events.map(toNotifiedAlert));
    },
    setConfig(config) {
      router.setConfig(config);
      buildSenders(config);
    },
    stop() {
      router.stop();
      delivery?.stop();
      for (const s of senders.values()) s.stop();
    },
  };
}
