// Runs the rule groups: on each group's interval (aligned to multiples of it, so groups with the
// same interval share one instant) the series /metrics shows are appended to the window, then the
// due groups are evaluated, their transitions sent to the sink and the alert state saved.
import type { Logger } from 'pino';
import type { RulesConfig } from '../config/config.js';
import type { AlertEvent, AlertSink } from '../core/alert-event.js';
import { alertFingerprint } from '../core/alert-fingerprint.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { createEngine, createSeriesWindow, type SampleInput, type SeriesWindow } from '../promql/index.js';
import { RuleGroup, type GroupOutcome, type RuleTransition } from './rule-group.js';
import { readRuleState, writeRuleState, type SavedRuleState } from './rule-state-file.js';
import { queryEscape } from './template/builtins.js';
import { windowRetention } from './window-span.js';

const LOOKBACK_MS = 5 * 60_000;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Pending alerts are not resumed after a longer outage (Prometheus's for-outage-tolerance). */
const OUTAGE_TOLERANCE_MS = 60 * 60_000;
/** Unchanged state is still rewritten this often, so the downtime after a restart is known. */
const SAVE_EVERY_MS = 60_000;

export interface RuleMetricsHooks {
  groupEvaluated(group: RuleGroup, outcome: GroupOutcome, missed: number): void;
  groupsChanged(groups: readonly RuleGroup[]): void;
  windowSize(series: number): void;
}

export interface RuleManagerDeps {
  clock: Clock;
  logger: Logger;
  /** The series /metrics shows right now. */
  snapshot(): Promise<SampleInput[]>;
  sink: AlertSink;
  metrics: RuleMetricsHooks;
  /** Where alert state is kept across restarts; undefined keeps it in memory only. */
  stateFile: string | undefined;
}

export interface RuleManager {
  /** Replaces the rule groups (first load and reloads); alerts of unchanged rules carry over. */
  load(rules: RulesConfig): void;
  /**
   * Starts evaluating. The first evaluation waits until `ready()` (every check has reported) or
   * `warmupMs` has passed, so that after a restart rules judge checks that have reported: an
   * alert restored as firing is not resolved merely because its series have not come back yet.
   */
  start(options?: { warmupMs?: number; ready?: () => boolean }): void;
  /** Evaluates every group that is due at the clock's time; the timer calls it, tests may too. */
  evaluateDue(): Promise<void>;
  /** Stops the timer and saves the state. */
  stop(): void;
  groups(): readonly RuleGroup[];
  readonly window: SeriesWindow;
}

export function createRuleManager(deps: RuleManagerDeps): RuleManager {
  const { clock, logger } = deps;
  const window = createSeriesWindow({ retentionMs: LOOKBACK_MS });
  const engine = createEngine({ window });
  let config: RulesConfig | undefined;
  let groups: RuleGroup[] = [];
  const nextDue = new Map<RuleGroup, number>();
  let timer: TimerHandle | undefined;
  let running = false;
  let evaluating: Promise<void> | undefined;
  let lastSnapshotAt = -Infinity;
  let saved: { text: string; at: number } | undefined;
  let restored = false;
  let notBefore = -Infinity;
  let ready: () => boolean = () => true;
  let warm = false;

  const aligned = (t: number, interval: number) => Math.floor(t / interval) * interval;
  const firstDue = (g: RuleGroup) => Math.ceil(clock.now() / g.intervalMs) * g.intervalMs;

  const schedule = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (!running || groups.length === 0) return;
    const due = Math.min(...groups.map((g) => nextDue.get(g)!));
    timer = clock.setTimeout(() => {
      timer = undefined;
      void evaluateDue().finally(schedule);
    }, Math.max(0, due - clock.now()));
  };

  const toEvent = (tr: RuleTransition, group: RuleGroup): AlertEvent => {
    const a = tr.alert;
    const base = config?.externalURL.replace(/\/$/, '') ?? '';
    const labels = { ...config?.externalLabels, ...a.labels };
    return {
      status: tr.to,
      labels,
      annotations: a.annotations,
      startsAt: a.firedAt ?? a.activeAt,
      ...(a.resolvedAt === undefined ? {} : { endsAt: a.resolvedAt }),
      generatorURL: `${base}/graph?g0.expr=${queryEscape(tr.rule.exprText)}&g0.tab=1`,
      fingerprint: alertFingerprint(labels),
      value: a.value,
      group: group.id,
    };
  };

  const save = (now: number, force: boolean) => {
    if (!deps.stateFile || groups.length === 0) return;
    const state: SavedRuleState['groups'] = {};
    for (const g of groups) {
      const s = g.save();
      if (Object.keys(s).length > 0) state[g.id] = s;
    }
    const text = JSON.stringify(state, (k, v) => (k === 'value' ? undefined : v));
    if (!force && saved && saved.text === text && now - saved.at < SAVE_EVERY_MS) return;
    try {
      writeRuleState(deps.stateFile, { savedAt: now, groups: state });
      saved = { text, at: now };
    } catch (err) {
      logger.error({ err: (err as Error).message, file: deps.stateFile }, 'cannot save alert state');
    }
  };

  const restore = () => {
    restored = true;
    if (!deps.stateFile) return;
    const { state, problem } = readRuleState(deps.stateFile);
    if (problem) logger.warn(problem);
    if (!state) return;
    const downtime = Math.max(0, clock.now() - state.savedAt);
    for (const g of groups) {
      const s = state.groups[g.id];
      if (!s) continue;
      if (downtime > OUTAGE_TOLERANCE_MS) {
        for (const key of Object.keys(s)) s[key] = s[key]!.filter((a) => a.state !== 'pending');
      }
      g.restore(s, downtime);
    }
    if (Object.keys(state.groups).length > 0) logger.info({ groups: Object.keys(state.groups).length, downtimeMs: downtime }, 'alert state restored');
  };

  const evaluateDue = async (): Promise<void> => {
    if (evaluating) return evaluating;
    evaluating = (async () => {
      const now = clock.now();
      const due = groups.filter((g) => nextDue.get(g)! <= now);
      if (due.length === 0) return;
      if (!warm) {
        if (!ready() && now < notBefore) {
          for (const g of due) nextDue.set(g, nextDue.get(g)! + g.intervalMs);
          return;
        }
        warm = true;
      }
      if (!restored) restore();
      const times = new Map(due.map((g) => [g, aligned(now, g.intervalMs)]));
      const snapshotAt = Math.max(...times.values());
      if (snapshotAt > lastSnapshotAt) {
        window.append(snapshotAt, await deps.snapshot(), 'metrics');
        lastSnapshotAt = snapshotAt;
      }
      const events: AlertEvent[] = [];
      for (const g of due) {
        const t = times.get(g)!;
        const missed = Math.max(0, Math.round((t - nextDue.get(g)!) / g.intervalMs));
        const outcome = await g.evaluateInSlices(t, yieldToEventLoop);
        nextDue.set(g, t + g.intervalMs);
        deps.metrics.groupEvaluated(g, outcome, missed);
        for (const r of g.rules) {
          if (r.health === 'err' && r.lastEvaluationAt === t) logger.warn({ group: g.id, rule: r.rule.name, err: r.lastError }, 'rule evaluation failed');
        }
        for (const tr of outcome.transitions) events.push(toEvent(tr, g));
      }
      deps.metrics.windowSize(window.seriesCount);
      if (events.length > 0) deps.sink.send(events);
      save(now, events.length > 0);
    })();
    try {
      await evaluating;
    } finally {
      evaluating = undefined;
    }
  };

  return {
    window,
    groups: () => groups,
    load(rules) {
      config = rules;
      const old = new Map(groups.map((g) => [g.id, g]));
      const template = { externalLabels: rules.externalLabels, externalURL: rules.externalURL };
      const next = rules.groups.map((def) => {
        const g = new RuleGroup(def, def.intervalMs ?? rules.evaluationIntervalMs, def.queryOffsetMs ?? rules.queryOffsetMs, { window, engine, template });
        const prev = old.get(g.id);
        if (prev) g.adopt(prev);
        return g;
      });
      // Outputs of rules that are gone end now, as when Prometheus drops a group.
      const now = clock.now();
      const byId = new Map(next.map((g) => [g.id, g]));
      for (const g of groups) for (const source of g.sourcesGoneIn(byId.get(g.id))) window.append(now, [], source);
      groups = next;
      nextDue.clear();
      for (const g of groups) {
        const last = g.lastEvaluationAt;
        nextDue.set(g, last === undefined ? firstDue(g) : aligned(last, g.intervalMs) + g.intervalMs);
      }
      const { retentionMs, byName } = windowRetention(groups, LOOKBACK_MS);
      window.retain(retentionMs, byName);
      deps.metrics.groupsChanged(groups);
      schedule();
    },
    start(options = {}) {
      running = true;
      notBefore = clock.now() + (options.warmupMs ?? 0);
      ready = options.ready ?? (() => true);
      schedule();
    },
    evaluateDue,
    stop() {
      running = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      save(clock.now(), true);
    },
  };
}
