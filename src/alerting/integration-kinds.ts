// Every `<kind>_configs` a receiver may have: the rendering kinds that go through the outbox, and
// `alertmanager`, which hands alerts to real Alertmanagers (and resends them) instead.
import { alertmanagerSettingsSchema } from './alertmanager-sender.js';
import { RECEIVER_KINDS } from './receivers/index.js';

export const INTEGRATION_KINDS = {
  ...RECEIVER_KINDS,
  alertmanager: { schema: alertmanagerSettingsSchema },
} as const;

/** Whether an integration's notifications are rendered and sent through the outbox. */
export function isOutboxKind(kind: string): kind is keyof typeof RECEIVER_KINDS {
  return kind in RECEIVER_KINDS;
}
