// Who may do what. Changes through the API (POST, PUT, DELETE, and reading the audit log) need
// the API bearer token: from server.api.token, server.api.token_file (re-read when the file
// changes, so it can be rotated) or HEALTHMON_API_TOKEN. With no token configured they are
// answered for loopback clients only. Basic auth, from the web config, guards the whole server as
// exporter-toolkit does; a request with the API token passes it too, as one Authorization header
// cannot carry both. The remote address is the socket's: X-Forwarded-For is not trusted.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiSettings } from '../config/config.js';
import { parseIp } from '../core/cidr.js';
import { sendProblem } from './problem.js';

export type TokenSource = 'config' | 'file' | 'env';

export type ApiToken =
  | { state: 'none' }
  | { state: 'set'; token: string; source: TokenSource }
  /** A token file is configured but cannot be read: changes are refused, never opened up. */
  | { state: 'unavailable'; detail: string };

export interface TokenFileDeps {
  readFile(path: string): string;
  /** Changes when the file is replaced or rewritten. */
  version(path: string): string;
}

const realFiles: TokenFileDeps = {
  readFile: (p) => readFileSync(p, 'utf8'),
  version: (p) => {
    const s = statSync(p);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  },
};

/** The API token in force now: config, then token file, then the environment's HEALTHMON_API_TOKEN. */
export function createTokenReader(settings: () => ApiSettings, envToken: string | undefined, files: TokenFileDeps = realFiles): () => ApiToken {
  let cached: { path: string; version: string; token: ApiToken } | undefined;
  return () => {
    const s = settings();
    if (s.token !== undefined && s.token !== '') return { state: 'set', token: s.token, source: 'config' };
    if (s.tokenFile !== undefined) {
      const path = s.tokenFile;
      let version: string;
      try {
        version = files.version(path);
      } catch (err) {
        return { state: 'unavailable', detail: `the API token file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
      }
      if (cached?.path === path && cached.version === version) return cached.token;
      let token: ApiToken;
      try {
        const text = files.readFile(path).trim();
        token = text === '' ? { state: 'unavailable', detail: `the API token file ${path} is empty` } : { state: 'set', token: text, source: 'file' };
      } catch (err) {
        token = { state: 'unavailable', detail: `the API token file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
      }
      cached = { path, version, token };
      return token;
    }
    if (envToken !== undefined && envToken !== '') return { state: 'set', token: envToken, source: 'env' };
    return { state: 'none' };
  };
}

/** Equal strings in constant time: both are hashed first, so neither length nor content leaks. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const bytes = parseIp(address);
  if (!bytes) return false;
  if (bytes.length === 4) return bytes[0] === 127;
  // ::1, or an IPv4-mapped loopback (::ffff:127.x.y.z) as a dual-stack socket reports it.
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 15) && bytes[15] === 1) return true;
  return zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff && bytes[12] === 127;
}

export interface RequestFacts {
  authorization: string | undefined;
  remoteAddress: string | undefined;
  /** The basic-auth user the request authenticated as, when the web config asks for basic auth. */
  basicUser?: string | undefined;
}

export type AuthDecision =
  | { ok: true; actor: string }
  | { ok: false; status: 401 | 403 | 503; detail: string; challenge?: string };

const REALM = 'Bearer realm="healthmon"';

function bearerOf(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}

/** May this request change things (or read the audit log)? The decision alone, so it is tested without sockets. */
export function authorizeChange(req: RequestFacts, token: ApiToken): AuthDecision {
  if (token.state === 'unavailable') return { ok: false, status: 503, detail: `changes are refused: ${token.detail}` };
  if (token.state === 'none') {
    if (isLoopback(req.remoteAddress)) return { ok: true, actor: req.basicUser ? `basic:${req.basicUser}` : 'loopback' };
    return {
      ok: false,
      status: 403,
      detail: `no API token is configured (server.api.token, server.api.token_file or HEALTHMON_API_TOKEN), so changes are accepted from loopback clients only; ${req.remoteAddress ?? 'this client'} is not one`,
    };
  }
  const given = bearerOf(req.authorization);
  if (given === undefined) {
    return { ok: false, status: 401, detail: 'this needs the API token: send it as "Authorization: Bearer <token>"', challenge: REALM };
  }
  if (!sameSecret(given, token.token)) return { ok: false, status: 401, detail: 'the bearer token is not the API token', challenge: `${REALM}, error="invalid_token"` };
  return { ok: true, actor: `token:${token.source}` };
}

/** Whether the request carries the API token (it then passes basic auth as well). */
export function hasApiToken(authorization: string | undefined, token: ApiToken): boolean {
  const given = bearerOf(authorization);
  return given !== undefined && token.state === 'set' && sameSecret(given, token.token);
}

/** Express glue for authorizeChange: answers 401/403/503 itself, or calls `next` with res.locals.actor set. */
export function requireChangeAuth(token: () => ApiToken): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const decision = authorizeChange({ authorization: req.get('authorization'), remoteAddress: req.socket.remoteAddress, basicUser: res.locals.basicUser as string | undefined }, token());
    if (decision.ok) {
      res.locals.actor = decision.actor;
      next();
      return;
    }
    res.locals.denied = decision.detail;
    sendProblem(res, decision.status, decision.detail, decision.challenge ? { headers: { 'WWW-Authenticate': decision.challenge } } : {});
  };
}

export interface BasicAuthDeps {
  /** user → bcrypt hash, from the web config in force. */
  users(): Readonly<Record<string, string>>;
  token(): ApiToken;
  compare?(password: string, hash: string): Promise<boolean>;
}

const CACHE_LIMIT = 1024;

/**
 * HTTP basic auth for every request when the web config lists users. bcrypt is slow on purpose;
 * as exporter-toolkit does, a verified (user, hash, password) is remembered so a scrape every few
 * seconds does not pay for it each time. An unknown user costs a bcrypt comparison too.
 */
export function basicAuth(deps: BasicAuthDeps): RequestHandler {
  const compare = deps.compare ?? ((password: string, hash: string) => bcrypt.compare(password, hash));
  const verified = new Set<string>();
  let dummy: string | undefined;
  return (req: Request, res: Response, next: NextFunction) => {
    const users = deps.users();
    if (Object.keys(users).length === 0) return next();
    const authorization = req.get('authorization');
    if (hasApiToken(authorization, deps.token())) return next();
    const refuse = () => sendProblem(res, 401, 'this server needs a user name and password (HTTP basic auth)', { headers: { 'WWW-Authenticate': 'Basic realm="healthmon", charset="UTF-8"' } });
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (!m) return refuse();
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return refuse();
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = Object.hasOwn(users, user) ? users[user] : undefined;
    const key = createHash('sha256').update(`${user}\0${hash ?? ''}\0${password}`).digest('hex');
    if (hash !== undefined && verified.has(key)) {
      res.locals.basicUser = user;
      return next();
    }
    dummy ??= bcrypt.hashSync('healthmon: no such user', 10);
    compare(password, hash ?? dummy).then(
      (ok) => {
        if (!ok || hash === undefined) return refuse();
        if (verified.size >= CACHE_LIMIT) verified.clear();
        verified.add(key);
        res.locals.basicUser = user;
        next();
      },
      (err: unknown) => next(err),
    );
  };
}
