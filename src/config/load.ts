// Loads and validates a config file, reporting every problem at once with its file and line.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { formatDuration } from '../core/duration.js';
import { hostConfigSchema } from '../host/host-config.js';
import type { ProbeKind } from '../probes/types.js';
import { resolveAlerting } from '../alerting/alerting-config.js';
import { INTEGRATION_KINDS } from '../alerting/integration-kinds.js';
import { parseRuleFile } from '../rules/rule-file.js';
import { parseCidr } from '../core/cidr.js';
import type { CheckDefaults, CheckSpec, HealthmonConfig, OnFailureSpec, ProbeModule, RulesConfig, SloSpec } from './config.js';
import { DEFAULTS } from './defaults.js';
import { BadPatternError, glob, hasMeta } from './glob.js';
import { ConfigError, formatPath, fromZodIssue, type ConfigIssue, type IssuePath } from './issues.js';
import { checkSchema, fileSchema, listenAddress, type FileCheck } from './schema.js';
import { readConfigFile, type ConfigSource, type ExpandDeps } from './source.js';
import { loadWebConfig } from './web-config.js';

export type KindTable = Readonly<Record<string, ProbeKind<any>>>;

export interface LoadDeps extends Partial<ExpandDeps> {
  kinds: KindTable;
}

// Labels healthmon sets itself on check series; a user label of the same name would clash.
const RESERVED_LABELS = new Set([
  'check', 'kind', 'phase', 'reason', 'status', 'result', 'le', 'quantile', 'job', 'instance',
  'target', 'critical', 'version', 'alertname', 'alertstate',
]);

/**
 * Loads `file`; throws ConfigError listing every problem. Checks of a kind that is prepared at
 * load (plug-ins, whose modules are imported) need loadConfigAsync; here they are a bug.
 */
export function loadConfig(file: string, deps: LoadDeps): HealthmonConfig {
  const { config } = loadChecked(file, deps);
  const unprepared = config.checks.find((c) => deps.kinds[c.kind]?.prepare !== undefined);
  if (unprepared) throw new Error(`check "${unprepared.name}" is of kind ${unprepared.kind}, which is prepared at load: use loadConfigAsync`);
  return config;
}

/**
 * Loads `file` as loadConfig does, then runs the kinds' load-time preparation (importing plug-in
 * modules, which is asynchronous) and reports its problems as config problems with file:line.
 * Preparation runs only once everything else is valid, as rule files are read only then.
 */
export async function loadConfigAsync(file: string, deps: LoadDeps): Promise<HealthmonConfig> {
  const { config, source } = loadChecked(file, deps);
  const baseDir = dirname(resolve(source.file));
  const issues = await Promise.all(
    config.checks.map(async (check, i): Promise<ConfigIssue[]> => {
      const kind = deps.kinds[check.kind];
      if (!kind?.prepare) return [];
      const prepared = await kind.prepare(check.settings, { baseDir });
      if (!prepared.ok) return prepared.issues.map((issue) => ({ path: ['checks', i, check.kind, ...issue.path], message: issue.message }));
      check.settings = prepared.settings;
      // A changed module makes a changed check, so a reload restarts it with the new code.
      if (prepared.version !== undefined) check.fingerprint = JSON.stringify([check.fingerprint, prepared.version]);
      return [];
    }),
  );
  // A /probe module is prepared as a check of its kind would be (icmp: can ping open a socket?).
  const moduleIssues = await Promise.all(
    Object.values(config.modules).map(async (m): Promise<ConfigIssue[]> => {
      const kind = deps.kinds[m.kind]!;
      if (!kind.prepare) return [];
      const parsed = kind.schema.safeParse({ ...m.block, ...kind.fromTarget!(MODULE_STAND_IN_TARGET) });
      if (!parsed.success) return []; // reported when the modules were resolved
      const prepared = await kind.prepare(parsed.data, { baseDir });
      return prepared.ok ? [] : prepared.issues.map((issue) => ({ path: ['modules', m.name, m.kind, ...issue.path], message: issue.message }));
    }),
  );
  const problems = [...issues.flat(), ...moduleIssues.flat()];
  if (problems.length > 0) throw new ConfigError(file, problems.map((i) => describe(source, i)));
  return config;
}

function loadChecked(file: string, deps: LoadDeps): { config: HealthmonConfig; source: ConfigSource } {
  const expandDeps: ExpandDeps = {
    env: deps.env ?? {},
    readFile: deps.readFile ?? ((p) => readFileSync(p, 'utf8')),
  };
  const parsed = readConfigFile(file, expandDeps);
  if (!parsed.ok) throw new ConfigError(file, parsed.problems);
  const issues = [...parsed.issues];
  const config = validate(parsed.source, deps.kinds, issues);
  if (issues.length > 0 || !config) throw new ConfigError(file, issues.map((i) => describe(parsed.source, i)));
  // Rule files are checked as promtool checks them; their problems carry their own file:line.
  const ruleProblems: string[] = [];
  config.rules.groups = loadRuleGroups(config.rules.files, expandDeps.readFile, ruleProblems);
  // So is the web config file, which has its own file:line for each problem.
  if (config.server.webConfigFile !== undefined) {
    const web = loadWebConfig(config.server.webConfigFile, expandDeps);
    if (web.ok) config.server.web = web.config;
    else ruleProblems.push(...web.problems);
  }
  if (ruleProblems.length > 0) throw new ConfigError(file, ruleProblems);
  return { config, source: parsed.source };
}

function loadRuleGroups(files: readonly string[], readFile: (p: string) => string, problems: string[]): RulesConfig['groups'] {
  return files.flatMap((f) => {
    let text: string;
    try {
      text = readFile(f);
    } catch (err) {
      problems.push(`${f}: cannot read the rule file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return [];
    }
    const { groups, errors } = parseRuleFile(text, f);
    problems.push(...errors);
    return groups;
  });
}

/** The files the rule_files patterns name; a plain path that is missing is a problem, a glob matching nothing is not. */
function ruleFiles(patterns: readonly string[], baseDir: string, issues: ConfigIssue[]): string[] {
  const files: string[] = [];
  patterns.forEach((pattern, i) => {
    let matched: string[];
    try {
      matched = glob(isAbsolute(pattern) ? pattern : join(baseDir, pattern));
    } catch (err) {
      if (!(err instanceof BadPatternError)) throw err;
      issues.push({ path: ['rule_files', i], message: `bad pattern ${JSON.stringify(pattern)}: ${err.message}` });
      return;
    }
    if (matched.length === 0 && !hasMeta(pattern)) issues.push({ path: ['rule_files', i], message: `no rule file at ${resolve(baseDir, pattern)}` });
    for (const f of matched) if (!files.includes(f)) files.push(f);
  });
  return files;
}

function describe(source: ConfigSource, issue: ConfigIssue): string {
  const line = source.lineOf(issue.path, issue.key);
  return `${formatPath(issue.path)} (${source.file}${line === undefined ? '' : `:${line}`}): ${issue.message}`;
}

function validate(source: ConfigSource, kinds: KindTable, issues: ConfigIssue[]): HealthmonConfig | undefined {
  const kindNames = Object.keys(kinds).sort();
  const result = fileSchema(kindNames).safeParse(source.value, { reportInput: true });
  if (!result.success) issues.push(...result.error.issues.flatMap((i) => fromZodIssue(i)));

  // Kind blocks are checked even when other fields failed, so one run shows every problem.
  const rawChecks = (source.value as { checks?: unknown }).checks;
  const settings = Array.isArray(rawChecks) ? rawChecks.map((raw, i) => kindSettings(raw, ['checks', i], kinds, issues)) : [];
  if (!result.success) return undefined;

  const file = result.data;
  const g = file.global ?? {};
  const checks: CheckSpec[] = [];
  const seen = new Map<string, number>();
  (file.checks ?? []).forEach((c, i) => {
    const first = seen.get(c.name);
    if (first !== undefined) {
      issues.push({ path: ['checks', i, 'name'], message: `duplicate check name "${c.name}" (first used by checks[${first}])` });
      return;
    }
    seen.set(c.name, i);
    checks.push(checkSpecOf(c, ['checks', i], g, settings[i], kinds, issues));
  });
  if (issues.length > 0) return undefined;

  checkDependencies(checks, issues);
  const baseDir = dirname(resolve(source.file));
  const files = ruleFiles(file.rule_files ?? [], baseDir, issues);
  const alerting = resolveAlerting(file.alerting, INTEGRATION_KINDS, issues, fromZodIssue);
  const modules = resolveModules(file.modules ?? {}, kinds, issues);
  if (issues.length > 0) return undefined;

  const listen = file.server?.listen ?? listenAddress().parse(DEFAULTS.listen);
  const api = file.server?.api ?? {};
  if (api.token !== undefined && api.token_file !== undefined) issues.push({ path: ['server', 'api', 'token_file'], key: 'token_file', message: 'give either token or token_file, not both' });
  for (const field of ['allow_networks', 'deny_networks'] as const) {
    (api[field] ?? []).forEach((text, j) => {
      if (!parseCidr(text)) issues.push({ path: ['server', 'api', field, j], message: `expected a network like "10.0.0.0/8" or "fd00::/8" (or one address), got ${JSON.stringify(text)}` });
    });
  }
  if (issues.length > 0) return undefined;
  return {
    file: source.file,
    maxConcurrency: g.max_concurrency ?? DEFAULTS.maxConcurrency,
    server: {
      ...listen,
      ...(file.server?.web_config_file === undefined ? {} : { webConfigFile: resolve(baseDir, file.server.web_config_file) }),
      api: {
        ...(api.token === undefined ? {} : { token: api.token }),
        ...(api.token_file === undefined ? {} : { tokenFile: resolve(baseDir, api.token_file) }),
        allowNetworks: api.allow_networks ?? [],
        denyNetworks: api.deny_networks ?? [],
      },
    },
    storagePath: resolve(baseDir, file.storage?.path ?? DEFAULTS.storagePath),
    retention: {
      rawMs: file.storage?.retention?.raw ?? DEFAULTS.retentionRawMs,
      rollupMs: file.storage?.retention?.rollup ?? DEFAULTS.retentionRollupMs,
    },
    ...(file.shard === undefined ? {} : { shard: file.shard }),
    host: file.host ?? hostConfigSchema.parse({}),
    rules: {
      files,
      groups: [],
      evaluationIntervalMs: g.evaluation_interval ?? DEFAULTS.evaluationIntervalMs,
      queryOffsetMs: g.rule_query_offset ?? 0,
      externalLabels: g.external_labels ?? {},
      externalURL: file.server?.external_url ?? `http://${listen.host || 'localhost'}:${listen.port}`,
    },
    alerting,
    modules,
    checks,
    checkDefaults: g,
  };
}

/** The target a module is checked with at load, when the real ones come only with each scrape. */
const MODULE_STAND_IN_TARGET = '127.0.0.1:1';

/**
 * Modules for GET /probe, checked as far as they can be without a target: the kind's schema runs
 * on the block with a stand-in target, so a typo in a module is a load error, not a scrape error.
 */
function resolveModules(raw: Record<string, { kind: string; timeout?: number | undefined } & Record<string, unknown>>, kinds: KindTable, issues: ConfigIssue[]): Record<string, ProbeModule> {
  const out: Record<string, ProbeModule> = {};
  for (const [name, m] of Object.entries(raw)) {
    const path = ['modules', name];
    const kind = kinds[m.kind];
    if (!kind) {
      issues.push({ path: [...path, 'kind'], message: `unknown kind ${JSON.stringify(m.kind)}; expected one of ${Object.keys(kinds).sort().join(', ')}` });
      continue;
    }
    if (!kind.fromTarget) {
      issues.push({ path: [...path, 'kind'], message: `kind ${m.kind} has no target, so /probe cannot run it` });
      continue;
    }
    for (const key of Object.keys(m)) {
      if (key !== 'kind' && key !== 'timeout' && key !== m.kind) issues.push({ path: [...path, key], key, message: `unknown key "${key}"` });
    }
    const block = (m[m.kind] ?? {}) as Record<string, unknown>;
    const parsed = kind.schema.safeParse({ ...block, ...kind.fromTarget(MODULE_STAND_IN_TARGET) }, { reportInput: true });
    if (!parsed.success) issues.push(...parsed.error.issues.flatMap((iss) => fromZodIssue(iss, [...path, m.kind])));
    out[name] = { name, kind: m.kind, timeoutMs: m.timeout, block };
  }
  return out;
}

/** depends_on names existing checks, never the check itself, and never loops. */
export function checkDependencies(checks: readonly CheckSpec[], issues: ConfigIssue[]): void {
  const index = new Map(checks.map((c, i) => [c.name, i]));
  checks.forEach((c, i) => {
    c.dependsOn.forEach((d, j) => {
      if (d === c.name) issues.push({ path: ['checks', i, 'depends_on', j], message: 'a check cannot depend on itself' });
      else if (!index.has(d)) issues.push({ path: ['checks', i, 'depends_on', j], message: `no check named "${d}"` });
    });
  });
  if (issues.length > 0) return;
  // A loop is reported once, at the first check of it in file order.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, 'visiting');
    for (const d of checks[index.get(name)!]!.dependsOn) {
      const loop = visit(d, [...trail, name]);
      if (loop) return loop;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const c of checks) {
    const loop = visit(c.name, []);
    if (loop) {
      issues.push({ path: ['checks', index.get(loop[0]!)!, 'depends_on'], message: `dependencies go round in a loop: ${loop.join(' → ')}` });
      return;
    }
  }
}

interface KindSettings {
  settings: unknown;
  raw: unknown;
}

function kindSettings(raw: unknown, at: IssuePath, kinds: KindTable, issues: ConfigIssue[]): KindSettings | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const check = raw as Record<string, unknown>;
  const kind = check.kind;
  if (typeof kind !== 'string') return undefined; // the file schema reports it
  if (!(kind in kinds)) {
    const known = Object.keys(kinds).sort().join(', ');
    issues.push({ path: [...at, 'kind'], message: `unknown kind ${JSON.stringify(kind)}; expected one of ${known}` });
    return undefined;
  }
  for (const other of Object.keys(kinds)) {
    if (other !== kind && check[other] !== undefined) {
      issues.push({ path: [...at, other], key: other, message: `a ${other} block on a check of kind ${kind}` });
    }
  }
  const block = check[kind] ?? {};
  const parsed = kinds[kind]!.schema.safeParse(block, { reportInput: true });
  if (!parsed.success) {
    issues.push(...parsed.error.issues.flatMap((iss) => fromZodIssue(iss, [...at, kind])));
    return undefined;
  }
  return { settings: parsed.data, raw: block };
}

/**
 * One `checks:` item, validated and resolved: what the file's loop does for each check and the
 * API does for a check it is given, so both accept and reject the same things with the same words.
 * Issue paths start at `at` (['checks', i] in the file; [] for the API).
 */
function checkSpecOf(c: FileCheck, at: IssuePath, g: CheckDefaults, ks: KindSettings | undefined, kinds: KindTable, issues: ConfigIssue[]): CheckSpec {
  const labels = { ...g.labels, ...c.labels };
  for (const name of Object.keys(labels)) {
    if (RESERVED_LABELS.has(name) || name.startsWith('__')) {
      const where = c.labels && name in c.labels ? [...at, 'labels'] : ['global', 'labels'];
      issues.push({ path: [...where, name], key: name, message: `label "${name}" is set by healthmon itself; choose another name` });
    }
  }
  const spec = resolveCheck(c, g, labels, ks, kinds);
  if (spec.timeoutMs > spec.intervalMs) {
    issues.push({ path: [...at, 'timeout'], message: `the timeout (${formatDuration(spec.timeoutMs)}) is longer than the interval (${formatDuration(spec.intervalMs)})` });
  }
  return spec;
}

export type CheckValidation = { ok: true; spec: CheckSpec } | { ok: false; issues: ConfigIssue[] };

/**
 * Validates and resolves one check given as a `checks:` item (the API's way in), with the file's
 * `global:` defaults, by the same code as the file's checks. Values are taken as given: no
 * `${ENV}` expansion and no `*_file` reading, which are the config file's alone. Dependencies
 * and load-time preparation are the caller's, as they need the other checks and the file.
 */
export function validateCheck(raw: unknown, kinds: KindTable, defaults: CheckDefaults = {}): CheckValidation {
  const issues: ConfigIssue[] = [];
  const result = checkSchema(Object.keys(kinds).sort()).safeParse(raw, { reportInput: true });
  if (!result.success) issues.push(...result.error.issues.flatMap((i) => fromZodIssue(i)));
  const ks = kindSettings(raw, [], kinds, issues);
  if (!result.success || issues.length > 0) return { ok: false, issues };
  const spec = checkSpecOf(result.data, [], defaults, ks, kinds, issues);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, spec };
}

function resolveSlo(slo: NonNullable<FileCheck['slo']>): SloSpec {
  const latency = Object.entries(slo.latency ?? {}).map(([quantile, targetMs]) => ({ quantile, q: Number(quantile.slice(1)) / 100, targetMs }));
  return { availability: slo.availability, latency, windowMs: slo.window ?? DEFAULTS.sloWindowMs };
}

/** Repair starts once the check is down (failure_threshold failures) unless `after` says otherwise. */
function resolveOnFailure(f: NonNullable<FileCheck['on_failure']>, failureThreshold: number): OnFailureSpec {
  const d = DEFAULTS.onFailure;
  return { run: f.run, after: f.after ?? failureThreshold, maxAttempts: f.max_attempts ?? d.maxAttempts, cooldownMs: f.cooldown ?? d.cooldownMs, timeoutMs: f.timeout ?? d.timeoutMs };
}

function resolveCheck(c: FileCheck, g: CheckDefaults, labels: Record<string, string>, ks: KindSettings | undefined, kinds: KindTable): CheckSpec {
  const kind = kinds[c.kind]!;
  const spec: Omit<CheckSpec, 'fingerprint'> = {
    name: c.name,
    kind: c.kind,
    ...(c.description === undefined ? {} : { description: c.description }),
    intervalMs: c.interval ?? g.interval ?? DEFAULTS.intervalMs,
    timeoutMs: c.timeout ?? g.timeout ?? Math.min(DEFAULTS.timeoutMs, c.interval ?? g.interval ?? DEFAULTS.intervalMs),
    retries: c.retries ?? g.retries ?? DEFAULTS.retries,
    retryBackoffMs: c.retry_backoff ?? g.retry_backoff ?? DEFAULTS.retryBackoffMs,
    failureThreshold: c.failure_threshold ?? g.failure_threshold ?? DEFAULTS.failureThreshold,
    successThreshold: c.success_threshold ?? g.success_threshold ?? DEFAULTS.successThreshold,
    critical: c.critical ?? false,
    dependsOn: c.depends_on ?? [],
    ...(c.expected_response_time === undefined ? {} : { expectedResponseTimeMs: c.expected_response_time }),
    ...(c.group === undefined ? {} : { group: c.group }),
    ...(c.slo === undefined ? {} : { slo: resolveSlo(c.slo) }),
    ...(c.on_failure === undefined ? {} : { onFailure: resolveOnFailure(c.on_failure, c.failure_threshold ?? g.failure_threshold ?? DEFAULTS.failureThreshold) }),
    labels,
    settings: ks?.settings,
    target: ks ? kind.target(ks.settings) : '',
  };
  const fingerprint = JSON.stringify({ ...spec, settings: ks?.raw });
  return { ...spec, fingerprint };
}
