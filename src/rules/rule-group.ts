// One rule group evaluated as Prometheus's rules/group.go does: its rules in order at one
// timestamp, each recording rule's output appended to the window before the next rule runs, the
// alert state stepped per alerting rule and ALERTS / ALERTS_FOR_STATE appended alongside. A rule
// that fails keeps its previous output and alerts; its error is reported, never thrown.
import { performance } from 'node:perf_hooks';
import type { Engine, QueryResult, SampleInput, SeriesWindow } from '../promql/index.js';
import { stepAlerts, type Alert, type AlertTransition, type TemplateContext } from './alert-state.js';
import type { RuleDef, RuleGroupDef } from './rule-file.js';

export type RuleHealth = 'unknown' | 'ok' | 'err';

export interface RuleStatus {
  readonly rule: RuleDef;
  /** Survives reloads while the rule keeps its kind, name and labels (Prometheus's rule identity). */
  readonly key: string;
  health: RuleHealth;
  lastError: string | undefined;
  lastEvaluationAt: number | undefined;
  lastDurationMs: number;
  /** Alerting rules: the pending, firing and recently resolved alerts by fingerprint. */
  alerts: Map<string, Alert>;
}

export interface RuleTransition extends AlertTransition {
  group: RuleGroupDef;
  rule: RuleDef;
}

export interface GroupOutcome {
  transitions: RuleTransition[];
  /** Rules whose evaluation failed this time. */
  failed: number;
  durationMs: number;
}

export interface RuleGroupDeps {
  window: SeriesWindow;
  engine: Engine;
  template: Omit<TemplateContext, 'query'>;
}

/** What a group keeps across a restart: every rule's alerts, by rule key. */
export type SavedGroupState = Record<string, Alert[]>;

export class RuleGroup {
  readonly rules: RuleStatus[];
  lastEvaluationAt: number | undefined;
  lastDurationMs = 0;

  constructor(
    readonly def: RuleGroupDef,
    readonly intervalMs: number,
    readonly queryOffsetMs: number,
    private readonly deps: RuleGroupDeps,
  ) {
    const seen = new Map<string, number>();
    this.rules = def.rules.map((rule) => {
      const base = `${rule.kind}\u0000${rule.name}\u0000${JSON.stringify(sortedEntries(rule.labels))}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      return { rule, key: `${base}\u0000${n}`, health: 'unknown', lastError: undefined, lastEvaluationAt: undefined, lastDurationMs: 0, alerts: new Map() };
    });
  }

  /** The name that keys the group across reloads and in metrics labels: `file;group`, as Prometheus. */
  get id(): string {
    return `${this.def.file};${this.def.name}`;
  }

  /** Takes over the alerts of the rules of an older version of this group that are still here. */
  adopt(old: RuleGroup): void {
    const byKey = new Map(old.rules.map((r) => [r.key, r]));
    for (const r of this.rules) {
      const prev = byKey.get(r.key);
      if (prev && prev.rule.kind === 'alert') r.alerts = prev.alerts;
    }
    this.lastEvaluationAt = old.lastEvaluationAt;
  }

  /** Window sources of rules that `next` no longer has; their outputs are to be marked stale. */
  sourcesGoneIn(next: RuleGroup | undefined): string[] {
    const kept = new Set(next?.id === this.id ? next.rules.map((r) => r.key) : []);
    return this.rules.filter((r) => !kept.has(r.key)).map((r) => this.sourceOf(r));
  }

  sourceOf(r: RuleStatus): string {
    return `${this.id}\u0000${r.key}`;
  }

  save(): SavedGroupState {
    const out: SavedGroupState = {};
    for (const r of this.rules) if (r.alerts.size > 0) out[r.key] = [...r.alerts.values()];
    return out;
  }

  /**
   * Restores alerts saved before a restart. Firing alerts stay firing (they were notified and are
   * not new); a pending alert's `for` resumes where it stopped, its start moved by the downtime.
   */
  restore(saved: SavedGroupState, downtimeMs: number): void {
    for (const r of this.rules) {
      const alerts = saved[r.key];
      if (r.rule.kind !== 'alert' || !alerts) continue;
      r.alerts = new Map(alerts.map((a) => [a.fingerprint, a.state === 'pending' ? { ...a, activeAt: a.activeAt + downtimeMs } : a]));
    }
  }

  /** Evaluates every rule at `t`, in one go. */
  evaluate(t: number): GroupOutcome {
    const steps = this.steps(t);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * The same, awaiting `pause()` between rules whenever a slice of `sliceMs` of work is done, so a
   * large group does not hold up probes and scrapes. The window only changes between evaluations.
   */
  async evaluateInSlices(t: number, pause: () => Promise<void>, sliceMs = 20): Promise<GroupOutcome> {
    const steps = this.steps(t);
    let sliceStart = performance.now();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (performance.now() - sliceStart >= sliceMs) {
        await pause();
        sliceStart = performance.now();
      }
    }
  }

  /** One rule per step; the group's duration is the work done, not the pauses between. */
  private *steps(t: number): Generator<void, GroupOutcome> {
    const at = t - this.queryOffsetMs;
    const transitions: RuleTransition[] = [];
    let failed = 0;
    let durationMs = 0;
    for (const r of this.rules) {
      const ruleStarted = performance.now();
      try {
        const samples = r.rule.kind === 'record' ? this.record(r, at) : this.alert(r, t, at, transitions);
        this.deps.window.append(at, samples, this.sourceOf(r));
        r.health = 'ok';
        r.lastError = undefined;
      } catch (err) {
        failed++;
        r.health = 'err';
        r.lastError = (err as Error).message;
      }
      r.lastEvaluationAt = t;
      r.lastDurationMs = performance.now() - ruleStarted;
      durationMs += r.lastDurationMs;
      yield;
    }
    this.lastEvaluationAt = t;
    this.lastDurationMs = durationMs;
    return { transitions, failed, durationMs };
  }

  private query(expr: RuleDef['expr'] | string, at: number): SampleInput[] {
    return samplesOf(this.deps.engine.instant(expr, at));
  }

  private withRuleLabels(rule: RuleDef, labels: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = { ...labels };
    for (const [k, v] of Object.entries(this.def.labels)) out[k] = v;
    for (const [k, v] of Object.entries(rule.labels)) out[k] = v;
    for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
    return out;
  }

  private record(r: RuleStatus, at: number): SampleInput[] {
    const out = this.query(r.rule.expr, at).map((s): SampleInput => ({
      labels: { ...this.withRuleLabels(r.rule, s.labels), __name__: r.rule.name },
      value: s.value,
      ...(s.histogram ? { histogram: s.histogram } : {}),
    }));
    const keys = new Set(out.map((s) => JSON.stringify(sortedEntries(s.labels))));
    if (keys.size !== out.length) throw new Error('vector contains metrics with the same labelset after applying rule labels');
    if (this.def.limit > 0 && out.length > this.def.limit) throw new Error(`exceeded limit of ${this.def.limit} with ${out.length} series`);
    return out;
  }

  private alert(r: RuleStatus, t: number, at: number, transitions: RuleTransition[]): SampleInput[] {
    const rule = r.rule;
    const spec = { name: rule.name, forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs, labels: { ...this.def.labels, ...rule.labels }, annotations: rule.annotations };
    const template: TemplateContext = { ...this.deps.template, query: (expr) => this.query(expr, at) };
    const step = stepAlerts(spec, r.alerts, this.query(rule.expr, at), t, template);
    if (step.error !== undefined) throw new Error(step.error);
    const active = [...step.alerts.values()].filter((a) => a.state !== 'inactive');
    if (this.def.limit > 0 && active.length > this.def.limit) {
      r.alerts = new Map();
      throw new Error(`exceeded limit of ${this.def.limit} with ${active.length} alerts`);
    }
    r.alerts = step.alerts;
    for (const tr of step.transitions) transitions.push({ ...tr, group: this.def, rule });
    const out: SampleInput[] = [];
    for (const a of active) {
      out.push({ labels: { ...a.labels, __name__: 'ALERTS', alertstate: a.state }, value: 1 });
      out.push({ labels: { ...a.labels, __name__: 'ALERTS_FOR_STATE' }, value: a.activeAt / 1000 });
    }
    return out;
  }
}

/** An instant query's result as samples: a scalar is one sample without labels, as in Prometheus. */
function samplesOf(res: QueryResult): SampleInput[] {
  if (res.type === 'vector') return res.samples;
  if (res.type === 'scalar') return [{ labels: {}, value: res.value }];
  throw new Error(`rule result is a ${res.type}, not an instant vector or scalar`);
}

function sortedEntries(labels: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
