// Alert delivery's own health: notifications by receiver, integration and outcome, how long a
// notification waited in the outbox before its receiver took it, and what is still waiting.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DeliveryMetrics } from '../alerting/delivery.js';

export function registerAlertingMetrics(registry: Registry): DeliveryMetrics {
  const registers = [registry];
  const sent = new Counter({
    name: 'healthmon_notifications_total',
    help: 'Notification attempts by receiver, integration kind and outcome (ok, retry, failed).',
    labelNames: ['receiver', 'integration', 'outcome'],
    registers,
  });
  const latency = new Histogram({
    name: 'healthmon_notification_latency_seconds',
    help: 'From a notification entering the outbox to its receiver taking it, in seconds.',
    labelNames: ['receiver', 'integration'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers,
  });
  const pending = new Gauge({ name: 'healthmon_outbox_pending', help: 'Notifications waiting in the outbox to be delivered.', registers });
  return {
    sent(receiver, integration, outcome, latencyMs) {
      sent.inc({ receiver, integration, outcome });
      if (latencyMs !== undefined) latency.observe({ receiver, integration }, latencyMs / 1000);
    },
    pending: (n) => pending.set(n),
  };
}
