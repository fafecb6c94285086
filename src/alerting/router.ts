// The alert router: takes the rule evaluator's firing and resolved alerts, mutes what silences,
// maintenance windows, inhibition and check dependencies say to mute, groups the rest through the
// dispatcher and writes each notification to the outbox, once per integration of its receiver.
import type { AlertEvent, AlertSink } from '../core/alert-event.js';
import type { Clock } from '../core/clock.js';
import type { Db } from '../store/database.js';
import { migrate } from '../store/database.js';
import type { AlertingConfig } from './alerting-config.js';
import { createDispatcher, type Dispatcher } from './dispatcher.js';
import { inhibitionIndex } from './inhibit.js';
import { isOutboxKind } from './integration-kinds.js';
import { windowActive } from './maintenance.js';
import { matchesLabels } from './matchers.js';
import type { NotifiedAlert } from './notification.js';
import { createOutbox, OUTBOX_MIGRATIONS, type Outbox } from './outbox.js';
import { createRouterStore, ROUTER_MIGRATIONS } from './router-store.js';
import { createSilences, SILENCE_MIGRATIONS, type Silences } from './silences.js';

export interface RouterDeps {
  clock: Clock;
  db: Db;
  externalURL: string;
  /** The checks a check depends on (`depends_on`), and whether a check is down now. */
  dependsOn(check: string): readonly string[];
  isDown(check: string): boolean;
  /** Told after notifications were written to the outbox, so delivery starts at once. */
  wake(): void;
}

export interface Router extends AlertSink {
  readonly outbox: Outbox;
  readonly silences: Silences;
  setConfig(config: AlertingConfig): void;
  config(): AlertingConfig;
  /** Every alert the router holds, with why it is muted, if it is. */
  alerts(): NotifiedAlert[];
  stop(): void;
}

export function createRouter(initial: AlertingConfig, deps: RouterDeps): Router {
  const { clock, db } = deps;
  migrate(db, [...OUTBOX_MIGRATIONS, ...SILENCE_MIGRATIONS, ...ROUTER_MIGRATIONS]);
  const outbox = createOutbox(db);
  const silences = createSilences(db);
  const store = createRouterStore(db);
  let config = initial;
  // The inhibition index is rebuilt only when the alerts or the rules changed since it was built.
  let version = 0;
  let inhibition: { version: number; check: (a: NotifiedAlert) => string | undefined } | undefined;
  const inhibitedBy = (alert: NotifiedAlert) => {
    if (inhibition?.version !== version) inhibition = { version, check: inhibitionIndex(config.inhibitRules, dispatcher.alerts()) };
    return inhibition.check(alert);
  };

  const mutedBy = (alert: NotifiedAlert, now: number): string | undefined => {
    const silence = silences.silencedBy(alert.labels, now);
    if (silence !== undefined) return `silenced by ${silence}`;
    const window = config.maintenanceWindows.find((w) => windowActive(w, now) && matchesLabels(w.matchers, alert.labels));
    if (window) return `maintenance window ${window.name}`;
    const check = alert.labels.check;
    if (check !== undefined) {
      const down = deps.dependsOn(check).find((d) => deps.isDown(d));
      if (down !== undefined) return `dependency ${down} is down`;
    }
    const rule = config.inhibitRules.length > 0 ? inhibitedBy(alert) : undefined;
    if (rule !== undefined) return `inhibited by ${rule}`;
    return undefined;
  };

  const dispatcher: Dispatcher = createDispatcher(config.route, {
    clock,
    externalURL: deps.externalURL,
    mutedBy,
    notify(n) {
      const receiver = config.receivers.find((r) => r.name === n.receiver);
      // Alertmanager integrations get every alert at once instead (see alertmanager-sender.ts).
      const slots = receiver?.integrations.flatMap((integ, i) => (isOutboxKind(integ.kind) ? [i] : [])) ?? [];
      if (slots.length === 0) return;
      const now = clock.now();
      db.transaction(() => slots.forEach((i) => outbox.add(n.receiver, i, n, now)))();
      deps.wake();
    },
    persist: store,
  });
  const saved = store.load();
  dispatcher.restore(saved.alerts, saved.groups);
  silences.setConfigSilences(config.silences, clock.now());

  return {
    outbox,
    silences,
    send: (events: readonly AlertEvent[]) => {
      version++;
      dispatcher.receive(events);
    },
    setConfig(next) {
      version++;
      config = next;
      silences.setConfigSilences(next.silences, clock.now());
      dispatcher.setRoute(next.route);
    },
    config: () => config,
    alerts() {
      const now = clock.now();
      return dispatcher.alerts().map((a) => {
        const muted = mutedBy(a, now);
        return muted === undefined ? a : { ...a, mutedBy: muted };
      });
    },
    stop: () => dispatcher.stop(),
  };
}
