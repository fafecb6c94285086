// The plugin kind: a check written by the user as a JavaScript module exporting one function of
// the probe's shape, `(options, ctx) => {ok, message?, …}`, as its default export or as `probe`.
// The module is imported while the config loads (prepare(), run by loadConfigAsync), so a missing
// file, a syntax error or a module without that function is a config error with file and line,
// not a check that fails during an incident. What the function returns is checked on every run:
// a plug-in that throws or returns something else fails its check with internal_error.
//
// A plug-in runs inside healthmon. One whose promise never settles ends at the deadline (it is
// told through ctx.signal and then abandoned); one that blocks the event loop with synchronous
// work stalls every check, which only a worker thread per plug-in would prevent.
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { FAILURE_REASONS, type FailureReason } from '../core/failure-reason.js';
import type { Prepared, PrepareContext, ProbeContext, ProbeKind } from './types.js';

/** What a plug-in function is given besides its options. */
export interface PluginContext {
  /** Aborted at the deadline (or on shutdown): stop work, close connections. */
  signal: AbortSignal;
  /** Milliseconds the run may take in all. */
  timeoutMs: number;
  /** Epoch milliseconds, healthmon's clock. */
  now(): number;
  /** A logger labelled with the check. */
  logger: Logger;
  /** The check's name. */
  check: string;
}

export type PluginFn = (options: unknown, ctx: PluginContext) => unknown;

export interface PluginSettings {
  /** The module as written in the config, for messages and the target. */
  module: string;
  /** `options:` as written, frozen: one run cannot change what the next one sees. */
  options: unknown;
  /** Set by prepare() at load. */
  loaded?: { path: string; probe: PluginFn };
}

/** Observations a plug-in may return per run: they become label values, which must stay few. */
export const MAX_PLUGIN_OBSERVATIONS = 64;
const MESSAGE_CHARS = 1000;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const schema = z
  .strictObject({
    module: z.string().min(1, { message: 'expected the path of a JavaScript module, like ./checks/my-check.js' }),
    options: z.unknown().optional(),
  })
  .transform((b): PluginSettings => ({ module: b.module, options: deepFreeze(structuredClone(b.options ?? {})) }));

/** Waits for `promise` at most `ms`; import() cannot be cancelled, so the answer is dropped. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // A real timer: this runs once at load, outside any schedule, and must also keep the process
  // alive (`check config`) while an import with a never-settling top-level await is pending.
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000}s (a top-level await that never settles?)`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** An error from importing or calling a plug-in, as one line: `SyntaxError: Unexpected token '(' (line 3)`. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return err === undefined || err === null ? String(err) : `${typeof err} ${JSON.stringify(String(err)).slice(0, 200)}`;
  // One line, or two when the first only announces the second ("Transform failed with 1 error:").
  const lines = err.message.split('\n');
  let text = `${err.name}: ${lines[0]!.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1].trim()}` : lines[0]}`;
  // Node puts the place of a syntax error on the first line of the stack: `file:///x.js:3`.
  const where = err.name === 'SyntaxError' ? /^file:\/\/\S*?:(\d+)$/m.exec(err.stack ?? '') : null;
  if (where) text += ` (line ${where[1]})`;
  return text;
}

/** Node 20 does not say where in a module a syntax error is; `node --check` does. */
function loadError(err: unknown, path: string): string {
  const text = describeError(err);
  return err instanceof SyntaxError && !text.endsWith(')') ? `${text} (node --check ${path} shows where)` : text;
}

function shownValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return JSON.stringify(value).slice(0, 60);
}

export interface PluginKindDeps {
  /** How long importing a module (and its validate()) may take at load. Default 10 s. */
  importTimeoutMs?: number;
}

async function preparePlugin(s: PluginSettings, ctx: PrepareContext, importTimeoutMs: number): Promise<Prepared<PluginSettings>> {
  // Relative to the config file, as `<secret>_file` paths are.
  const path = isAbsolute(s.module) ? s.module : resolve(ctx.baseDir, s.module);
  const problem = (message: string, at = 'module'): Prepared<PluginSettings> => ({ ok: false, issues: [{ path: [at], message }] });
  let version: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) return problem(`${path} is not a file`);
    version = `${st.mtimeMs}:${st.size}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return problem(code === 'ENOENT' ? `cannot find ${JSON.stringify(s.module)}: no file at ${path}` : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  let mod: Record<string, unknown>;
  try {
    // The query makes a changed file a new module on reload; an unchanged one is reused.
    mod = (await within(import(`${pathToFileURL(path).href}?v=${encodeURIComponent(version)}`), importTimeoutMs, `importing ${path}`)) as Record<string, unknown>;
  } catch (err) {
    return problem(`cannot load ${path}: ${loadError(err, path)}`);
  }
  const fn = typeof mod.default === 'function' ? mod.default : typeof mod.probe === 'function' ? mod.probe : undefined;
  if (!fn) {
    const names = Object.keys(mod);
    const found = names.length === 0 ? 'it exports nothing' : `it exports ${names.map((n) => `${n} (${shownValue(mod[n])})`).join(', ')}`;
    return problem(`${path} has no probe function: expected a default export or an export named "probe"; ${found}`);
  }
  if (typeof mod.validate === 'function') {
    let said: unknown;
    try {
      said = await within(Promise.resolve(mod.validate(s.options)), importTimeoutMs, `validate() of ${path}`);
    } catch (err) {
      return problem(`validate() of ${s.module} threw ${describeError(err)}`, 'options');
    }
    // validate() returns nothing (or true) when the options are fine, else a problem or a list of them.
    const problems = said === undefined || said === null || said === true ? [] : Array.isArray(said) ? said : [said];
    if (problems.length > 0) return { ok: false, issues: problems.map((p) => ({ path: ['options'], message: String(p) })) };
  }
  return { ok: true, settings: { ...s, loaded: { path, probe: fn as PluginFn } }, version };
}

const ABORTED = Symbol('aborted');

/** Runs the plug-in until it settles or `signal` aborts, whichever is first. */
function untilAborted(run: () => unknown, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(ABORTED);
    const onAbort = () => reject(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal.removeEventListener('abort', onAbort);
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(run());
    } catch (err) {
      done();
      return reject(err);
    }
    // Both handlers stay attached after an abort, so a late rejection is not unhandled.
    pending.then(
      (value) => {
        done();
        resolve(value);
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}

async function probePlugin(s: PluginSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = performance.now();
  const failed = (reason: FailureReason, message: string): ProbeOutcome => ({ ok: false, reason, message, phases: { run: performance.now() - t0 }, observations: [] });
  const loaded = s.loaded;
  if (!loaded) return failed('internal_error', `plug-in ${s.module} was not loaded (the config was loaded without loadConfigAsync)`);
  // Only the stable part of the probe context: plug-ins must not come to depend on internals.
  const pctx: PluginContext = { signal: ctx.signal, timeoutMs: ctx.timeoutMs, now: () => ctx.now(), logger: ctx.logger, check: ctx.check };
  let value: unknown;
  try {
    value = await untilAborted(() => loaded.probe(s.options, pctx), ctx.signal);
  } catch (err) {
    if (err === ABORTED) return failed('timeout', `plug-in ${s.module} did not finish within ${ctx.timeoutMs}ms`);
    return failed('internal_error', `plug-in ${s.module} threw ${describeError(err)}`);
  }
  return outcomeFrom(value, s.module, performance.now() - t0);
}

/** Checks what a plug-in returned; anything but a well-formed result is a failed check. */
export function outcomeFrom(value: unknown, module: string, runMs: number): ProbeOutcome {
  const bad = (why: string): ProbeOutcome => ({ ok: false, reason: 'internal_error', message: `plug-in ${module} returned ${why}`, phases: { run: runMs }, observations: [] });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(`${shownValue(value)}, expected an object like {ok: true}`);
  const v = value as Record<string, unknown>;
  if (typeof v.ok !== 'boolean') return bad(`ok: ${shownValue(v.ok)}, expected true or false`);
  for (const key of ['message', 'warning'] as const) {
    if (v[key] !== undefined && typeof v[key] !== 'string') return bad(`${key}: ${shownValue(v[key])}, expected a string`);
  }
  let reason: FailureReason | undefined;
  if (v.reason !== undefined) {
    if (typeof v.reason !== 'string' || !(FAILURE_REASONS as readonly string[]).includes(v.reason)) {
      return bad(`reason: ${shownValue(v.reason)}, expected one of ${FAILURE_REASONS.join(', ')}`);
    }
    reason = v.reason as FailureReason;
  }
  let phases: Record<string, number> = { run: runMs };
  if (v.phases !== undefined) {
    if (typeof v.phases !== 'object' || v.phases === null || Array.isArray(v.phases)) return bad(`phases: ${shownValue(v.phases)}, expected an object of milliseconds`);
    phases = {};
    for (const [k, ms] of Object.entries(v.phases)) {
      if (typeof ms !== 'number' || !(ms >= 0)) return bad(`phases.${k}: ${shownValue(ms)}, expected milliseconds (a number >= 0)`);
      phases[k] = ms;
    }
  }
  const observations: Observation[] = [];
  if (v.observations !== undefined) {
    if (!Array.isArray(v.observations)) return bad(`observations: ${shownValue(v.observations)}, expected a list of {metric, value}`);
    if (v.observations.length > MAX_PLUGIN_OBSERVATIONS) return bad(`${v.observations.length} observations, expected at most ${MAX_PLUGIN_OBSERVATIONS}`);
    const seen = new Set<string>();
    for (const [i, o] of (v.observations as unknown[]).entries()) {
      const at = `observations[${i}]`;
      if (typeof o !== 'object' || o === null) return bad(`${at}: ${shownValue(o)}, expected {metric, value}`);
      const { metric, value: n, labels } = o as Record<string, unknown>;
      if (typeof metric !== 'string' || !METRIC_NAME.test(metric) || metric.length > 100) return bad(`${at}.metric: ${shownValue(metric)}, expected a metric name like queue_depth`);
      if (typeof n !== 'number') return bad(`${at}.value: ${shownValue(n)}, expected a number`);
      // Labels of the plug-in's choosing could clash with the check's own or grow without bound.
      if (labels !== undefined && (typeof labels !== 'object' || labels === null || Object.keys(labels).length > 0)) {
        return bad(`${at}.labels: labels are not supported; put the distinction into the metric name`);
      }
      if (seen.has(metric)) return bad(`${at}.metric: ${JSON.stringify(metric)} twice`);
      seen.add(metric);
      observations.push({ metric: 'probe_plugin_value', value: n, labels: { metric } });
    }
  }
  const clip = (text: string) => (text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS - 1)}…` : text);
  const out: ProbeOutcome = { ok: v.ok, phases, observations };
  if (typeof v.message === 'string' && v.message !== '') out.message = clip(v.message);
  if (v.ok) {
    if (typeof v.warning === 'string' && v.warning !== '') out.warning = clip(v.warning);
  } else {
    out.reason = reason ?? 'condition_failed';
    out.message ??= 'the plug-in reported a failure without a message';
  }
  return out;
}

export function createPluginKind(deps: PluginKindDeps = {}): ProbeKind<PluginSettings> {
  const importTimeoutMs = deps.importTimeoutMs ?? 10_000;
  return {
    kind: 'plugin',
    schema,
    probe: probePlugin,
    prepare: (s, ctx) => preparePlugin(s, ctx, importTimeoutMs),
    runsCode: true,
    target: (s) => s.module,
    metrics: [{ name: 'probe_plugin_value', help: 'Values the plug-in reported (its observations), by metric name.', labels: ['metric'] }],
  };
}

export const pluginKind = createPluginKind();
