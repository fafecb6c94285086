// The alerting API: the alerts the router holds (muted ones marked, never hidden) and silences,
// created, listed and expired as in Alertmanager's API. JSON in, JSON out; bad input is a 400
// with a message, never a stack trace.
import express, { type Request, type Response, type Router as ExpressRouter } from 'express';
import type { Router } from '../alerting/router.js';
import { silenceState, type Silence } from '../alerting/silences.js';
import { sendProblem } from './problem.js';

export interface AlertsApiDeps {
  /** The running router; undefined while healthmon is not serving (then 503). */
  router(): Router | undefined;
  now(): number;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function silenceJson(s: Silence, now: number) {
  return {
    id: s.id, matchers: s.matchers, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), createdBy: s.createdBy,
    comment: s.comment, updatedAt: iso(s.updatedAt), status: { state: silenceState(s, now) }, fromConfig: s.fromConfig,
  };
}

/** Alertmanager's matcher objects become our `name op "value"` text. */
function matcherText(m: unknown): string {
  if (typeof m === 'string') return m;
  if (typeof m !== 'object' || m === null) throw new Error('a matcher is a string like check="api" or {name, value, isRegex, isEqual}');
  const { name, value, isRegex, isEqual } = m as Record<string, unknown>;
  if (typeof name !== 'string' || typeof value !== 'string') throw new Error('a matcher object needs a string name and value');
  const op = isEqual === false ? (isRegex === true ? '!~' : '!=') : isRegex === true ? '=~' : '=';
  return `${name}${op}${JSON.stringify(value)}`;
}

function time(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new Error(`${field} must be an RFC 3339 time like "2026-12-01T02:00:00Z"`);
  return ms;
}

export function alertsApi(deps: AlertsApiDeps): ExpressRouter {
  const api = express.Router();
  api.use(express.json({ limit: '64kb' }));

  const withRouter = (handler: (router: Router, req: Request, res: Response) => void) => (req: Request, res: Response) => {
    const router = deps.router();
    if (!router) {
      sendProblem(res, 503, 'alerting is not running');
      return;
    }
    try {
      handler(router, req, res);
    } catch (err) {
      sendProblem(res, 400, (err as Error).message);
    }
  };

  api.get('/api/v1/alerts', withRouter((router, _req, res) => {
    res.json({
      status: 'success',
      data: router.alerts().map((a) => ({
        labels: a.labels, annotations: a.annotations, status: a.status, startsAt: iso(a.startsAt), endsAt: iso(a.endsAt),
        generatorURL: a.generatorURL, fingerprint: a.fingerprint, muted: a.mutedBy !== undefined, ...(a.mutedBy ? { mutedBy: a.mutedBy } : {}),
      })),
    });
  }));

  api.get('/api/v1/silences', withRouter((router, _req, res) => {
    const now = deps.now();
    res.json({ status: 'success', data: router.silences.list().map((s) => silenceJson(s, now)) });
  }));

  api.post('/api/v1/silences', withRouter((router, req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('expected a JSON object with matchers, endsAt, createdBy and comment');
    if (!Array.isArray(body.matchers)) throw new Error('matchers must be a list');
    const endsAt = time(body.endsAt, 'endsAt');
    if (endsAt === undefined) throw new Error('endsAt is required');
    const startsAt = time(body.startsAt, 'startsAt');
    const silence = router.silences.create({
      matchers: body.matchers.map(matcherText),
      ...(startsAt === undefined ? {} : { startsAt }),
      endsAt,
      createdBy: typeof body.createdBy === 'string' && body.createdBy !== '' ? body.createdBy : 'api',
      comment: typeof body.comment === 'string' ? body.comment : '',
    }, deps.now());
    res.json({ status: 'success', data: { silenceID: silence.id } });
  }));

  api.delete('/api/v1/silences/:id', withRouter((router, req, res) => {
    const id = String(req.params.id);
    if (router.silences.expire(id, deps.now())) res.json({ status: 'success' });
    else sendProblem(res, 404, `no active silence ${id} that the API may expire`);
  }));

  return api;
}
