// The composition root: builds every part from a config and injected dependencies. Only this
// file and the CLI know concrete implementations; two apps in one process do not interfere.
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { CheckSpec, HealthmonConfig } from './config/config.js';
import type { KindTable } from './config/load.js';
import { ownedChecks } from './config/shard.js';
import { createAlertingRuntime, type AlertingRuntime } from './alerting/alerting-runtime.js';
import type { AlertSink } from './core/alert-event.js';
import type { CheckResult } from './core/check-result.js';
import type { Clock } from './core/clock.js';
import { registerHostMetrics } from './host/host-collector.js';
import { registerFilesystemTrend } from './host/filesystem-trend.js';
import { createPushLog } from './probes/push-log.js';
import { createHttpApp } from './http/server.js';
import { createApiChecks, type ApiChecks } from './http/api-checks.js';
import { createAuditLog, type AuditLog } from './http/audit-log.js';
import { createTokenReader } from './http/auth.js';
import { createNetworkPolicy, type NetworkPolicy } from './http/network-policy.js';
import { createWebServer, updateWebServer } from './http/web-server.js';
import { minIntervalMs } from './http/status-page.js';
import { createCheckMetrics, type CheckMetrics } from './metrics/check-metrics.js';
import { renderAlertSeries } from './metrics/alert-series.js';
import { registerAlertingMetrics } from './metrics/alerting-metrics.js';
import { probeSnapshot } from './metrics/probe-snapshot.js';
import { formatPath, fromZodIssue } from './config/issues.js';
import { render, snapshotSamples, type ExpositionFormat, type Snapshot } from './metrics/exposition.js';
import { registerRuleMetrics } from './metrics/rule-metrics.js';
import { registerSelfMetrics, type BuildInfo } from './metrics/self-metrics.js';
import { createRuleManager, type RuleManager } from './rules/rule-manager.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import { runCheck } from './scheduler/run-check.js';
import { createStateStore, type StateStore } from './state/state-store.js';
import { runRemediationCommand } from './remediation/command-runner.js';
import { createRemediator } from './remediation/remediator.js';
import { registerRemediationMetrics } from './metrics/remediation-metrics.js';
import type { Assessor } from './state/assessment.js';
import { createAssessor } from './state/assessor.js';
import { createLatencyBaselines } from './state/latency-baseline.js';
import { createAssessmentMetrics } from './metrics/assessment-metrics.js';
import type { HistoryStore } from './store/history.js';
import { openDatabase, type Db } from './store/database.js';
import { createSqliteHistory } from './store/history-sqlite.js';
import { recordAlert, recordRun } from './store/history-record.js';
import { schedulePruning } from './store/prune-timer.js';
import { registerHistoryMetrics } from './metrics/history-metrics.js';

const EOF = Buffer.from('# EOF\n');

export interface AppDeps {
  clock: Clock;
  logger: Logger;
  kinds: KindTable;
  build: BuildInfo;
  /** Re-reads the config file for a reload; throws (or rejects with) ConfigError on a bad file. */
  loadConfig(): HealthmonConfig | Promise<HealthmonConfig>;
  /** Where /proc is; tests point it at fixtures. */
  procRoot?: string;
  /** Where firing and resolved alerts go besides the log; the alert router when not given. */
  alertSink?: AlertSink;
  /** HEALTHMON_API_TOKEN: the API token when the config gives none. */
  apiToken?: string;
  /** Every address a host name resolves to, for the API's network policy; dns.lookup when not given. */
  lookup?: (host: string) => Promise<string[]>;
  /** History the assessment reads (uptime, SLOs, baselines) instead of the app's own store. */
  assessmentHistory?: () => HistoryStore | undefined;
}

export interface App {
  readonly registry: Registry;
  readonly store: StateStore;
  readonly scheduler: Scheduler;
  readonly rules: RuleManager;
  /** Alert routing and delivery; there once start() has opened the data directory. */
  alerting(): AlertingRuntime | undefined;
  /** The history store; there once start() has opened the data directory (not for `once`). */
  history(): HistoryStore | undefined;
  config(): HealthmonConfig;
  /** Starts scheduling and, unless `listen` is false, the HTTP server. Resolves to the bound port. */
  start(options?: { listen?: boolean }): Promise<number | undefined>;
  /** Re-reads the config; a bad one keeps the old running. Resolves to the problems found. */
  reload(): Promise<string[]>;
  /** Runs every check once, now, and records the results. */
  runOnce(): Promise<CheckResult[]>;
  /** Everything /metrics shows, in the given format. */
  metrics(format: ExpositionFormat): Promise<Buffer[]>;
  /** The per-check series, structured. */
  readonly checkMetrics: CheckMetrics;
  /** Uptime, scores, SLOs and anomalies of every check, for the API and the status page. */
  readonly assessor: Assessor;
  /** Stops scheduling, waits for runs in flight up to `graceMs`, closes the server. */
  stop(graceMs?: number): Promise<void>;
}

export function createApp(initial: HealthmonConfig, deps: AppDeps): App {
  const { clock, logger } = deps;
  let config = initial;
  const registry = new Registry();
  const store = createStateStore();
  const shutdown = new AbortController();
  // Every attempt in flight listens for shutdown; thousands at once is expected, not a leak.
  setMaxListeners(0, shutdown.signal);
  const probeLoggers = new WeakMap<CheckSpec, Logger>();
  const probeLogger = (spec: CheckSpec) => {
    let l = probeLoggers.get(spec);
    if (!l) probeLoggers.set(spec, (l = logger.child({ component: 'probe', check: spec.name })));
    return l;
  };
  let ready = false;
  let server: Server | undefined;
  // The API's part: checks registered at run time merge into the file's (config = file + API).
  let fileConfig = initial;
  let apiChecks: ApiChecks | undefined;
  let apiCheckNames = new Set<string>();
  let audit: AuditLog | undefined;
  let lastLagMs: number | undefined;
  let lastReload = { ok: true, at: clock.now() };
  const startedAt = clock.now();
  const apiToken = createTokenReader(() => config.server.api, deps.apiToken);
  const lookup = deps.lookup ?? (async (host: string) => (await dnsLookup(host, { all: true })).map((a) => a.address));
  let policy: { settings: HealthmonConfig['server']['api']; policy: NetworkPolicy } | undefined;
  const networkPolicy = (): NetworkPolicy => {
    if (policy?.settings !== config.server.api) policy = { settings: config.server.api, policy: createNetworkPolicy(config.server.api, { lookup }) };
    return policy.policy;
  };
  const pushes = createPushLog();

  const run = async (spec: CheckSpec): Promise<CheckResult> => {
    const probe = deps.kinds[spec.kind]!.probe;
    const result = await runCheck(spec, probe, {
      clock,
      logger: probeLogger(spec),
      signal: shutdown.signal,
      monotonic: () => performance.now(),
      pushes,
      ...(apiCheckNames.has(spec.name) ? { refuseAddress: (address: string) => networkPolicy().refuseAddress(address) } : {}),
    });
    record(result);
    return result;
  };

  // GET /probe: one probe of a module against a target, as blackbox_exporter runs them.
  const probeTarget = async (moduleName: string, target: string, scrapeTimeoutMs: number | undefined): Promise<{ error: string } | { snapshot: Snapshot }> => {
    const m = config.modules[moduleName];
    if (!m) return { error: `unknown module ${JSON.stringify(moduleName)}` };
    const kind = deps.kinds[m.kind]!;
    const parsed = kind.schema.safeParse({ ...m.block, ...kind.fromTarget!(target) }, { reportInput: true });
    if (!parsed.success) {
      const problems = parsed.error.issues.flatMap((i) => fromZodIssue(i)).map((i) => `${formatPath(i.path)}: ${i.message}`);
      return { error: `target ${JSON.stringify(target)} does not fit module ${moduleName}: ${problems.join('; ')}` };
    }
    // As blackbox: the scrape's own timeout, less half a second for the answer to travel.
    const timeoutMs = m.timeoutMs ?? Math.max(1000, (scrapeTimeoutMs ?? 10_000) - 500);
    const spec: CheckSpec = {
      name: `probe/${moduleName}`, kind: m.kind, intervalMs: timeoutMs, timeoutMs, retries: 0, retryBackoffMs: 0, failureThreshold: 1,
      successThreshold: 1, critical: false, dependsOn: [], labels: {}, settings: parsed.data, target, fingerprint: '',
    };
    const result = await runCheck(spec, kind.probe, { clock, logger: probeLogger(spec), signal: shutdown.signal, monotonic: () => performance.now(), pushes });
    return { snapshot: probeSnapshot(result, kind.metrics) };
  };

  const record = (result: CheckResult) => {
    const change = store.record(result);
    if (!change) return;
    assessor.observe(result);
    checkMetrics.changed(change.entry);
    const { previous, entry } = change;
    const now = entry.state;
    if (history) recordRun(history, result, previous.status, now);
    // Repairs belong to the running service, not to a one-off `once`.
    if (ready) remediator.observe(entry);
    // A repeating failure is logged again only when what is wrong changes.
    if (now.status !== previous.status || (!result.ok && previous.last?.reason !== result.reason && now.up === false)) {
      const fields = { check: result.check, status: now.status, previous: previous.status, reason: result.reason, message: result.message };
      if (now.up === false) logger.warn(fields, 'check is down');
      else logger.info(fields, 'check status changed');
    }
  };

  const scheduler = createScheduler({
    clock,
    maxConcurrency: config.maxConcurrency,
    run: async (spec) => {
      await run(spec);
    },
    onStart: (_spec, lagMs) => {
      lastLagMs = lagMs;
      self.observeLag(lagMs);
    },
    onSkip: () => self.runSkipped(),
  });
  const self = registerSelfMetrics(registry, deps.build, () => scheduler.inFlight());
  const kindMetrics = Object.values(deps.kinds).flatMap((k) => k.metrics);
  const checkMetrics = createCheckMetrics(store, kindMetrics, { defer: (fn) => setImmediate(fn) });
  const hostSampler = config.host.enabled ? registerHostMetrics(registry, { procRoot: deps.procRoot, logger: logger.child({ component: 'host' }) }, config.host) : undefined;
  if (hostSampler) registerFilesystemTrend(registry, hostSampler);
  // The history store opens with start(), beside the database.
  let history: HistoryStore | undefined;
  const assessmentHistory = () => deps.assessmentHistory?.() ?? history;
  const assessor = createAssessor({ store, history: assessmentHistory, baselines: createLatencyBaselines({ history: assessmentHistory }) });
  const assessmentMetrics = createAssessmentMetrics({ assessor, now: () => clock.now() });
  const remediator = createRemediator({
    clock,
    logger: logger.child({ component: 'remediation' }),
    run: runRemediationCommand,
    metrics: registerRemediationMetrics(registry),
    history: () => history,
    signal: shutdown.signal,
  });

  const rulesLogger = logger.child({ component: 'rules' });
  const rules = createRuleManager({
    clock,
    logger: rulesLogger,
    snapshot: async () => {
      const own = snapshotSamples((await registry.getMetricsAsJSON()) as Snapshot);
      for (const s of checkMetrics.samples()) own.push(s);
      for (const s of assessmentMetrics.samples()) own.push(s);
      return own;
    },
    sink: {
      send: (events) => {
        for (const e of events) {
          rulesLogger[e.status === 'firing' ? 'warn' : 'info']({ alert: e.labels, annotations: e.annotations }, `alert ${e.status}`);
          if (history) recordAlert(history, e);
        }
        (deps.alertSink ?? alerting)?.send(events);
      },
    },
    metrics: registerRuleMetrics(registry),
    stateFile: join(config.storagePath, 'alert-state.json'),
  });

  // The database and the alert router open with start(): `once` and `check` need neither.
  let db: Db | undefined;
  let alerting: AlertingRuntime | undefined;
  const deliveryMetrics = registerAlertingMetrics(registry);
  registerHistoryMetrics(registry, () => history?.health());
  let pruning: { stop(): void } | undefined;
  const startHistory = () => {
    const historyLogger = logger.child({ component: 'history' });
    history = createSqliteHistory({ db: db!, retention: config.retention, logger: historyLogger, clock });
    pruning = schedulePruning(history, { clock, logger: historyLogger });
  };
  const startAlerting = () => {
    db = openDatabase(config.storagePath);
    alerting = createAlertingRuntime(config.alerting, {
      clock,
      logger: logger.child({ component: 'alerting' }),
      db,
      externalURL: config.rules.externalURL,
      evaluationIntervalMs: config.rules.evaluationIntervalMs,
      dependsOn: (check) => store.get(check)?.spec.dependsOn ?? [],
      isDown: (check) => store.get(check)?.state.up === false,
      metrics: deliveryMetrics,
      random: Math.random,
    });
  };

  const apply = (next: HealthmonConfig) => {
    const owned = ownedChecks(next.checks, next.shard);
    store.setChecks(owned);
    scheduler.setChecks(owned);
    rules.load(next.rules);
    alerting?.setConfig(next.alerting);
  };
  apply(config);
  self.configReloaded(true, clock.now());

  /** The file's checks plus the ones registered through the API, once the database is open. */
  const withApiChecks = (file: HealthmonConfig): HealthmonConfig => {
    if (!apiChecks) return file;
    const { checks, skipped } = apiChecks.merge(file);
    for (const s of skipped) logger.warn({ check: s.name, problem: s.problem }, 'a check registered through the API is set aside');
    const fileNames = new Set(file.checks.map((c) => c.name));
    apiCheckNames = new Set(checks.filter((c) => !fileNames.has(c.name)).map((c) => c.name));
    return { ...file, checks };
  };
  const openApi = (database: Db) => {
    audit = createAuditLog(database);
    apiChecks = createApiChecks({
      db: database, kinds: deps.kinds, now: () => clock.now(), policy: networkPolicy, fileConfig: () => fileConfig,
      changed: () => {
        config = withApiChecks(fileConfig);
        apply(config);
      },
    });
    config = withApiChecks(fileConfig);
    apply(config);
  };

  // Parts, not one buffer: a 30 MB exposition is not copied once more to be sent.
  const metrics = async (format: ExpositionFormat): Promise<Buffer[]> => {
    const own = render((await registry.getMetricsAsJSON()) as Snapshot, format, { open: true });
    const parts = [Buffer.from(own, 'utf8'), checkMetrics.render(format), assessmentMetrics.render(format)];
    if (config.rules.groups.some((g) => g.rules.some((r) => r.kind === 'alert'))) parts.push(Buffer.from(renderAlertSeries(rules.groups(), format), 'utf8'));
    if (format === 'openmetrics') parts.push(EOF);
    return parts;
  };

  return {
    registry,
    store,
    scheduler,
    rules,
    alerting: () => alerting,
    history: () => history,
    config: () => config,
    async start(options = {}) {
      startAlerting();
      startHistory();
      openApi(db!);
      scheduler.start();
      rules.start({ warmupMs: warmupOf(ownedChecks(config.checks, config.shard)), ready: () => [...store.entries()].every((e) => e.state.up !== undefined) });
      ready = true;
      // Reads the long windows' history once now, so the first scrape or page does not wait for it.
      setImmediate(() => {
        if (!ready) return;
        try {
          assessor.assess(clock.now());
        } catch (err) {
          logger.warn({ err }, 'could not read history for the first assessment');
        }
      });
      if (options.listen === false) return undefined;
      const http = createHttpApp({
        logger: logger.child({ component: 'http' }), metrics, ready: () => ready, reload: () => this.reload(),
        alerts: { router: () => alerting?.router, now: clock.now },
        probe: probeTarget,
        statusPage: {
          logger: logger.child({ component: 'status-page' }), now: () => clock.now(), assessor: () => assessor, history: assessmentHistory,
          router: () => alerting?.router, minIntervalMs: () => minIntervalMs(store.entries()),
        },
        ping: (check, signal) => {
          if (store.get(check)?.spec.kind !== 'heartbeat') return false;
          pushes.record(check, signal, clock.now());
          return true;
        },
        api: {
          logger: logger.child({ component: 'api' }), now: () => clock.now(), build: deps.build, startedAt, ready: () => ready,
          database: () => {
            try {
              db?.prepare('SELECT 1').get();
              return db ? undefined : 'not open';
            } catch (err) {
              return (err as Error).message;
            }
          },
          scheduler: () => ({ lastLagMs, inFlight: scheduler.inFlight() }),
          host: () => hostSampler,
          entries: () => store.entries(),
          assess: (now) => assessor.assess(now),
          history: assessmentHistory,
          ruleGroups: () => rules.groups(),
          router: () => alerting?.router,
          config: () => config,
          lastReload: () => lastReload,
          apiChecks: () => apiChecks,
          audit: () => audit,
          token: apiToken,
        },
        web: { basicAuthUsers: () => config.server.web?.basicAuthUsers ?? {}, headers: () => config.server.web?.headers ?? {}, token: apiToken },
      });
      server = createWebServer(http, config.server.web);
      const { host, port } = config.server;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host === '' ? undefined : host, () => resolve());
      });
      const bound = (server.address() as AddressInfo).port;
      logger.info({ address: `${host || '0.0.0.0'}:${bound}`, checks: store.size(), shard: config.shard && `${config.shard.index}/${config.shard.count}` }, 'healthmon is listening');
      return bound;
    },
    async reload() {
      let next: HealthmonConfig;
      try {
        next = await deps.loadConfig();
      } catch (err) {
        const problems = (err as { problems?: string[] }).problems ?? [(err as Error).message];
        self.configReloaded(false, clock.now());
        lastReload = { ok: false, at: clock.now() };
        logger.error({ problems }, 'config reload failed; the old config keeps running');
        return problems;
      }
      if (next.server.port !== config.server.port || next.server.host !== config.server.host) {
        logger.warn('server.listen changed; it takes effect on restart');
      }
      if (next.host.enabled !== config.host.enabled) logger.warn('host.enabled changed; it takes effect on restart');
      if (next.storagePath !== config.storagePath) logger.warn('storage.path changed; it takes effect on restart');
      if (server && !updateWebServer(server, next.server.web)) logger.warn('TLS was turned on or off, or client_auth_type changed, in the web config; it takes effect on restart');
      fileConfig = next;
      config = withApiChecks(next);
      apply(config);
      self.configReloaded(true, clock.now());
      lastReload = { ok: true, at: clock.now() };
      logger.info({ checks: next.checks.length }, 'config reloaded');
      return [];
    },
    runOnce: () => runAll(ownedChecks(config.checks, config.shard), config.maxConcurrency, run),
    metrics,
    checkMetrics,
    assessor,
    async stop(graceMs = 10_000) {
      ready = false;
      rules.stop();
      alerting?.stop();
      await scheduler.stop(graceMs);
      shutdown.abort(new DOMException('healthmon is shutting down', 'AbortError'));
      await remediator.idle();
      if (server) {
        server.closeIdleConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      pruning?.stop();
      await history?.close();
      db?.close();
    },
  };
}

/**
 * Time for every check to reach its thresholds once (its first run starts within one interval):
 * rules wait until every check has reported, or this long after a start, at most five minutes.
 */
const MAX_WARMUP_MS = 5 * 60_000;
function warmupOf(checks: readonly CheckSpec[]): number {
  let ms = 0;
  for (const c of checks) ms = Math.max(ms, c.intervalMs * (Math.max(c.failureThreshold, c.successThreshold) + 1));
  return Math.min(ms, MAX_WARMUP_MS);
}

async function runAll(specs: readonly CheckSpec[], cap: number, run: (s: CheckSpec) => Promise<CheckResult>): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(specs.length);
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      results[i] = await run(specs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(cap, specs.length) }, worker));
  return results;
}
