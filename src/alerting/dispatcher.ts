// Alertmanager's dispatcher: alerts are routed into aggregation groups (route × group labels);
// a group's first notification waits group_wait, then every group_interval it notifies when
// alerts were added or resolved, or once repeat_interval has passed. Muted alerts (silences,
// inhibition, dependencies, maintenance) are held back at flush time but kept. Time is the clock's.
import type { AlertEvent } from '../core/alert-event.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Notification, NotificationReason, NotifiedAlert } from './notification.js';
import { groupKeyOf, groupLabelsOf, matchRoutes, type Route } from './route.js';

/** What a group last told its receiver, kept across restarts. */
export interface GroupState {
  groupKey: string;
  receiver: string;
  /** Fingerprints of the firing alerts last notified; resolved ones are dropped once told. */
  notifiedFiring: string[];
  lastNotifiedAt: number | undefined;
  /** Alerts already sent to the escalation receiver. */
  escalated: string[];
}

export interface DispatcherDeps {
  clock: Clock;
  externalURL: string;
  /** Why an alert is muted right now, or undefined. */
  mutedBy(alert: NotifiedAlert, now: number): string | undefined;
  /** Hands a notification to the outbox. */
  notify(n: Notification): void;
  /** Told of every change to what restore() takes, so it can be kept across restarts. */
  persist?: {
    alert(a: NotifiedAlert, gone: boolean): void;
    group(g: GroupState, gone: boolean): void;
    /** Runs `fn` as one write (a transaction): a flush or a batch of events is saved at once. */
    batch(fn: () => void): void;
  };
}

interface Group {
  route: Route;
  key: string;
  labels: Record<string, string>;
  alerts: Map<string, NotifiedAlert>;
  state: GroupState;
  timer: TimerHandle | undefined;
}

export interface Dispatcher {
  /** Alert events from the rule evaluator (or restored alerts). */
  receive(events: readonly AlertEvent[]): void;
  /** Replaces the route tree (reload): alerts are re-routed, group states kept by key. */
  setRoute(route: Route): void;
  /** Current alerts with their fingerprints, for the API and persistence. */
  alerts(): NotifiedAlert[];
  groups(): GroupState[];
  /** Restores alerts (resolved ones not yet told too) and group states saved before a restart. */
  restore(alerts: readonly NotifiedAlert[], groups: readonly GroupState[]): void;
  stop(): void;
}

/** An alert event as receivers see it. */
export function toNotifiedAlert(e: AlertEvent): NotifiedAlert {
  const { value: _value, group: _group, ...alert } = e;
  return alert;
}

export function createDispatcher(initial: Route, deps: DispatcherDeps): Dispatcher {
  const { clock } = deps;
  let root = initial;
  const alerts = new Map<string, NotifiedAlert>();
  const groups = new Map<string, Group>();
  const savedStates = new Map<string, GroupState>();

  const stateKey = (receiver: string, groupKey: string) => `${receiver}\u0000${groupKey}`;

  const schedule = (g: Group, delayMs: number) => {
    if (g.timer !== undefined) clock.clearTimeout(g.timer);
    g.timer = clock.setTimeout(() => {
      g.timer = undefined;
      if (deps.persist) deps.persist.batch(() => flush(g));
      else flush(g);
    }, delayMs);
  };

  const place = (alert: NotifiedAlert) => {
    for (const route of matchRoutes(root, alert.labels)) {
      const labels = groupLabelsOf(route, alert.labels);
      const key = groupKeyOf(route, labels);
      const id = stateKey(route.receiver, key);
      let g = groups.get(id);
      if (!g) {
        const saved = savedStates.get(id);
        savedStates.delete(id);
        g = {
          route, key, labels, alerts: new Map(), timer: undefined,
          state: saved ?? { groupKey: key, receiver: route.receiver, notifiedFiring: [], lastNotifiedAt: undefined, escalated: [] },
        };
        groups.set(id, g);
        // A new group waits group_wait; a restored one resumes its group_interval.
        const since = g.state.lastNotifiedAt;
        schedule(g, since === undefined ? route.groupWaitMs : Math.max(0, since + route.groupIntervalMs - clock.now()));
      }
      g.alerts.set(alert.fingerprint, alert);
    }
  };

  const common = (maps: Record<string, string>[]): Record<string, string> => {
    if (maps.length === 0) return {};
    const out = { ...maps[0] };
    for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
    return out;
  };

  const notification = (g: Group, receiver: string, list: NotifiedAlert[], reason: NotificationReason, now: number): Notification => ({
    receiver,
    groupKey: g.key,
    status: list.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: list,
    groupLabels: g.labels,
    commonLabels: common(list.map((a) => a.labels)),
    commonAnnotations: common(list.map((a) => a.annotations)),
    externalURL: deps.externalURL,
    reason,
    timestamp: now,
  });

  const flush = (g: Group) => {
    const now = clock.now();
    const notified = new Set(g.state.notifiedFiring);
    const visible: NotifiedAlert[] = [];
    for (const a of g.alerts.values()) {
      const muted = deps.mutedBy(a, now);
      if (muted === undefined) visible.push(a);
    }
    const firing = visible.filter((a) => a.status === 'firing');
    // A resolved alert is told only to whoever was told it fired.
    const resolved = visible.filter((a) => a.status === 'resolved' && notified.has(a.fingerprint));
    const added = firing.some((a) => !notified.has(a.fingerprint));
    const first = g.state.lastNotifiedAt === undefined;
    const repeat = !first && now - g.state.lastNotifiedAt! >= g.route.repeatIntervalMs;
    let reason: NotificationReason | undefined;
    if (added) reason = first ? 'first notification' : 'new alerts added';
    else if (resolved.length > 0) reason = firing.length === 0 ? 'all alerts resolved' : 'some alerts resolved';
    else if (repeat && firing.length > 0) reason = 'repeat interval elapsed';
    if (reason !== undefined) {
      deps.notify(notification(g, g.route.receiver, [...firing, ...resolved], reason, now));
      g.state.notifiedFiring = firing.map((a) => a.fingerprint);
      g.state.lastNotifiedAt = now;
    }
    escalate(g, visible, now);
    // Resolved alerts leave the group once flushed: told if they had been notified, dropped if not;
    // kept for persistence until no group holds them, so a restart cannot lose a resolution.
    for (const [fp, a] of g.alerts) {
      if (a.status !== 'resolved') continue;
      g.alerts.delete(fp);
      if (![...groups.values()].some((other) => other.alerts.get(fp)?.status === 'resolved')) deps.persist?.alert(a, true);
    }
    if (g.alerts.size === 0) {
      groups.delete(stateKey(g.route.receiver, g.key));
      deps.persist?.group(g.state, true);
    } else {
      schedule(g, g.route.groupIntervalMs);
      deps.persist?.group(g.state, false);
    }
  };

  const escalate = (g: Group, visible: NotifiedAlert[], now: number) => {
    const esc = g.route.escalate;
    if (!esc) return;
    const done = new Set(g.state.escalated);
    const due = visible.filter((a) => a.status === 'firing' && !done.has(a.fingerprint) && now - a.startsAt >= esc.afterMs);
    const ended = visible.filter((a) => a.status === 'resolved' && done.has(a.fingerprint));
    if (due.length === 0 && ended.length === 0) return;
    deps.notify(notification(g, esc.receiver, [...due, ...ended], 'escalation', now));
    for (const a of due) done.add(a.fingerprint);
    for (const a of ended) done.delete(a.fingerprint);
    g.state.escalated = [...done];
  };

  const receive = (events: readonly AlertEvent[]) => {
    for (const e of events) {
      const alert = toNotifiedAlert(e);
      if (alert.status === 'resolved') alerts.delete(alert.fingerprint);
      else alerts.set(alert.fingerprint, alert);
      deps.persist?.alert(alert, false);
      place(alert);
    }
  };

  return {
    receive(events) {
      if (deps.persist) deps.persist.batch(() => receive(events));
      else receive(events);
    },
    setRoute(route) {
      root = route;
      for (const g of groups.values()) {
        if (g.timer !== undefined) clock.clearTimeout(g.timer);
        savedStates.set(stateKey(g.route.receiver, g.key), g.state);
      }
      groups.clear();
      for (const a of alerts.values()) place(a);
    },
    alerts: () => [...alerts.values()],
    groups: () => [...groups.values()].map((g) => g.state),
    restore(saved, states) {
      for (const s of states) savedStates.set(stateKey(s.receiver, s.groupKey), s);
      for (const a of saved) {
        if (a.status === 'firing') alerts.set(a.fingerprint, a);
        place(a);
      }
    },
    stop() {
      for (const g of groups.values()) if (g.timer !== undefined) clock.clearTimeout(g.timer);
    },
  };
}
