// The HTTP surface: /metrics (text or OpenMetrics, gzip when asked), the lifecycle endpoints
// Prometheus users know (/-/healthy, /-/ready, /-/reload), the JSON API (./api.ts), basic auth
// from the web config for all of it, and problem+json errors (./problem.ts) for everything else.
import { createGzip } from 'node:zlib';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { contentTypeOf, negotiate, render, type ExpositionFormat, type Snapshot } from '../metrics/exposition.js';
import type { PushSignal } from '../probes/push-log.js';
import { alertsApi, type AlertsApiDeps } from './alerts-api.js';
import { healthApi, type ApiDeps } from './api.js';
import { basicAuth, type ApiToken } from './auth.js';
import { sendProblem } from './problem.js';
import { statusPage, type StatusPageDeps } from './status-page.js';

export interface HttpDeps {
  logger: Logger;
  /** The whole exposition as UTF-8 bytes, in parts to be sent in order. */
  metrics(format: ExpositionFormat): Promise<Buffer[]>;
  ready(): boolean;
  /** Reloads the config; resolves to the problems found (empty when it was applied). */
  reload(): Promise<string[]>;
  alerts: AlertsApiDeps;
  /** Probes `target` with a configured module (GET /probe); an error for a bad module or target. */
  probe(module: string, target: string, scrapeTimeoutMs: number | undefined): Promise<{ error: string } | { snapshot: Snapshot }>;
  /** Records a job's ping for a heartbeat check; false when there is no such heartbeat check. */
  ping(check: string, signal: PushSignal): boolean;
  /** The JSON API (/health…, /status, /config, /audit, …). */
  api?: ApiDeps;
  /** The web config's basic auth users and headers, for every request. */
  web?: { basicAuthUsers(): Readonly<Record<string, string>>; headers(): Readonly<Record<string, string>>; token(): ApiToken };
  /** The status page at `/`; not served when not given. */
  statusPage?: StatusPageDeps;
}

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (deps.web) {
    const web = deps.web;
    app.use((_req, res, next) => {
      res.set(web.headers());
      next();
    });
    app.use(basicAuth({ users: web.basicAuthUsers, token: web.token }));
  }

  app.get('/metrics', async (req: Request, res: Response) => {
    const format = negotiate(req.get('accept'));
    const parts = await deps.metrics(format);
    const size = parts.reduce((n, p) => n + p.length, 0);
    res.set('Content-Type', contentTypeOf(format));
    res.set('Cache-Control', 'no-store');
    res.set('Vary', 'Accept-Encoding');
    let out: NodeJS.WritableStream = res;
    if (/\bgzip\b/.test(req.get('accept-encoding') ?? '') && size > 1024) {
      res.set('Content-Encoding', 'gzip');
      const gz = createGzip({ level: 1 });
      gz.pipe(res);
      out = gz;
    } else {
      res.set('Content-Length', String(size));
    }
    for (const part of parts) out.write(part);
    out.end();
  });

  if (deps.api) app.use(healthApi(deps.api));

  // blackbox_exporter's multi-target endpoint: Prometheus relabels its targets into ?target=.
  app.get('/probe', async (req: Request, res: Response) => {
    const { target, module } = req.query;
    if (typeof target !== 'string' || target === '') {
      res.status(400).type('text/plain').send('target parameter is missing\n');
      return;
    }
    const header = Number(req.get('x-prometheus-scrape-timeout-seconds'));
    const out = await deps.probe(typeof module === 'string' ? module : 'http_2xx', target, Number.isFinite(header) && header > 0 ? header * 1000 : undefined);
    if ('error' in out) {
      res.status(400).type('text/plain').send(`${out.error}\n`);
      return;
    }
    const format = negotiate(req.get('accept'));
    res.set('Content-Type', contentTypeOf(format)).send(render(out.snapshot, format));
  });

  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('healthmon is Healthy.\n');
  });
  app.get('/-/ready', (_req, res) => {
    if (deps.ready()) res.type('text/plain').send('healthmon is Ready.\n');
    else res.status(503).type('text/plain').send('healthmon is not ready.\n');
  });
  const reload = async (_req: Request, res: Response) => {
    const problems = await deps.reload();
    if (problems.length === 0) res.type('text/plain').send('config reloaded\n');
    else res.status(500).type('text/plain').send(`config not reloaded, the old one keeps running:\n${problems.join('\n')}\n`);
  };
  app.post('/-/reload', reload);
  app.put('/-/reload', reload);
  app.all('/-/reload', (_req, res) => {
    res.status(405).set('Allow', 'POST, PUT').type('text/plain').send('use POST or PUT\n');
  });

  app.use(alertsApi(deps.alerts));

  // Heartbeats: any method, as cron jobs use curl, wget or a bare GET.
  const ping = (signal: PushSignal) => (req: Request, res: Response) => {
    const check = String(req.params.check);
    if (deps.ping(check, signal)) res.type('text/plain').send('OK\n');
    else sendProblem(res, 404, `no heartbeat check named ${JSON.stringify(check)}`);
  };
  app.all('/ping/:check', ping('success'));
  app.all('/ping/:check/start', ping('start'));
  app.all('/ping/:check/fail', ping('fail'));

  if (deps.statusPage) app.use(statusPage(deps.statusPage));

  app.use((req, res) => {
    sendProblem(res, 404, `no route for ${req.method} ${req.path}`);
  });
  app.use((err: Error & { status?: number; expose?: boolean }, _req: Request, res: Response, _next: express.NextFunction) => {
    // Body parsers' errors (bad JSON, too large) are the client's, and say so.
    if (err.expose && err.status !== undefined && err.status >= 400 && err.status < 500) return sendProblem(res, err.status, err.message);
    deps.logger.error({ err }, 'request failed');
    sendProblem(res, 500, 'the request failed; see the server log');
  });
  return app;
}
