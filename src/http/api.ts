// The JSON API: healthmon's own health (/health), the host (/health/system…), the checks with
// their assessment (/health/services…, and registering checks at run time), history
// (/metrics/history), alerts, the effective config (secrets redacted), a status summary and the
// audit log. Errors are problem objects (./problem.ts); changes need the API token (./auth.ts)
// and every change, or refused attempt at one, is written to the audit log.
import express, { type NextFunction, type Request, type Response, type Router as ExpressRouter } from 'express';
import jsYaml from 'js-yaml';
import type { Logger } from 'pino';
import type { Router } from '../alerting/router.js';
import type { HealthmonConfig } from '../config/config.js';
import { alertFingerprint } from '../core/alert-fingerprint.js';
import { parseDuration } from '../core/duration.js';
import { redactSecrets } from '../core/redact.js';
import type { HostSampler, HostSnapshot } from '../host/host-collector.js';
import type { RuleGroup } from '../rules/rule-group.js';
import type { Assessment, CheckAssessment } from '../state/assessment.js';
import type { CheckEntry } from '../state/state-store.js';
import type { Aggregate, HistoryHealth, HistoryStore } from '../store/history.js';
import { quantileOf } from '../store/latency-buckets.js';
import type { ApiChecks, Refusal, StoredCheck } from './api-checks.js';
import type { AuditLog, AuditOutcome } from './audit-log.js';
import { requireChangeAuth, type ApiToken } from './auth.js';
import { sendProblem } from './problem.js';
import { cpuView, diskView, memoryView, networkView, systemView } from './system-view.js';

export interface ApiDeps {
  logger: Logger;
  now(): number;
  build: { version: string; nodeVersion: string };
  startedAt: number;
  ready(): boolean;
  /** Runs a trivial query; the error text when the database does not answer. */
  database(): string | undefined;
  scheduler(): { lastLagMs: number | undefined; inFlight: number };
  /** The host sampler; undefined when host sampling is off. */
  host(): HostSampler | undefined;
  entries(): Iterable<CheckEntry>;
  /** The assessment of every check at `now`, when the assessor is there. */
  assess(now: number): Assessment | undefined;
  history(): HistoryStore | undefined;
  ruleGroups(): readonly RuleGroup[];
  router(): Router | undefined;
  /** The effective config: the file's checks and the API's. */
  config(): HealthmonConfig;
  lastReload(): { ok: boolean; at: number };
  apiChecks(): ApiChecks | undefined;
  audit(): AuditLog | undefined;
  token(): ApiToken;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const MAX_POINTS = 11_000;
const BODY_LIMIT = '64kb';
const BASELINE_MAX_AGE_MS = 5 * 60_000;

/** `24h` ago, an RFC 3339 time, or unix seconds; undefined when it is none of them. */
export function parseTime(text: string, now: number): number | undefined {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const ms = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(ms) ? ms : undefined;
}

function one(req: Request, name: string): string | undefined | string[] {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return [];
}

function serviceView(entry: CheckEntry, assessed: CheckAssessment | undefined, stored: StoredCheck | undefined) {
  const { spec, state } = entry;
  const last = state.last;
  return {
    name: spec.name,
    kind: spec.kind,
    source: stored ? 'api' : 'file',
    group: spec.group ?? spec.kind,
    description: spec.description,
    critical: spec.critical,
    target: spec.target,
    labels: spec.labels,
    dependsOn: spec.dependsOn,
    intervalSeconds: spec.intervalMs / 1000,
    status: state.status ?? 'unknown',
    up: state.up,
    statusSince: iso(state.statusSince),
    consecutiveFailures: state.consecutiveFailures,
    last: last && { at: iso(last.startedAt), ok: last.ok, durationMs: last.durationMs, reason: last.reason, message: last.message },
    lastSuccessAt: iso(state.lastSuccessAt),
    lastFailureAt: iso(state.lastFailureAt),
    ...(assessed
      ? { uptime: assessed.uptime, latency: assessed.latency, errorRate: assessed.errorRate, healthScore: assessed.healthScore, slo: assessed.slo, anomaly: assessed.anomaly }
      : {}),
    ...(stored ? { registered: { createdAt: iso(stored.createdAt), createdBy: stored.createdBy, updatedAt: iso(stored.updatedAt), updatedBy: stored.updatedBy, definition: redactSecrets(stored.body) } } : {}),
  };
}

/** The config as GET /config shows it: secrets out, key material out, check fingerprints (which hold raw settings) out. */
function configView(config: HealthmonConfig, apiNames: ReadonlySet<string>) {
  const { server, checks, ...rest } = config;
  const web = server.web && {
    file: server.web.file,
    tls: server.web.tls && {
      certFile: server.web.tls.certFile, keyFile: server.web.tls.keyFile, clientAuthType: server.web.tls.clientAuthType,
      clientCaFile: server.web.tls.clientCaFile, minVersion: server.web.tls.minVersion, maxVersion: server.web.tls.maxVersion,
    },
    basicAuthUsers: Object.keys(server.web.basicAuthUsers),
    headers: server.web.headers,
  };
  return redactSecrets({
    ...rest,
    server: { ...server, web },
    checks: checks.map(({ fingerprint: _f, ...c }) => ({ ...c, source: apiNames.has(c.name) ? 'api' : 'file' })),
  });
}

export function healthApi(deps: ApiDeps): ExpressRouter {
  const api = express.Router();
  const auth = requireChangeAuth(deps.token);
  let hostBaseline: HostSnapshot | undefined;

  /** Writes the audit row when the answer has gone out, whatever it was. */
  const audited = (req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => {
      const log = deps.audit();
      if (!log) return;
      const status = res.statusCode;
      const denied = status === 401 || (status === 403 && res.locals.denied !== undefined);
      const outcome: AuditOutcome = status < 400 ? 'ok' : denied ? 'denied' : status >= 500 ? 'failed' : 'rejected';
      const basic = res.locals.basicUser as string | undefined;
      try {
        log.record({
          at: deps.now(),
          actor: (res.locals.actor as string | undefined) ?? (basic ? `basic:${basic}` : 'anonymous'),
          remote: req.socket.remoteAddress,
          method: req.method,
          path: req.originalUrl.split('?')[0]!,
          check: res.locals.auditCheck as string | undefined,
          outcome,
          status,
          detail: res.locals.auditDetail as string | undefined,
          change: res.locals.auditChange,
        });
      } catch (err) {
        deps.logger.error({ err }, 'cannot write the audit log');
      }
    });
    next();
  };

  const refused = (res: Response, r: Refusal) => {
    res.locals.auditDetail = r.detail;
    sendProblem(res, r.status, r.detail, r.errors ? { errors: r.errors } : {});
  };

  // A check may come as JSON or as YAML, as in the config file.
  const body = [
    express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
    express.text({ limit: BODY_LIMIT, type: ['application/yaml', 'application/x-yaml', 'text/yaml'] }),
    (req: Request, res: Response, next: NextFunction) => {
      if (typeof req.body === 'string') {
        try {
          req.body = jsYaml.load(req.body, { schema: jsYaml.CORE_SCHEMA });
        } catch (err) {
          const e = err as { reason?: string; message: string };
          return refused(res, { ok: false, status: 400, detail: `the body is not valid YAML: ${e.reason ?? e.message}` });
        }
      } else if (req.body === undefined) {
        res.locals.auditDetail = 'no JSON or YAML body';
        return sendProblem(res, 415, 'send the check as JSON (Content-Type: application/json) or YAML (Content-Type: application/yaml)');
      }
      next();
    },
  ];

  const registry = (res: Response): ApiChecks | undefined => {
    const r = deps.apiChecks();
    if (!r) sendProblem(res, 503, 'checks cannot be registered before healthmon has opened its database');
    return r;
  };

  /** Registered checks whose names the file has not taken. */
  const activeApiChecks = (): StoredCheck[] => {
    const r = deps.apiChecks();
    return r ? r.list().filter((s) => !r.fileDefines(s.name)) : [];
  };

  const entryOf = (name: string) => {
    for (const e of deps.entries()) if (e.spec.name === name) return e;
    return undefined;
  };

  const services = (filter: (e: CheckEntry) => boolean = () => true) => {
    const assessment = deps.assess(deps.now());
    const byName = new Map(assessment?.checks.map((c) => [c.check, c]));
    const stored = new Map(activeApiChecks().map((s) => [s.name, s]));
    const views = [...deps.entries()].filter(filter).map((e) => serviceView(e, byName.get(e.spec.name), stored.get(e.spec.name)));
    return { assessment, views };
  };

  // healthmon itself.
  api.get('/health', (_req, res) => {
    const ready = deps.ready();
    const dbError = deps.database();
    const sched = deps.scheduler();
    const history = deps.history()?.health();
    const ok = ready && dbError === undefined;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'unavailable',
      ready,
      database: dbError === undefined ? { ok: true } : { ok: false, error: dbError },
      scheduler: { lastLagSeconds: sched.lastLagMs === undefined ? null : sched.lastLagMs / 1000, inFlight: sched.inFlight },
      ...(history ? { history } : {}),
    });
  });

  // The host.
  const hostPart = (pick: (now: HostSnapshot, before: HostSnapshot | undefined) => unknown, what: string) => async (_req: Request, res: Response) => {
    const sampler = deps.host();
    if (!sampler) return sendProblem(res, 404, 'host sampling is off (host.enabled: false), so there is no system data');
    const now = await sampler.sample();
    // Rates and CPU use are measured against an earlier reading, kept at least a second apart.
    const before = hostBaseline && hostBaseline.takenAt < now.takenAt && now.takenAt - hostBaseline.takenAt <= BASELINE_MAX_AGE_MS ? hostBaseline : undefined;
    if (!hostBaseline || now.takenAt - hostBaseline.takenAt >= 1000) hostBaseline = now;
    const view = pick(now, before);
    if (view === undefined) return sendProblem(res, 503, `the ${what} could not be read from the host this time; see the server log`);
    res.json(view);
  };
  api.get('/health/system', hostPart((n, b) => systemView(n, b), 'system data'));
  api.get('/health/system/cpu', hostPart((n, b) => cpuView(n, b), 'CPU data'));
  api.get('/health/system/memory', hostPart((n) => memoryView(n), 'memory data'));
  api.get('/health/system/disk', hostPart((n, b) => diskView(n, b), 'disk data'));
  api.get('/health/system/network', hostPart((n, b) => networkView(n, b), 'network data'));

  // The checks.
  api.get('/health/services', (req, res) => {
    const status = one(req, 'status');
    const group = one(req, 'group');
    const kind = one(req, 'kind');
    for (const [name, v] of [['status', status], ['group', group], ['kind', kind]] as const) {
      if (Array.isArray(v)) return sendProblem(res, 400, `give ${name} once, as ?${name}=value`);
    }
    const { assessment, views } = services((e) =>
      (status === undefined || (e.state.status ?? 'unknown') === status) && (group === undefined || (e.spec.group ?? e.spec.kind) === group) && (kind === undefined || e.spec.kind === kind),
    );
    res.json({ at: iso(deps.now()), ...(assessment ? { overall: assessment.overall } : {}), services: views });
  });

  api.get('/health/services/:name', (req, res) => {
    const name = String(req.params.name);
    const entry = entryOf(name);
    if (!entry) {
      const stored = deps.apiChecks()?.get(name);
      const why = stored ? ' (it is registered through the API but not running: see the server log for why)' : '';
      return sendProblem(res, 404, `no check named "${name}"${why}`);
    }
    const { views } = services((e) => e === entry);
    res.json(views[0]);
  });

  api.post('/health/services', audited, auth, ...body, async (req, res, next) => {
    try {
      const r = registry(res);
      if (!r) return;
      const name = (req.body as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string') res.locals.auditCheck = name;
      const out = await r.create(req.body, res.locals.actor as string);
      if (!out.ok) return refused(res, out);
      res.locals.auditChange = { after: out.stored.body };
      const entry = entryOf(out.stored.name);
      res.status(201).location(`/health/services/${encodeURIComponent(out.stored.name)}`);
      res.json(entry ? serviceView(entry, undefined, out.stored) : { name: out.stored.name, source: 'api' });
    } catch (err) {
      next(err);
    }
  });

  api.put('/health/services/:name', audited, auth, ...body, async (req, res, next) => {
    try {
      const r = registry(res);
      if (!r) return;
      const name = String(req.params.name);
      res.locals.auditCheck = name;
      const out = await r.replace(name, req.body, res.locals.actor as string);
      if (!out.ok) return refused(res, out);
      res.locals.auditChange = { before: out.before?.body, after: out.stored.body };
      const entry = entryOf(name);
      res.json(entry ? serviceView(entry, undefined, out.stored) : { name, source: 'api' });
    } catch (err) {
      next(err);
    }
  });

  api.delete('/health/services/:name', audited, auth, (req, res) => {
    const r = registry(res);
    if (!r) return;
    const name = String(req.params.name);
    res.locals.auditCheck = name;
    const out = r.remove(name);
    if (!out.ok) return refused(res, out);
    res.locals.auditChange = { before: out.before.body };
    res.status(204).end();
  });

  // History.
  api.get('/metrics/history', (req, res) => {
    const history = deps.history();
    if (!history) return sendProblem(res, 503, 'history is not being kept (healthmon has not opened its database)');
    const now = deps.now();
    const q = { check: one(req, 'check'), since: one(req, 'since'), until: one(req, 'until'), step: one(req, 'step') };
    for (const k of ['since', 'until', 'step'] as const) if (Array.isArray(q[k])) return sendProblem(res, 400, `give ${k} once`);
    const since = q.since === undefined ? now - 86_400_000 : parseTime(q.since as string, now);
    if (since === undefined) return sendProblem(res, 400, `since must be a duration ago like "24h", an RFC 3339 time or unix seconds, got ${JSON.stringify(q.since)}`);
    const until = q.until === undefined ? now : parseTime(q.until as string, now);
    if (until === undefined) return sendProblem(res, 400, `until must be a duration ago like "1h", an RFC 3339 time or unix seconds, got ${JSON.stringify(q.until)}`);
    if (until <= since) return sendProblem(res, 400, `since (${iso(since)}) must be before until (${iso(until)})`);
    let stepMs: number;
    if (q.step === undefined) stepMs = Math.max(60_000, Math.ceil((until - since) / 100 / 60_000) * 60_000);
    else {
      const parsed = parseDuration(q.step as string);
      if (parsed === undefined || parsed <= 0) return sendProblem(res, 400, `step must be a duration like "5m", got ${JSON.stringify(q.step)}`);
      stepMs = parsed;
    }
    const points = Math.ceil((until - since) / stepMs);
    if (points > MAX_POINTS) return sendProblem(res, 400, `${points} points per check is too many (at most ${MAX_POINTS}); use a larger step or a shorter span`);
    const known = new Set([...deps.entries()].map((e) => e.spec.name));
    const checks = q.check === undefined ? [...known].sort() : typeof q.check === 'string' ? [q.check] : q.check;
    const unknown = checks.filter((c) => !known.has(c));
    if (unknown.length > 0) return sendProblem(res, 404, `no check named ${unknown.map((c) => `"${c}"`).join(', ')}`);
    let series: Map<string, Aggregate[]>;
    try {
      series = history.series({ since, until }, stepMs, checks);
    } catch (err) {
      if (err instanceof RangeError) return sendProblem(res, 400, err.message);
      throw err;
    }
    const round = (n: number) => Math.round(n * 1000) / 1000;
    res.json({
      since: iso(since),
      until: iso(until),
      stepSeconds: stepMs / 1000,
      series: checks.map((check) => ({
        check,
        points: (series.get(check) ?? []).map((a, i) => ({
          at: iso(since + i * stepMs),
          count: a.count,
          failures: a.failures,
          availability: a.count === 0 ? null : round((a.count - a.failures) / a.count),
          latency: a.count === 0 ? null : {
            meanMs: round(a.latencySumMs / a.count), minMs: round(a.latencyMinMs), maxMs: round(a.latencyMaxMs),
            p50Ms: round(quantileOf(a, 0.5)), p95Ms: round(quantileOf(a, 0.95)), p99Ms: round(quantileOf(a, 0.99)),
          },
        })),
      })),
    });
  });

  // Alerts, as the rules see them (pending and firing), with the router's verdict when it is running.
  api.get('/alerts', (_req, res) => {
    const routed = new Map((deps.router()?.alerts() ?? []).map((a) => [a.fingerprint, a]));
    const hasRouter = deps.router() !== undefined;
    const alerts = deps.ruleGroups().flatMap((g) =>
      g.rules.flatMap((r) =>
        [...r.alerts.values()]
          .filter((a) => a.state !== 'inactive')
          .map((a) => {
            const notified = routed.get(alertFingerprint(a.labels));
            return {
              name: r.rule.name,
              group: g.def.name,
              state: a.state,
              labels: a.labels,
              annotations: a.annotations,
              value: a.value,
              activeAt: iso(a.activeAt),
              ...(a.firedAt === undefined ? {} : { firedAt: iso(a.firedAt) }),
              ...(hasRouter && a.state === 'firing' ? { muted: notified?.mutedBy !== undefined, ...(notified?.mutedBy ? { mutedBy: notified.mutedBy } : {}) } : {}),
            };
          }),
      ),
    );
    res.json({ firing: alerts.filter((a) => a.state === 'firing').length, pending: alerts.filter((a) => a.state === 'pending').length, alerts });
  });

  api.get('/config', (_req, res) => {
    res.json(configView(deps.config(), new Set(activeApiChecks().map((s) => s.name))));
  });

  api.get('/status', (_req, res) => {
    const now = deps.now();
    const entries = [...deps.entries()];
    const apiNames = new Set(activeApiChecks().map((s) => s.name));
    const byStatus = { healthy: 0, degraded: 0, unhealthy: 0, critical: 0, unknown: 0 };
    for (const e of entries) byStatus[e.state.status ?? 'unknown']++;
    let firing = 0;
    let pending = 0;
    for (const g of deps.ruleGroups()) for (const r of g.rules) for (const a of r.alerts.values()) {
      if (a.state === 'firing') firing++;
      else if (a.state === 'pending') pending++;
    }
    const reload = deps.lastReload();
    const history: HistoryHealth | undefined = deps.history()?.health();
    const api = entries.filter((e) => apiNames.has(e.spec.name)).length;
    res.json({
      version: deps.build.version,
      nodeVersion: deps.build.nodeVersion,
      startedAt: iso(deps.startedAt),
      uptimeSeconds: Math.max(0, Math.round((now - deps.startedAt) / 1000)),
      ready: deps.ready(),
      config: { file: deps.config().file, lastReloadSuccessful: reload.ok, lastReloadAt: iso(reload.at) },
      checks: { total: entries.length, fromFile: entries.length - api, fromApi: api, byStatus },
      alerts: { firing, pending },
      history: history ?? null,
    });
  });

  api.get('/audit', auth, (req, res) => {
    const log = deps.audit();
    if (!log) return sendProblem(res, 503, 'the audit log is not open yet');
    const { limit, since, check } = { limit: one(req, 'limit'), since: one(req, 'since'), check: one(req, 'check') };
    if ([limit, since, check].some(Array.isArray)) return sendProblem(res, 400, 'give limit, since and check at most once each');
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) return sendProblem(res, 400, `limit must be a whole number from 1 to 1000, got ${JSON.stringify(limit)}`);
    const from = since === undefined ? undefined : parseTime(since as string, deps.now());
    if (since !== undefined && from === undefined) return sendProblem(res, 400, `since must be a duration ago like "24h", an RFC 3339 time or unix seconds, got ${JSON.stringify(since)}`);
    const entries = log.list({ limit: n, ...(from === undefined ? {} : { since: from }), ...(check === undefined ? {} : { check: check as string }) });
    res.json({ entries: entries.map((e) => ({ ...e, at: iso(e.at) })) });
  });

  // /-/reload changes what runs too: it stays open as in Prometheus, but is written down.
  api.post('/-/reload', audited, (_req, _res, next) => next());
  api.put('/-/reload', audited, (_req, _res, next) => next());

  // The right path with the wrong method: 405 with what is allowed.
  const methods = (path: string, allow: string) =>
    api.all(path, (req, res) => sendProblem(res, 405, `${req.method} is not allowed on ${req.path}; use ${allow}`, { headers: { Allow: allow } }));
  methods('/health/services', 'GET, POST');
  methods('/health/services/:name', 'GET, PUT, DELETE');
  for (const p of ['/health', '/health/system', '/health/system/cpu', '/health/system/memory', '/health/system/disk', '/health/system/network', '/metrics/history', '/alerts', '/config', '/status', '/audit']) {
    methods(p, 'GET');
  }

  // Bodies that do not parse are the client's mistake, said as such.
  api.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.parse.failed') return refused(res, { ok: false, status: 400, detail: `the body is not valid JSON: ${err.message}` });
    if (err.type === 'entity.too.large') return refused(res, { ok: false, status: 413 as Refusal['status'], detail: `the body is larger than ${BODY_LIMIT}` });
    if (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') return refused(res, { ok: false, status: 415 as Refusal['status'], detail: err.message });
    next(err);
  });
  return api;
}
